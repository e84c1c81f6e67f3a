// Running the `millstream` binary from tests: one-shot commands with their output,
// and a server child that is waited for and signalled.
#pragma once

#include <sys/types.h>

#include <string>
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

// A child process whose stdout and stderr are read line by line.
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
  const std::string& output() const { return output_; }

 private:
  void ReadAvailable(int timeout_ms);
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string output_;
};

}  // namespace millstream::testing
