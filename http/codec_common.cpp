#include "http/codec_common.hpp"

namespace vutf::http {

void add_unreported(std::vector<field_error> more, std::vector<field_error>& errors) {
  for (auto& e : more) {
    bool reported = false;
    for (const auto& x : errors) reported = reported || x.field == e.field;
    if (!reported) errors.push_back(std::move(e));
  }
}

std::string csv_field(const std::string& v) {
  std::string s = v;
  if (!s.empty() && std::string("=+-@").find(s[0]) != std::string::npos) s = "'" + s;
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void write_page_fields(json_writer& w, int64_t page, int64_t per_page, int64_t total) {
  w.key("page").value(page);
  w.key("per_page").value(per_page);
  w.key("total").value(total);
  w.key("pages").value(per_page > 0 ? (total + per_page - 1) / per_page : 0);
}

}  // namespace vutf::http
