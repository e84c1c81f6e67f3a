// `millstream bench burst` (tools/bench_burst.cc): a manufacturing event mix
// through real librdkafka producers and consumer groups, steady state then a
// surge past the measured capacity, reported per second as JSON and a plot.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

namespace millstream::tools {

// Adds the `burst` subcommand to `bench`; its runner, added to `runners`,
// returns -1 when another subcommand was chosen, else the exit code.
void AddBenchBurst(CLI::App& bench, std::vector<std::function<int()>>& runners);

}  // namespace millstream::tools
