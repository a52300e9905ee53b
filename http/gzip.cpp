#include "http/gzip.hpp"

#include <zlib.h>

#include <sstream>
#include <stdexcept>

namespace vutf::http {

bool accepts_gzip(const std::string& header) {
  std::stringstream in(header);
  std::string item;
  bool star = false;
  while (std::getline(in, item, ',')) {
    std::string token, params;
    size_t semi = item.find(';');
    token = item.substr(0, semi);
    if (semi != std::string::npos) params = item.substr(semi + 1);
    auto trim = [](std::string s) {
      size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    token = trim(token);
    for (auto& c : token) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    double q = 1;
    if (size_t qpos = params.find("q="); qpos != std::string::npos) {
      try {
        q = std::stod(params.substr(qpos + 2));
      } catch (const std::exception&) {
        q = 0;
      }
    }
    if (token == "gzip") return q > 0;
    if (token == "*") star = q > 0;
  }
  return star;
}

std::string gzip_compress(const std::string& data, int level) {
  z_stream zs{};
  // windowBits 15 + 16 selects the gzip wrapper.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  out.resize(zs.total_out);
  return out;
}

}  // namespace vutf::http
