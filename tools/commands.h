// The verbs of the `millstream` executable. Each Register* adds one subcommand to
// the CLI11 app and returns a function that runs it once parsing succeeded; the
// function returns the process exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace millstream::tools {

using CommandRunner = std::function<int()>;

CommandRunner RegisterServe(CLI::App& app);
CommandRunner RegisterVerify(CLI::App& app);
CommandRunner RegisterDump(CLI::App& app);
// The client verbs: they talk the Kafka protocol to a running broker (librdkafka).
CommandRunner RegisterTopic(CLI::App& app);
CommandRunner RegisterProduce(CLI::App& app);
CommandRunner RegisterConsume(CLI::App& app);
// Consumer groups: list, describe (with lag), reset, delete.
CommandRunner RegisterGroup(CLI::App& app);
// The broker at a glance over the HTTP admin API (--admin URL).
CommandRunner RegisterStatus(CLI::App& app);
// Named checkpoints over the HTTP admin API (--admin URL).
CommandRunner RegisterCheckpoint(CLI::App& app);
// Verified replay between checkpoints, online or on a data directory.
CommandRunner RegisterReplay(CLI::App& app);
// Load generators over librdkafka (bench/README.md).
CommandRunner RegisterBench(CLI::App& app);

}  // namespace millstream::tools
