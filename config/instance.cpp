#include "config/instance.hpp"

#include <unistd.h>

namespace vutf {

const std::string& instance_id() {
  static const std::string id = [] {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return std::string("host");
    return std::string(host) + "-" + std::to_string(getpid());
  }();
  return id;
}

}  // namespace vutf
