#include "metrics/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <map>
#include <mutex>
#include <type_traits>

#include "config/strings.hpp"

namespace vutf {
namespace {

const prometheus::Histogram::BucketBoundaries latency_buckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

template <class M>
auto builder() {
  if constexpr (std::is_same_v<M, prometheus::Counter>) return prometheus::BuildCounter();
  if constexpr (std::is_same_v<M, prometheus::Gauge>) return prometheus::BuildGauge();
  if constexpr (std::is_same_v<M, prometheus::Histogram>) return prometheus::BuildHistogram();
}

template <class M>
prometheus::Family<M>& family(prometheus::Registry& r, const char* name, const char* help) {
  return builder<M>().Name(name).Help(help).Register(r);
}

template <class M>
M& add(prometheus::Family<M>& f, const std::map<std::string, std::string>& labels) {
  if constexpr (std::is_same_v<M, prometheus::Histogram>) {
    return f.Add(labels, latency_buckets);
  } else {
    return f.Add(labels);
  }
}

}  // namespace

template <class M>
labelled<M>::labelled(prometheus::Family<M>& family, std::vector<std::string> labels)
    : family_(family), labels_(std::move(labels)) {}

template <class M>
M& labelled<M>::with(std::initializer_list<std::string> values) {
  std::string key;
  for (const auto& v : values) (key += v) += '\x1f';
  {
    std::shared_lock lock(mutex_);
    auto it = series_.find(key);
    if (it != series_.end()) return *it->second;
  }
  std::unique_lock lock(mutex_);
  auto& slot = series_[key];
  if (!slot) {
    std::map<std::string, std::string> labels;
    auto value = values.begin();
    for (size_t i = 0; i < labels_.size() && value != values.end(); ++i, ++value)
      labels[labels_[i]] = *value;
    slot = &add(family_, labels);
  }
  return *slot;
}

template class labelled<prometheus::Counter>;
template class labelled<prometheus::Gauge>;
template class labelled<prometheus::Histogram>;

#define VUTF_METRIC_PLAIN_INIT(name, type, help) \
  , name(add(family<prometheus::type>(*r, #name, help), {}))
#define VUTF_METRIC_LABELLED_INIT(name, type, labels, help) \
  , name(family<prometheus::type>(*r, #name, help), split(labels))

metrics::metrics() : metrics(std::make_shared<prometheus::Registry>()) {}

metrics::metrics(std::shared_ptr<prometheus::Registry> r)
    : registry_(r) VUTF_METRICS(VUTF_METRIC_PLAIN_INIT, VUTF_METRIC_LABELLED_INIT) {}

metrics::~metrics() = default;

std::string metrics::exposition() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

std::string metrics_markdown() {
  std::string out = "| metric | type | labels | meaning |\n|---|---|---|---|\n";
  auto row = [&](const char* name, const char* type, const std::string& labels, const char* help) {
    std::string kind = type;
    for (auto& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string shown = labels.empty() ? "—" : "`" + join(split(labels), "`, `") + "`";
    out += std::string("| `") + name + "` | " + kind + " | " + shown + " | " + help + " |\n";
  };
#define VUTF_METRIC_PLAIN_ROW(name, type, help) row(#name, #type, "", help);
#define VUTF_METRIC_LABELLED_ROW(name, type, labels, help) row(#name, #type, labels, help);
  VUTF_METRICS(VUTF_METRIC_PLAIN_ROW, VUTF_METRIC_LABELLED_ROW)
  return out;
}

struct metrics_server::impl {
  prometheus::Exposer exposer;
  impl(const std::string& address) : exposer(address, 2) {}
};

metrics_server::metrics_server(std::shared_ptr<metrics> m, const std::string& host, int port) {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  impl_ = std::make_unique<impl>(h + ":" + std::to_string(port));
  impl_->exposer.RegisterCollectable(m->registry());
}

metrics_server::~metrics_server() = default;

int metrics_server::port() const {
  auto ports = impl_->exposer.GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace vutf
