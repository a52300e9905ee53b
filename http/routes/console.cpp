// The web console (console/): static files compiled into the binary, served without
// credentials (the page is public; every piece of data it shows needs a token or an API key).
#include "console/console.hpp"

#include "http/routes/routes.hpp"

namespace vutf::http {
namespace {

// The console's own policy, stricter than a page needs to be to work: its script and style
// come from this origin only (never inline, so markup that slipped into the page could not
// run), it talks to this origin only, can be framed by nobody and submits forms nowhere else.
// Images: data: and blob: for nothing but what the console makes itself.
constexpr const char* console_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

api_response asset_response(const request_context& c, const std::string& name) {
  auto found = console::find_asset(name);
  if (!found)
    return problem(errc::not_found, "The console has no file named " + name + ".", c.req.path,
                   c.request_id);
  api_response r;
  r.content_type = std::string(found->content_type);
  r.body = std::string(found->bytes);
  r.headers.emplace_back("Content-Security-Policy", console_policy);
  // Kept, but revalidated on every use: a new release's console is picked up at once, an
  // unchanged one costs a 304 (the ETag is the file's hash).
  r.headers.emplace_back("Cache-Control", "no-cache");
  return conditional(c, std::move(r));
}

}  // namespace

api_response console_root(const request_context&) {
  // The page's relative links (console.css, console.js) resolve under /console/.
  api_response r = json_response(301, "");
  r.headers.emplace_back("Location", "/console/");
  return r;
}

api_response console_index(const request_context& c) {
  return asset_response(c, "index.html");
}

api_response console_file(const request_context& c) {
  return asset_response(c, c.params.at(0));
}

}  // namespace vutf::http
