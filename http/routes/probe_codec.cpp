#include "http/routes/probe_codec.hpp"

#include "http/codec_common.hpp"

namespace vutf::http {

std::string probe_page_json(const std::vector<probe_set>& sets, int64_t page, int64_t per_page) {
  json_writer w;
  w.begin_object().key("items").begin_array();
  size_t from = static_cast<size_t>((page - 1) * per_page);
  for (size_t i = from; i < sets.size() && i < from + static_cast<size_t>(per_page); ++i) {
    const probe_set& p = sets[i];
    w.begin_object();
    w.key("id").value(p.id);
    w.key("name").value(p.name);
    w.key("description").value(p.description);
    w.key("category").value(p.category);
    w.key("detector").begin_object();
    w.key("type").value(p.detector.type);
    w.key("severity").value(p.detector.severity);
    w.end_object();
    w.key("prompts").begin_array();
    for (const auto& prompt : p.prompts) w.value(prompt);
    w.end_array();
    w.end_object();
  }
  w.end_array();
  write_page_fields(w, page, per_page, static_cast<int64_t>(sets.size()));
  w.end_object();
  return w.take();
}

}  // namespace vutf::http
