#include "tests/support/process.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>

namespace millstream::testing {

namespace {

pid_t Spawn(const std::string& binary, const std::vector<std::string>& args, int* out_fd) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  *out_fd = fds[0];
  return pid;
}

int ExitCode(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return -1;
}

}  // namespace

std::string MillstreamBinary() {
  const char* path = std::getenv("MILLSTREAM_BINARY");
  return path != nullptr ? path : "build/millstream";
}

CommandResult RunCommand(const std::string& binary, const std::vector<std::string>& args) {
  CommandResult result;
  int fd = -1;
  pid_t pid = Spawn(binary, args, &fd);
  if (pid < 0) return result;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) result.out.append(buf, n);
  close(fd);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  result.exit_code = ExitCode(wstatus);
  return result;
}

ChildProcess::ChildProcess(const std::string& binary, const std::vector<std::string>& args) {
  pid_ = Spawn(binary, args, &fd_);
  if (fd_ >= 0) reader_ = std::thread([this] { ReadUntilEnd(); });
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (reader_.joinable()) reader_.join();  // the pipe ends with the child
  if (fd_ >= 0) close(fd_);
}

void ChildProcess::ReadUntilEnd() {
  char buf[4096];
  for (ssize_t n; (n = read(fd_, buf, sizeof(buf))) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    std::lock_guard lock(mu_);
    output_.append(buf, static_cast<size_t>(n));
    grew_.notify_all();
  }
}

std::string ChildProcess::output() const {
  std::lock_guard lock(mu_);
  return output_;
}

bool ChildProcess::WaitForOutput(const std::string& text, int timeout_ms) {
  std::unique_lock lock(mu_);
  return grew_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                        [&] { return output_.find(text) != std::string::npos; });
}

int ChildProcess::Stop(int signo) {
  if (pid_ <= 0) return -1;
  kill(pid_, signo);
  int wstatus = 0;
  waitpid(pid_, &wstatus, 0);
  pid_ = -1;
  if (reader_.joinable()) reader_.join();  // everything it wrote is in output_
  return ExitCode(wstatus);
}

}  // namespace millstream::testing
