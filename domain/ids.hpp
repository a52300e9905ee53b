// Record ids: random and time-ordered UUIDs.
#pragma once

#include <cstdint>
#include <string>

namespace vutf {

// A random (version 4) UUID, lowercase and hyphenated.
std::string make_uuid();
bool is_uuid(const std::string& s);
// A time-ordered (version 7) UUID for a record made at `ms`: within this process, a later call
// gets a greater id even in the same millisecond, so (time, id) lists records in creation order.
std::string make_time_ordered_uuid(int64_t ms);

}  // namespace vutf
