// vutf-mock-target: the mock LLM endpoint as a program (see mock_target.hpp).
//   vutf-mock-target [--mode vulnerable|safe|flaky|slow|down|template|ratelimit|trickle]
//                    [--port N] [--delay-ms N] [--rate-limit N] [--rate-window-ms N]
//                    [--trickle-ms N]
//                    [--cert PEM --key PEM]   (serves HTTPS)
// Prints "listening on http://127.0.0.1:PORT" once it accepts connections.
#include <csignal>
#include <cstring>
#include <iostream>

#include "mock_target.hpp"

int main(int argc, char** argv) {
  vutf::mock::options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--mode") {
      o.mode = value;
    } else if (flag == "--port") {
      o.port = std::atoi(value.c_str());
    } else if (flag == "--delay-ms") {
      o.delay_ms = std::atoi(value.c_str());
    } else if (flag == "--rate-limit") {
      o.rate_limit = std::atoi(value.c_str());
    } else if (flag == "--rate-window-ms") {
      o.rate_window_ms = std::atoi(value.c_str());
    } else if (flag == "--trickle-ms") {
      o.trickle_ms = std::atoi(value.c_str());
    } else if (flag == "--cert") {
      o.cert_file = value;
    } else if (flag == "--key") {
      o.key_file = value;
    } else {
      std::cerr << "unknown option " << flag << "\n";
      return 2;
    }
  }
  static const char* modes[] = {"vulnerable", "safe",      "flaky",   "slow",     "down",
                                "template",   "ratelimit", "trickle", "attacker", "crescendo"};
  bool known = false;
  for (const char* m : modes) known = known || o.mode == m;
  if (!known) {
    std::cerr << "--mode must be one of vulnerable, safe, flaky, slow, down, template, ratelimit, "
                 "trickle, attacker, crescendo\n";
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  vutf::mock::mock_target target(o);
  std::cout << "listening on " << target.url() << " (mode " << o.mode << ")" << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  target.stop();
  return 0;
}
