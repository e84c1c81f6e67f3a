#include "tests/support/broker_process.h"

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace millstream::testing {

BrokerProcess::BrokerProcess(std::vector<std::string> flags) : flags_(std::move(flags)) {}

BrokerProcess::~BrokerProcess() {
  if (process_) process_->Stop(SIGKILL);
}

namespace {

// The port logged after `marker` ("... listener on 127.0.0.1:"), or 0. No
// std::regex: GCC 12 warns inside it at -O1.
int LoggedPort(const std::string& out, const std::string& marker) {
  size_t at = out.rfind(marker);
  if (at == std::string::npos) return 0;
  size_t start = at + marker.size();
  size_t end = out.find_first_not_of("0123456789", start);
  if (end == start || end == std::string::npos) return 0;
  return std::stoi(out.substr(start, end - start));
}

}  // namespace

bool BrokerProcess::Start() {
  // The first start picks free ports; restarts reuse them, as clients expect.
  std::string listen = bootstrap_.empty() ? "127.0.0.1:0" : bootstrap_;
  // A test may put the data elsewhere (a small file system of its own).
  bool dir_flag = std::find(flags_.begin(), flags_.end(), "--data-dir") != flags_.end();
  std::vector<std::string> args = {"serve", "--listen", listen};
  if (!dir_flag) args.insert(args.end(), {"--data-dir", dir_.path()});
  // Every broker of the suite gets its own HTTP port (the default, 9644, would
  // be shared by the tests running in parallel), unless a test chose one itself.
  bool http_flag = std::find(flags_.begin(), flags_.end(), "--http") != flags_.end();
  if (!http_flag) {
    args.insert(args.end(), {"--http", "127.0.0.1:" + std::to_string(http_port_)});
  }
  args.insert(args.end(), flags_.begin(), flags_.end());
  process_ = std::make_unique<ChildProcess>(MillstreamBinary(), args);
  if (!process_->WaitForOutput("millstream serving data directory", 30000)) return false;
  int port = LoggedPort(process_->output(), "Kafka listener on 127.0.0.1:");
  if (port == 0) return false;
  bootstrap_ = "127.0.0.1:" + std::to_string(port);
  http_port_ = LoggedPort(process_->output(), "HTTP listener on 127.0.0.1:");
  return true;
}

int BrokerProcess::Stop() {
  if (!process_) return -1;
  int code = process_->Stop(SIGTERM);
  past_output_ += process_->output();
  process_.reset();
  return code;
}

void BrokerProcess::Kill() {
  if (!process_) return;
  process_->Stop(SIGKILL);
  past_output_ += process_->output();
  process_.reset();
  // The next start takes a new port. A killed process's io_uring is torn down by
  // the kernel after the process is gone, and a listening socket that a pending
  // accept still holds stays in the SO_REUSEPORT group until then: a connection
  // routed to it is reset. Real clients reconnect; tests should not race it.
  bootstrap_.clear();
  http_port_ = 0;
}

std::string BrokerProcess::output() const {
  return past_output_ + (process_ ? process_->output() : "");
}

CommandResult Kcat(const std::vector<std::string>& args, const std::string& input) {
  // kcat reads its records from stdin: hand them over through a file.
  std::vector<std::string> full = args;
  std::string path;
  if (!input.empty()) {
    char templ[] = "/tmp/millstream-kcat-XXXXXX";
    int fd = mkstemp(templ);
    if (fd >= 0) close(fd);
    path = templ;
    std::ofstream(path, std::ios::binary) << input;
    std::vector<std::string> shell = {"-c", "exec kcat \"$@\" < " + path, "kcat"};
    shell.insert(shell.end(), full.begin(), full.end());
    CommandResult r = RunCommand("/bin/sh", shell);
    std::remove(path.c_str());
    return r;
  }
  return RunCommand("/usr/bin/kcat", full);
}

}  // namespace millstream::testing
