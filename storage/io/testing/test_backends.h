// The two file-system backends that typed storage suites run over (STYLE.md
// section 7): the real kernel file system through io_uring in a fresh temporary
// directory, and MemFileSystem. A suite does TYPED_TEST_SUITE(X, Backends,
// BackendName) and asks its backend for a file system and a root directory.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include <gtest/gtest.h>

#include "base/event_loop.h"
#include "storage/io/file_system.h"
#include "storage/io/testing/mem_file_system.h"
#include "storage/io/uring_file_system.h"

namespace millstream::storage::io::testing {

// $TMPDIR, or /tmp when it is not set.
inline std::string TmpRoot() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
}

// A fresh directory under `parent`, removed with its content at the end.
class TempDir {
 public:
  explicit TempDir(const std::string& parent = TmpRoot()) {
    std::string templ = parent + "/millstream-test-XXXXXX";
    if (::mkdtemp(templ.data()) != nullptr) path_ = templ;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }  // empty when mkdtemp failed

 private:
  std::string path_;
};

struct UringBackend {
  static constexpr const char* kName = "Uring";
  static constexpr bool kCanCrash = false;
  std::unique_ptr<FileSystem> Make(EventLoop& loop) {
    return std::make_unique<UringFileSystem>(loop);
  }
  TempDir dir;
  std::string root() const { return dir.path(); }
};

struct MemBackend {
  static constexpr const char* kName = "Mem";
  static constexpr bool kCanCrash = true;
  std::unique_ptr<FileSystem> Make(EventLoop&) { return std::make_unique<MemFileSystem>(); }
  std::string root() const { return "/data"; }
};

using Backends = ::testing::Types<UringBackend, MemBackend>;

struct BackendName {
  template <typename Backend>
  static std::string GetName(int) {
    return Backend::kName;
  }
};

}  // namespace millstream::storage::io::testing
