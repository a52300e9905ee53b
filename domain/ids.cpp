#include "domain/ids.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "domain/crypto.hpp"

namespace vutf {

namespace {
std::string format_uuid(uint64_t hi, uint64_t lo) {
  char buf[37];
  snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
           static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
           static_cast<unsigned>(lo >> 48),
           static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

// 64 bits of the CSPRNG: ids and token ids must not be predictable from earlier ones.
uint64_t random_u64() {
  uint64_t v = 0;
  identity::random_bytes(&v, sizeof v);
  return v;
}
}  // namespace

std::string make_uuid() {
  uint64_t hi = random_u64(), lo = random_u64();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  return format_uuid(hi, lo);
}

std::string make_time_ordered_uuid(int64_t ms) {
  // 48 bits of milliseconds and 12 bits of sequence, as one counter that only moves forward.
  static std::atomic<uint64_t> last{0};
  uint64_t wanted = static_cast<uint64_t>(ms) << 12, prev = last.load(), next;
  do {
    next = std::max(prev + 1, wanted);
  } while (!last.compare_exchange_weak(prev, next));
  uint64_t hi = ((next >> 12) << 16) | 0x7000 | (next & 0x0fff);  // version 7
  uint64_t lo = (random_u64() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  return format_uuid(hi, lo);
}

bool is_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace vutf
