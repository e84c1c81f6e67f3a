// `millstream bench group` (tools/bench_group.cc): rebalance times and durable
// commits per second, on librdkafka consumers.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

namespace millstream::tools {

// Adds the `group` subcommand to `bench`; its runner, added to `runners`,
// returns -1 when another subcommand was chosen, else the exit code.
void AddBenchGroup(CLI::App& bench, std::vector<std::function<int()>>& runners);

}  // namespace millstream::tools
