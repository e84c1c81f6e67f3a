// A real `millstream serve` for tests: started on 127.0.0.1 with an ephemeral
// port and a temporary data directory, stopped (SIGTERM) or killed (SIGKILL), and
// restarted on the same directory.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "storage/io/testing/test_backends.h"
#include "tests/support/process.h"

namespace millstream::testing {

class BrokerProcess {
 public:
  // Extra `serve` flags go in `flags`.
  explicit BrokerProcess(std::vector<std::string> flags = {});
  ~BrokerProcess();

  // Starts the broker; false (with the output in output()) if it did not come up.
  bool Start();
  int Stop();  // SIGTERM; the exit code
  void Kill();  // SIGKILL
  bool Restart() { return Stop() == 0 && Start(); }

  // Waits until the broker's log shows `text` (or `timeout_ms` passes).
  bool WaitForLog(const std::string& text, int timeout_ms) {
    return process_ && process_->WaitForOutput(text, timeout_ms);
  }
  const std::string& bootstrap() const { return bootstrap_; }
  // The HTTP listener's port (0 when the flags turned it off).
  int http_port() const { return http_port_; }
  const std::string& data_dir() const { return dir_.path(); }
  std::string output() const;

 private:
  std::vector<std::string> flags_;
  storage::io::testing::TempDir dir_;
  std::unique_ptr<ChildProcess> process_;
  std::string bootstrap_;
  int http_port_ = 0;
  std::string past_output_;
};

// Runs kcat with `args` (and `input` on stdin when given); returns exit and output.
CommandResult Kcat(const std::vector<std::string>& args, const std::string& input = "");

}  // namespace millstream::testing
