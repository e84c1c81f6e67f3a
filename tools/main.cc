// Entry point of the `millstream` executable: parses the verb and runs it.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <map>

#include "tools/commands.h"

int main(int argc, char** argv) {
  // Log lines reach a pipe or a journal as they happen, not when a buffer fills.
  spdlog::flush_on(spdlog::level::info);
  CLI::App app("Millstream: a Kafka-protocol event streaming engine for plants", "millstream");
  app.require_subcommand(1);
  std::map<CLI::App*, millstream::tools::CommandRunner> runners;
  for (auto reg : {millstream::tools::RegisterServe, millstream::tools::RegisterVerify,
                   millstream::tools::RegisterDump, millstream::tools::RegisterTopic,
                   millstream::tools::RegisterProduce, millstream::tools::RegisterConsume,
                   millstream::tools::RegisterGroup, millstream::tools::RegisterStatus,
                   millstream::tools::RegisterCheckpoint, millstream::tools::RegisterReplay,
                   millstream::tools::RegisterBench}) {
    size_t before = app.get_subcommands({}).size();
    millstream::tools::CommandRunner run = reg(app);
    runners[app.get_subcommands({})[before]] = std::move(run);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (auto& [sub, run] : runners) {
    if (sub->parsed()) return run();
  }
  return 2;
}
