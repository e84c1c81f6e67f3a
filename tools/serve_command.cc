// `millstream serve`: opens the data directory, recovers every partition log and
// serves until SIGINT or SIGTERM, then closes every log cleanly (durable, indexes
// persisted) so that the next start needs no recovery scan. The Kafka listener
// arrives with issue 3; until then serve only owns and recovers the data.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "base/clock.h"
#include "base/event_loop.h"
#include "storage/data_dir.h"
#include "storage/io/uring_file_system.h"
#include "storage/partition_log.h"
#include "tools/commands.h"

namespace millstream::tools {

namespace {

struct ServeOptions {
  std::string data_dir = "./data";
  std::string listen = "127.0.0.1:9092";
};

// Reads one signal from a signalfd through the ring.
Task<int> WaitForSignal(EventLoop& loop, int fd) {
  signalfd_siginfo info{};
  auto prep = [fd, &info](io_uring_sqe* sqe) { io_uring_prep_read(sqe, fd, &info, sizeof(info), 0); };
  int32_t n = co_await UringOp<decltype(prep)>(loop, prep);
  co_return n == sizeof(info) ? static_cast<int>(info.ssi_signo) : 0;
}

using LogList = std::vector<std::unique_ptr<storage::PartitionLog>>;

Task<Status> OpenAll(storage::io::FileSystem& fs, EventLoop& loop, const std::string& data_dir,
                     LogList& logs) {
  CO_RETURN_IF_ERROR(fs.CreateDirs(storage::TopicsRoot(data_dir)));
  CO_ASSIGN_OR_RETURN(std::vector<storage::PartitionDir> partitions,
                      storage::ListPartitions(fs, data_dir));
  for (const storage::PartitionDir& p : partitions) {
    storage::RecoveryReport report;
    int64_t start = SystemClock::Instance().MonotonicNanos();
    CO_ASSIGN_OR_RETURN(std::unique_ptr<storage::PartitionLog> log,
                        co_await storage::PartitionLog::Open(fs, loop, SystemClock::Instance(),
                                                             p.path, storage::LogConfig{}, &report));
    double ms = (SystemClock::Instance().MonotonicNanos() - start) / 1e6;
    spdlog::info("recovered {}/{}: offsets [{}, {}), {} segments, {} bytes scanned, {} torn bytes cut, {} indexes rebuilt, {:.1f} ms",
                 p.topic, p.partition, log->log_start_offset().value(), log->next_offset().value(),
                 report.segments, report.bytes_scanned, report.torn_bytes_truncated,
                 report.indexes_rebuilt, ms);
    for (const std::string& problem : report.problems) spdlog::error("{}", problem);
    logs.push_back(std::move(log));
  }
  co_return Status::Ok();
}

Task<Status> CloseAll(LogList& logs) {
  Status first;
  for (auto& log : logs) {
    Status s = co_await log->Close();
    if (!s.ok() && first.ok()) first = s;
  }
  co_return first;
}

int RunServe(const ServeOptions& options) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  // Blocked before any thread exists, so only the signalfd ever sees them.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC);
  if (signal_fd < 0) {
    spdlog::critical("signalfd failed");
    return 1;
  }
  Result<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.ok()) {
    spdlog::critical("cannot create io_uring: {}", loop.status().ToString());
    return 1;
  }
  storage::io::UringFileSystem fs(**loop);
  LogList logs;
  Status opened = (*loop)->Run(OpenAll(fs, **loop, options.data_dir, logs));
  if (!opened.ok()) {
    spdlog::critical("cannot open data directory {}: {}", options.data_dir, opened.ToString());
    return 1;
  }
  spdlog::info("millstream serving data directory {} ({} partitions); Kafka listener on {} comes with the broker (issue 3)",
               options.data_dir, logs.size(), options.listen);
  int signo = (*loop)->Run(WaitForSignal(**loop, signal_fd));
  spdlog::info("signal {} received: closing logs", signo);
  Status closed = (*loop)->Run(CloseAll(logs));
  close(signal_fd);
  if (!closed.ok()) {
    spdlog::error("closing logs: {}", closed.ToString());
    return 1;
  }
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace

CommandRunner RegisterServe(CLI::App& app) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand("serve", "Run the broker on a data directory");
  cmd->add_option("--data-dir", options->data_dir, "Data directory")->capture_default_str();
  cmd->add_option("--listen", options->listen, "Kafka listener HOST:PORT")->capture_default_str();
  return [options] { return RunServe(*options); };
}

}  // namespace millstream::tools
