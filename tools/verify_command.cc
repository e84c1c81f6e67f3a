// `millstream verify DIR`: checks every batch CRC, index and seal of a data
// directory (or of one partition directory). Exit 0 when clean; otherwise 1 and
// one line per problem: "<file>:<byte position>: <what>".
#include <cstdio>
#include <memory>

#include "base/event_loop.h"
#include "storage/io/uring_file_system.h"
#include "storage/verifier.h"
#include "tools/commands.h"

namespace millstream::tools {

namespace {

int RunVerify(const std::string& dir) {
  Result<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.ok()) {
    std::fprintf(stderr, "verify: %s\n", loop.status().ToString().c_str());
    return 2;
  }
  storage::io::UringFileSystem fs(**loop);
  Result<storage::VerifySummary> summary = (*loop)->Run(storage::VerifyDataDir(fs, dir));
  if (summary.ok() && summary->partitions == 0) {
    // Not a data directory: maybe one partition directory.
    storage::VerifySummary one;
    Status s = (*loop)->Run(storage::VerifyPartition(fs, dir, one));
    if (s.ok()) summary = std::move(one);
  }
  if (!summary.ok()) {
    std::fprintf(stderr, "verify: %s\n", summary.status().ToString().c_str());
    return 2;
  }
  for (const storage::VerifyProblem& p : summary->problems) {
    std::printf("%s\n", p.ToString().c_str());
  }
  std::fprintf(stderr, "verified %d partitions, %d segments, %lld batches, %llu bytes: %zu problems\n",
               summary->partitions, summary->segments, static_cast<long long>(summary->batches),
               static_cast<unsigned long long>(summary->bytes), summary->problems.size());
  return summary->problems.empty() ? 0 : 1;
}

}  // namespace

CommandRunner RegisterVerify(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("verify", "Check every CRC, index and seal of a data directory");
  cmd->add_option("DIR", *dir, "Data directory or partition directory")->required()->check(CLI::ExistingDirectory);
  return [dir] { return RunVerify(*dir); };
}

}  // namespace millstream::tools
