// Behaviour only the kernel backend has: the O_DIRECT fallback, alignment checks,
// real kernel errors travelling through the ring, and the link between a short write
// and its fdatasync. Behaviour every backend shares is in
// file_system_conformance_test.cc; errno mapping is in completion_status_test.cc.
#include "storage/io/testing/test_backends.h"
#include "storage/io/uring_file_system.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "base/bytes.h"
#include "base/event_loop.h"

namespace millstream::storage::io {
namespace {

using testing::TempDir;
using testing::TmpRoot;

constexpr long kTmpfsMagic = 0x01021994;  // TMPFS_MAGIC from <linux/magic.h>

bool IsTmpfs(const std::string& path) {
  struct statfs st;
  return ::statfs(path.c_str(), &st) == 0 && static_cast<long>(st.f_type) == kTmpfsMagic;
}

class UringFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }

  std::string PathOf(const std::string& name) const { return JoinPath(dir_.path(), name); }
  std::unique_ptr<File> Open(const std::string& path, OpenOptions options) {
    Result<std::unique_ptr<File>> file = fs_->Open(path, options);
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    return file.ok() ? std::move(file).value() : nullptr;
  }
  Result<size_t> WriteThenSync(File& file, uint64_t pos, ConstBytes data) {
    ConstBytes pieces[1] = {data};
    return loop_->Run(file.WriteThenSync(FilePos(pos), pieces));
  }

  TempDir dir_{TmpRoot()};
  std::unique_ptr<EventLoop> loop_ = EventLoop::Create().value();
  std::unique_ptr<UringFileSystem> fs_ = std::make_unique<UringFileSystem>(*loop_);
};

TEST_F(UringFileSystemTest, DirectOpenFallsBackToBufferedWhenRefused) {
  // The kernel refuses O_DIRECT on a FIFO with EINVAL, as older tmpfs does on files.
  ASSERT_EQ(::mkfifo(PathOf("fifo").c_str(), 0644), 0);
  std::unique_ptr<File> file = Open(PathOf("fifo"), {.direct = true});
  EXPECT_NE(file, nullptr);
  EXPECT_EQ(fs_->direct_fallbacks(), 1u);
}

TEST_F(UringFileSystemTest, DirectOpenOfARegularFileNeedsNoFallback) {
  std::unique_ptr<File> file = Open(PathOf("a.log"), {.create = true, .direct = true});
  EXPECT_NE(file, nullptr);
  EXPECT_EQ(fs_->direct_fallbacks(), 0u);
}

TEST_F(UringFileSystemTest, DirectIoWorksOnTmpfs) {
  if (!IsTmpfs("/dev/shm")) GTEST_SKIP() << "/dev/shm is not tmpfs";
  TempDir shm("/dev/shm");
  ASSERT_FALSE(shm.path().empty());
  std::unique_ptr<File> file =
      Open(JoinPath(shm.path(), "a.log"), {.create = true, .exclusive = true, .direct = true});
  ASSERT_NE(file, nullptr);
  AlignedBuffer data(kIoAlignment);
  std::memset(data.data(), 'x', data.size());
  ASSERT_TRUE(loop_->Run(WriteFully(*file, FilePos(0), data.span())).ok());
  AlignedBuffer back(kIoAlignment);
  ASSERT_TRUE(loop_->Run(ReadFully(*file, FilePos(0), back.span())).ok());
  EXPECT_EQ(std::memcmp(back.data(), data.data(), kIoAlignment), 0);
}

TEST_F(UringFileSystemTest, UnalignedDirectIoIsInvalidArgument) {
  std::unique_ptr<File> file = Open(PathOf("a.log"), {.create = true, .direct = true});
  ASSERT_NE(file, nullptr);
  AlignedBuffer buffer(2 * kIoAlignment);
  ConstBytes short_piece[1] = {ConstBytes(buffer.data(), 100)};
  Result<size_t> n = loop_->Run(file->Write(FilePos(0), short_piece));
  EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument) << n.status().ToString();
  ConstBytes aligned[1] = {ConstBytes(buffer.data(), kIoAlignment)};
  n = loop_->Run(file->WriteThenSync(FilePos(512), aligned));
  EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument) << n.status().ToString();
  n = loop_->Run(file->Read(FilePos(0), MutableBytes(buffer.data() + 1, kIoAlignment)));
  EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument) << n.status().ToString();
}

TEST_F(UringFileSystemTest, FailedLinkedWriteReportsTheWriteErrorNotTheCancelledSync) {
  ASSERT_TRUE(Open(PathOf("a.log"), {.create = true}) != nullptr);
  std::unique_ptr<File> file = Open(PathOf("a.log"), {.read_only = true});
  ASSERT_NE(file, nullptr);
  Result<size_t> n = WriteThenSync(*file, 0, AsBytes("abc"));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().sys_errno(), EBADF) << n.status().ToString();
  EXPECT_EQ(loop_->in_flight(), 0u);
}

// Restores RLIMIT_FSIZE and SIGXFSZ however the test ends.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    rlimit limit = {bytes, saved_.rlim_max};
    ok_ = ::setrlimit(RLIMIT_FSIZE, &limit) == 0;
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    ::signal(SIGXFSZ, old_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;
  bool ok() const { return ok_; }

 private:
  rlimit saved_{};
  sighandler_t old_handler_;
  bool ok_ = false;
};

TEST_F(UringFileSystemTest, ShortLinkedWriteReturnsTheShortCount) {
  std::unique_ptr<File> file = Open(PathOf("a.log"), {.create = true});
  ASSERT_NE(file, nullptr);
  std::string data(8192, 'x');
  Result<size_t> n = size_t{0};
  {
    // The kernel cuts a write that crosses RLIMIT_FSIZE short; the linked sync is
    // then cancelled and only the write's count comes back.
    FileSizeLimit limit(5000);
    ASSERT_TRUE(limit.ok());
    n = WriteThenSync(*file, 0, AsBytes(data));
  }
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 5000u);
  EXPECT_EQ(loop_->in_flight(), 0u);
  // The caller finishes the write the usual way.
  EXPECT_TRUE(loop_->Run(WriteFullyThenSync(*file, FilePos(0), AsBytes(data))).ok());
}

TEST_F(UringFileSystemTest, MorePiecesThanOneOperationTakesIsAShortWrite) {
  std::unique_ptr<File> file = Open(PathOf("a.log"), {.create = true});
  ASSERT_NE(file, nullptr);
  std::string data(IOV_MAX + 10, 'y');
  std::vector<ConstBytes> pieces;
  for (size_t i = 0; i < data.size(); ++i) pieces.push_back(AsBytes(data).subspan(i, 1));
  Result<size_t> n = loop_->Run(file->Write(FilePos(0), pieces));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, static_cast<size_t>(IOV_MAX));
  n = loop_->Run(file->WriteThenSync(FilePos(0), pieces));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, static_cast<size_t>(IOV_MAX));
}

TEST_F(UringFileSystemTest, EmptyPiecesDoNotCountTowardsThePieceLimit) {
  std::unique_ptr<File> file = Open(PathOf("a.log"), {.create = true});
  ASSERT_NE(file, nullptr);
  std::vector<ConstBytes> pieces(IOV_MAX + 10, ConstBytes());
  pieces.front() = AsBytes("ab");
  pieces.back() = AsBytes("cd");
  Result<size_t> n = loop_->Run(file->WriteThenSync(FilePos(0), pieces));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 4u);
}

TEST_F(UringFileSystemTest, AllocateBeyondTheFileSystemIsNoSpace) {
  // tmpfs refuses an impossible fallocate up front, without filling memory first.
  if (!IsTmpfs("/dev/shm")) GTEST_SKIP() << "/dev/shm is not tmpfs";
  TempDir shm("/dev/shm");
  ASSERT_FALSE(shm.path().empty());
  struct statvfs st;
  ASSERT_EQ(::statvfs(shm.path().c_str(), &st), 0);
  if (st.f_blocks == 0) GTEST_SKIP() << "/dev/shm has no size limit";
  std::unique_ptr<File> file = Open(JoinPath(shm.path(), "a.log"), {.create = true});
  ASSERT_NE(file, nullptr);
  Status s = file->Allocate(0, 2 * static_cast<uint64_t>(st.f_blocks) * st.f_frsize);
  EXPECT_EQ(s.code(), StatusCode::kNoSpace) << s.ToString();
  EXPECT_EQ(s.sys_errno(), ENOSPC);
}

TEST_F(UringFileSystemTest, OpenMissingFileNamesThePath) {
  Result<std::unique_ptr<File>> file = fs_->Open(PathOf("missing"), {});
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().sys_errno(), ENOENT);
  EXPECT_NE(file.status().message().find(PathOf("missing")), std::string::npos);
}

TEST_F(UringFileSystemTest, ListOfAMissingDirectoryIsNotFound) {
  Result<std::vector<std::string>> names = fs_->List(PathOf("missing"));
  EXPECT_EQ(names.status().code(), StatusCode::kNotFound) << names.status().ToString();
}

TEST_F(UringFileSystemTest, CreateDirsThroughAFileFails) {
  ASSERT_NE(Open(PathOf("file"), {.create = true}), nullptr);
  Status s = fs_->CreateDirs(PathOf("file/sub"));
  EXPECT_FALSE(s.ok());
  s = fs_->CreateDirs(PathOf("file"));
  EXPECT_EQ(s.sys_errno(), ENOTDIR) << s.ToString();
  Result<bool> exists = fs_->Exists(PathOf("file/sub"));
  ASSERT_TRUE(exists.ok());
  EXPECT_FALSE(*exists);
}

TEST_F(UringFileSystemTest, RemoveDirOfANonEmptyDirectoryFails) {
  ASSERT_TRUE(fs_->CreateDirs(PathOf("d")).ok());
  ASSERT_NE(Open(PathOf("d/f"), {.create = true}), nullptr);
  Status s = fs_->RemoveDir(PathOf("d"));
  EXPECT_EQ(s.code(), StatusCode::kIoError) << s.ToString();
  EXPECT_EQ(s.sys_errno(), ENOTEMPTY);
}

TEST_F(UringFileSystemTest, FileOutlivesItsFileSystem) {
  std::unique_ptr<File> file = Open(PathOf("a.log"), {.create = true});
  ASSERT_NE(file, nullptr);
  fs_.reset();
  EXPECT_TRUE(loop_->Run(WriteFullyThenSync(*file, FilePos(0), AsBytes("still here"))).ok());
}

}  // namespace
}  // namespace millstream::storage::io
