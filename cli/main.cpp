// vutf: the command-line client of the ViolentUTF API (vutf --help, man vutf).
#include "cli/commands.hpp"

int main(int argc, char** argv) {
  return vutf::cli::run(std::vector<std::string>(argv + 1, argv + argc));
}
