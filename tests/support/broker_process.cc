#include "tests/support/broker_process.h"

#include <signal.h>

#include <cstdio>
#include <fstream>

namespace millstream::testing {

BrokerProcess::BrokerProcess(std::vector<std::string> flags) : flags_(std::move(flags)) {}

BrokerProcess::~BrokerProcess() {
  if (process_) process_->Stop(SIGKILL);
}

bool BrokerProcess::Start() {
  // The first start picks a free port; restarts reuse it, as clients expect.
  std::string listen = bootstrap_.empty() ? "127.0.0.1:0" : bootstrap_;
  std::vector<std::string> args = {"serve", "--data-dir", dir_.path(), "--listen", listen};
  args.insert(args.end(), flags_.begin(), flags_.end());
  process_ = std::make_unique<ChildProcess>(MillstreamBinary(), args);
  if (!process_->WaitForOutput("millstream serving data directory", 30000)) return false;
  // "Kafka listener on 127.0.0.1:PORT (" (no std::regex: GCC 12 warns inside it at -O1).
  const std::string& out = process_->output();
  const std::string marker = "Kafka listener on 127.0.0.1:";
  size_t at = out.rfind(marker);
  if (at == std::string::npos) return false;
  size_t start = at + marker.size();
  size_t end = out.find_first_not_of("0123456789", start);
  if (end == start || end == std::string::npos) return false;
  bootstrap_ = "127.0.0.1:" + out.substr(start, end - start);
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
