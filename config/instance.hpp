// Which running process this is, for telling instances apart behind a balancer: the
// X-Instance-Id response header and the `instance` field of every log line.
#pragma once

#include <string>

namespace vutf {

// "<hostname>-<pid>", fixed for the life of the process (a container's or pod's hostname is
// its own, and the pid tells processes on one host apart).
const std::string& instance_id();

}  // namespace vutf
