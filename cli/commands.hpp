// The vutf program: its command table (cli/command.hpp) with a handler per command, each a thin
// sequence of API calls (cli/client.hpp) and output.
#pragma once

#include <string>
#include <vector>

#include "cli/command.hpp"

namespace vutf::cli {

// The table every part of the program is derived from.
const program_spec& program();

// Runs the command line (without the program name); returns the exit status (exit_status).
int run(const std::vector<std::string>& args);

}  // namespace vutf::cli
