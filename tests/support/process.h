// Running the `millstream` binary from tests: one-shot commands with their output,
// and a server child that is waited for and signalled.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace millstream::testing {

// The path of the built `millstream` binary (MILLSTREAM_BINARY, set by CMake).
std::string MillstreamBinary();

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr, interleaved
};

// Runs `binary args...` to completion.
CommandResult RunCommand(const std::string& binary, const std::vector<std::string>& args);

// A child process whose stdout and stderr are read all the time by a thread of
// its own: a child that writes more than a pipe holds (a broker logging a storm
// of connections) must never block on its output because the test is busy.
class ChildProcess {
 public:
  ChildProcess(const std::string& binary, const std::vector<std::string>& args);
  ~ChildProcess();  // kills the child if it still runs
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Reads output until a line contains `text` or `timeout_ms` passes; true if seen.
  bool WaitForOutput(const std::string& text, int timeout_ms);
  // Sends `signo` and waits for the exit; returns the exit code (128+n if killed).
  int Stop(int signo);
  // Everything the child wrote so far.
  std::string output() const;

 private:
  void ReadUntilEnd();  // the reader thread
  pid_t pid_ = -1;
  int fd_ = -1;
  mutable std::mutex mu_;
  std::condition_variable grew_;
  std::string output_;  // guarded by mu_
  std::thread reader_;
};

}  // namespace millstream::testing
