// The HTTP API as the client sees it: JSON in and out, every failure an api_error carrying what
// the service said (its problem+json title, detail, error_code and field errors).
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace httplib {
class Client;
}

namespace vutf::cli {

// The API answered with an error status, or could not be reached (status 0). what() is the
// message printed on stderr.
class api_error : public std::runtime_error {
 public:
  api_error(int status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

// The message for an error response: "HTTP 404 Not found: no such scan (NOT_FOUND)" from a
// problem+json body, with one "  field: reason" line per field error; the raw body when it is not
// one.
std::string problem_message(int status, const std::string& body);

// `base` ("http://host:port" or "https://host/prefix") split into the origin and the API's path
// prefix (the prefix plus /api/v1); throws api_error(0) when it is not an http(s) URL.
std::pair<std::string, std::string> split_base_url(const std::string& base);

// `value` percent-encoded for a query string.
std::string query_escape(const std::string& value);

class api_client {
 public:
  // `credential`: an API key (vutf_..., sent as X-API-Key), else a bearer token; "" for none.
  api_client(const std::string& base_url, const std::string& credential);
  ~api_client();
  api_client(const api_client&) = delete;
  api_client& operator=(const api_client&) = delete;

  // `path` is relative to /api/v1, e.g. "/targets?per_page=100".
  nlohmann::json get(const std::string& path);
  nlohmann::json post(const std::string& path, const nlohmann::json& body);
  nlohmann::json patch(const std::string& path, const nlohmann::json& body);
  void del(const std::string& path);
  // Every item of a paged list (items/pages), fetched 100 at a time.
  nlohmann::json list_all(const std::string& path);
  // Writes the body of GET `path` to the file `to` as it arrives (via `to`.part, renamed at the
  // end, so an interrupted download leaves no truncated report).
  void download(const std::string& path, const std::string& to);
  // Reads GET `path` as an event stream, handing each piece of the body to `on_data` (which
  // returns false to stop reading). Returns false when the stream could not be opened or broke
  // off (the caller falls back to polling); throws api_error for an error status.
  bool stream(const std::string& path, const std::function<bool(const char*, size_t)>& on_data);
  const std::string& base_url() const { return base_; }

 private:
  nlohmann::json check(const std::string& method, const std::string& path, int status,
                       const std::string& body, bool reached, const std::string& error);
  std::string base_;
  std::string prefix_;
  std::unique_ptr<httplib::Client> http_;
};

}  // namespace vutf::cli
