// Probe sets as JSON.
#pragma once

#include <string>
#include <vector>

#include "domain/probes.hpp"

namespace vutf::http {

std::string probe_page_json(const std::vector<probe_set>& sets, int64_t page, int64_t per_page);

}  // namespace vutf::http
