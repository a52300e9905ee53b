#include "actors/background.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace vutf {

void run_in_background() {
  thread_local bool lowered = false;
  if (lowered) return;
  lowered = true;
  // PRIO_PROCESS with a thread id sets that one thread's nice value on Linux.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), background_nice);
}

}  // namespace vutf
