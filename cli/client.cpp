#include "cli/client.hpp"

#include <httplib.h>

#include <cstdio>
#include <fstream>

namespace vutf::cli {

namespace {

// `j[key]` when it is a string, else `fallback`: an error body may hold anything.
std::string text_of(const nlohmann::json& j, const char* key, const std::string& fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

}  // namespace

std::string problem_message(int status, const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  std::string out = "HTTP " + std::to_string(status);
  if (!j.is_object() || !j.contains("title")) {
    return out + (body.empty() ? "" : ": " + body.substr(0, 500));
  }
  out += " " + text_of(j, "title", "");
  if (auto detail = text_of(j, "detail", ""); !detail.empty()) out += ": " + detail;
  if (auto code = text_of(j, "error_code", ""); !code.empty()) out += " (" + code + ")";
  if (j.contains("errors") && j["errors"].is_array()) {
    for (const auto& e : j["errors"]) {
      if (e.is_object()) out += "\n  " + text_of(e, "field", "?") + ": " + text_of(e, "reason", "");
    }
  }
  return out;
}

std::pair<std::string, std::string> split_base_url(const std::string& base) {
  size_t scheme = base.find("://");
  std::string s = scheme == std::string::npos ? "" : base.substr(0, scheme);
  if (s != "http" && s != "https") {
    throw api_error(0, "the service URL must start with http:// or https:// (got '" + base + "')");
  }
  size_t path = base.find('/', scheme + 3);
  std::string origin = base.substr(0, path);
  std::string prefix = path == std::string::npos ? "" : base.substr(path);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return {origin, prefix + "/api/v1"};
}

std::string query_escape(const std::string& value) {
  return httplib::detail::encode_query_param(value);
}

api_client::api_client(const std::string& base_url, const std::string& credential)
    : base_(base_url) {
  auto [origin, prefix] = split_base_url(base_url);
  prefix_ = prefix;
  http_ = std::make_unique<httplib::Client>(origin);
  if (!http_->is_valid()) throw api_error(0, "cannot use the service URL '" + base_url + "'");
  http_->set_connection_timeout(10);
  http_->set_read_timeout(60);
  httplib::Headers headers = {{"User-Agent", "vutf"}};
  if (credential.rfind("vutf_", 0) == 0) {
    headers.emplace("X-API-Key", credential);
  } else if (!credential.empty()) {
    headers.emplace("Authorization", "Bearer " + credential);
  }
  http_->set_default_headers(headers);
}

api_client::~api_client() = default;

nlohmann::json api_client::check(const std::string& method, const std::string& path, int status,
                                 const std::string& body, bool reached, const std::string& error) {
  if (!reached) {
    throw api_error(0,
                    "cannot reach " + base_ + " (" + method + " " + prefix_ + path + "): " + error);
  }
  if (status < 200 || status >= 300) throw api_error(status, problem_message(status, body));
  if (body.empty()) return nullptr;
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    throw api_error(status, method + " " + prefix_ + path + ": the answer is not JSON");
  }
  return j;
}

nlohmann::json api_client::get(const std::string& path) {
  auto r = http_->Get(prefix_ + path);
  return r ? check("GET", path, r->status, r->body, true, "")
           : check("GET", path, 0, "", false, httplib::to_string(r.error()));
}

nlohmann::json api_client::post(const std::string& path, const nlohmann::json& body) {
  auto r = http_->Post(prefix_ + path, body.dump(), "application/json");
  return r ? check("POST", path, r->status, r->body, true, "")
           : check("POST", path, 0, "", false, httplib::to_string(r.error()));
}

nlohmann::json api_client::patch(const std::string& path, const nlohmann::json& body) {
  auto r = http_->Patch(prefix_ + path, body.dump(), "application/json");
  return r ? check("PATCH", path, r->status, r->body, true, "")
           : check("PATCH", path, 0, "", false, httplib::to_string(r.error()));
}

void api_client::del(const std::string& path) {
  auto r = http_->Delete(prefix_ + path);
  if (r) {
    check("DELETE", path, r->status, r->body, true, "");
  } else {
    check("DELETE", path, 0, "", false, httplib::to_string(r.error()));
  }
}

nlohmann::json api_client::list_all(const std::string& path) {
  nlohmann::json items = nlohmann::json::array();
  std::string sep = path.find('?') == std::string::npos ? "?" : "&";
  for (int page = 1;; ++page) {
    auto j = get(path + sep + "per_page=100&page=" + std::to_string(page));
    for (auto& item : j.at("items")) items.push_back(std::move(item));
    if (page >= j.value("pages", 1)) return items;
  }
}

void api_client::download(const std::string& path, const std::string& to) {
  std::string part = to + ".part";
  std::ofstream file(part, std::ios::binary | std::ios::trunc);
  if (!file) throw api_error(0, "cannot write " + part);
  int status = 0;
  std::string error_body;  // an error's problem+json, never written to the file
  auto r = http_->Get(
      prefix_ + path,
      [&](const httplib::Response& res) {
        status = res.status;
        return true;
      },
      [&](const char* data, size_t size) {
        if (status < 200 || status >= 300) {
          if (error_body.size() < 65536) error_body.append(data, size);
        } else {
          file.write(data, static_cast<std::streamsize>(size));
        }
        return static_cast<bool>(file);
      });
  file.close();
  try {
    if (!r) check("GET", path, 0, "", false, httplib::to_string(r.error()));
    if (status < 200 || status >= 300) check("GET", path, status, error_body, true, "");
    if (!file) throw api_error(0, "cannot write " + part);
  } catch (...) {
    std::remove(part.c_str());
    throw;
  }
  if (std::rename(part.c_str(), to.c_str()) != 0) throw api_error(0, "cannot write " + to);
}

bool api_client::stream(const std::string& path,
                        const std::function<bool(const char*, size_t)>& on_data) {
  int status = 0;
  std::string error_body;
  // Keep-alive comments come every 15 s: a longer silence means the stream is dead.
  http_->set_read_timeout(45);
  auto r = http_->Get(
      prefix_ + path, {{"Accept", "text/event-stream"}},
      [&](const httplib::Response& res) {
        status = res.status;
        return true;
      },
      [&](const char* data, size_t size) {
        if (status == 200) return on_data(data, size);
        if (error_body.size() < 65536) error_body.append(data, size);
        return true;
      });
  http_->set_read_timeout(60);
  if (status != 0 && status != 200) {
    // Too many streams open on the instance: polling still works.
    if (status == 503) return false;
    check("GET", path, status, error_body, true, "");
  }
  return r && status == 200;
}

}  // namespace vutf::cli
