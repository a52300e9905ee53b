// Scan work runs below requests: the threads that do it (each scan's runner) lower their OS
// scheduling priority, so on a busy machine the kernel runs request threads first and scans use
// what is left (issue 10, W10 in docs/performance.md).
#pragma once

namespace vutf {

// The nice value of background threads: the kernel gives a nice-10 thread about a tenth of the
// CPU share of a nice-0 one when both want to run.
constexpr int background_nice = 10;

// Lowers the calling thread's priority to background_nice, once per thread (a thread can lower
// its own priority without privileges, and never raise it back, so it is only for threads that
// do background work until they end).
void run_in_background();

}  // namespace vutf
