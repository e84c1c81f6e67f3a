// MemFileSystem's own behaviour beyond the FileSystem conformance suite: what
// survives Crash(), name-space durability, O_DIRECT alignment and disk-full.
#include "storage/io/testing/mem_file_system.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "base/event_loop.h"

namespace millstream::storage::io::testing {
namespace {

constexpr const char* kDir = "/data";

class MemFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs_.CreateDirs(kDir).ok());
    ASSERT_TRUE(fs_.SyncDir(kDir).ok());
  }

  static std::string PathOf(const std::string& name) { return JoinPath(kDir, name); }

  // Opens `name` (creating it) and, unless told otherwise, makes its name durable.
  File& Create(const std::string& name, bool sync_dir = true, OpenOptions options = {}) {
    options.create = true;
    File& file = Reopen(name, options);
    if (sync_dir) {
      EXPECT_TRUE(fs_.SyncDir(kDir).ok());
    }
    return file;
  }
  // A fresh File for `name`, replacing the one the fixture held.
  File& Reopen(const std::string& name, OpenOptions options = {}) {
    Result<std::unique_ptr<File>> file = fs_.Open(PathOf(name), options);
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    files_[name] = file.ok() ? std::move(file).value() : nullptr;
    return *files_[name];
  }

  Result<size_t> Write(File& file, uint64_t pos, std::string_view data) {
    ConstBytes piece[1] = {AsBytes(data)};
    return loop_->Run(file.Write(FilePos(pos), piece));
  }
  Status Sync(File& file) { return loop_->Run(file.DataSync()); }
  std::string Read(File& file, uint64_t pos, size_t len) {
    std::string out(len, '\0');
    Result<size_t> n = loop_->Run(
        file.Read(FilePos(pos), MutableBytes(reinterpret_cast<std::byte*>(out.data()), len)));
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    out.resize(n.ok() ? *n : 0);
    return out;
  }
  // Current content of `name`, or "<missing>".
  std::string Contents(const std::string& name) {
    Result<std::string> all = fs_.ReadAll(PathOf(name));
    return all.ok() ? *all : "<missing>";
  }
  bool Exists(const std::string& name) { return fs_.Exists(PathOf(name)).value(); }

  void Crash() {
    fs_.Crash();
    files_.clear();
  }
  void Crash(uint64_t seed) {
    std::mt19937_64 rng(seed);
    fs_.Crash(&rng);
    files_.clear();
  }

  std::unique_ptr<EventLoop> loop_ = EventLoop::Create().value();
  MemFileSystem fs_;
  std::map<std::string, std::unique_ptr<File>> files_;
};

TEST_F(MemFileSystemTest, SyncedWriteSurvivesCrash) {
  File& file = Create("a.log");
  ASSERT_TRUE(Write(file, 0, "hello").ok());
  ASSERT_TRUE(Sync(file).ok());
  Crash();
  EXPECT_EQ(Contents("a.log"), "hello");
}

TEST_F(MemFileSystemTest, UnsyncedWriteIsLostOnCrashWithoutRng) {
  File& file = Create("a.log");
  ASSERT_TRUE(Write(file, 0, "hello").ok());
  ASSERT_TRUE(Sync(file).ok());
  ASSERT_TRUE(Write(file, 5, " world").ok());
  EXPECT_EQ(Contents("a.log"), "hello world");
  Crash();
  EXPECT_EQ(Contents("a.log"), "hello");
}

TEST_F(MemFileSystemTest, WriteThenSyncIsDurable) {
  File& file = Create("a.log");
  ConstBytes piece[1] = {AsBytes("kept")};
  ASSERT_EQ(loop_->Run(file.WriteThenSync(FilePos(0), piece)).value(), 4u);
  Crash();
  EXPECT_EQ(Contents("a.log"), "kept");
}

TEST_F(MemFileSystemTest, UnsyncedTruncateRevertsOnCrash) {
  File& file = Create("a.log");
  ASSERT_TRUE(Write(file, 0, "0123456789").ok());
  ASSERT_TRUE(Sync(file).ok());
  ASSERT_TRUE(file.Truncate(3).ok());
  Crash();
  EXPECT_EQ(Contents("a.log"), "0123456789");
}

// Three unsynced 1 KiB writes of 'a', 'b', 'c': whatever the seed, a crash keeps a
// prefix of them that ends on a 512-byte sector boundary.
class MemFileSystemCrashTest : public MemFileSystemTest {
 protected:
  std::string WriteThreeKiBAndCrash(uint64_t seed) {
    fs_.Remove(PathOf("a.log")).IgnoreError();  // left by the previous seed
    File& file = Create("a.log");
    for (char c : {'a', 'b', 'c'}) {
      EXPECT_TRUE(Write(file, (c - 'a') * 1024, std::string(1024, c)).ok());
    }
    Crash(seed);
    return Contents("a.log");
  }
  const std::string all_ = std::string(1024, 'a') + std::string(1024, 'b') + std::string(1024, 'c');
};

TEST_F(MemFileSystemCrashTest, CrashWithRngKeepsASectorAlignedPrefixOfUnsyncedWrites) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    std::string kept = WriteThreeKiBAndCrash(seed);
    EXPECT_EQ(kept.size() % MemFileSystem::kSectorSize, 0u) << "seed " << seed;
    EXPECT_EQ(kept, all_.substr(0, kept.size())) << "seed " << seed;
  }
}

TEST_F(MemFileSystemCrashTest, CrashWithRngSometimesKeepsAllNoneOrATornWrite) {
  bool all = false, none = false, torn = false;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    std::string kept = WriteThreeKiBAndCrash(seed);
    all |= kept == all_;
    none |= kept.empty();
    torn |= kept.size() % 1024 != 0;
  }
  EXPECT_TRUE(all && none && torn) << all << none << torn;
}

TEST_F(MemFileSystemCrashTest, SameSeedCrashesTheSameWay) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    std::string first = WriteThreeKiBAndCrash(seed);
    EXPECT_EQ(WriteThreeKiBAndCrash(seed), first) << "seed " << seed;
  }
}

TEST_F(MemFileSystemTest, CreatedFileWithoutSyncDirVanishesOnCrash) {
  File& file = Create("a.log", /*sync_dir=*/false);
  ASSERT_TRUE(Write(file, 0, "data").ok());
  ASSERT_TRUE(Sync(file).ok());
  Crash();
  EXPECT_FALSE(Exists("a.log"));
}

TEST_F(MemFileSystemTest, UnsyncedRenameRevertsOnCrash) {
  ASSERT_TRUE(Sync(Create("new")).ok());
  ASSERT_TRUE(Write(Create("old"), 0, "old").ok());
  ASSERT_TRUE(Sync(*files_["old"]).ok());
  ASSERT_TRUE(fs_.Rename(PathOf("new"), PathOf("old")).ok());
  Crash();
  EXPECT_TRUE(Exists("new"));
  EXPECT_EQ(Contents("old"), "old");
}

TEST_F(MemFileSystemTest, SyncedRenameSurvivesCrash) {
  File& file = Create("a.tmp");
  ASSERT_TRUE(Write(file, 0, "final").ok());
  ASSERT_TRUE(Sync(file).ok());
  ASSERT_TRUE(fs_.Rename(PathOf("a.tmp"), PathOf("a")).ok());
  ASSERT_TRUE(fs_.SyncDir(kDir).ok());
  Crash();
  EXPECT_FALSE(Exists("a.tmp"));
  EXPECT_EQ(Contents("a"), "final");
}

TEST_F(MemFileSystemTest, UnsyncedRemoveComesBackWithDurableContent) {
  File& file = Create("a.log");
  ASSERT_TRUE(Write(file, 0, "durable").ok());
  ASSERT_TRUE(Sync(file).ok());
  ASSERT_TRUE(Write(file, 7, " and not").ok());
  ASSERT_TRUE(fs_.Remove(PathOf("a.log")).ok());
  Crash();
  EXPECT_EQ(Contents("a.log"), "durable");
}

TEST_F(MemFileSystemTest, FileOpenedBeforeCrashFailsWithIoError) {
  std::unique_ptr<File> stale = fs_.Open(PathOf("a.log"), {.create = true}).value();
  fs_.Crash();
  Result<size_t> n = Write(*stale, 0, "x");
  EXPECT_EQ(n.status().code(), StatusCode::kIoError);
  EXPECT_NE(n.status().message().find("file system crashed"), std::string::npos);
  EXPECT_EQ(Sync(*stale).code(), StatusCode::kIoError);
}

TEST_F(MemFileSystemTest, DirectFileRejectsUnalignedIo) {
  File& file = Create("a.log", true, {.direct = true});
  AlignedBuffer buf(2 * kIoAlignment);
  ConstBytes misplaced[1] = {buf.span().first(kIoAlignment)};
  ConstBytes odd_length[1] = {buf.span().first(100)};
  ConstBytes odd_address[1] = {buf.span().subspan(512, kIoAlignment)};
  EXPECT_EQ(loop_->Run(file.Write(FilePos(512), misplaced)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(loop_->Run(file.Write(FilePos(0), odd_length)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(loop_->Run(file.Write(FilePos(0), odd_address)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(loop_->Run(file.Read(FilePos(0), buf.span().first(100))).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(MemFileSystemTest, DirectFileAcceptsAlignedIo) {
  File& file = Create("a.log", true, {.direct = true});
  AlignedBuffer buf(kIoAlignment);
  ConstBytes piece[1] = {buf.span()};
  EXPECT_EQ(loop_->Run(file.Write(FilePos(kIoAlignment), piece)).value(), kIoAlignment);
  EXPECT_EQ(loop_->Run(file.Read(FilePos(0), buf.span())).value(), kIoAlignment);
}

TEST_F(MemFileSystemTest, ReadOnlyFileRejectsWrites) {
  Create("a.log");
  File& file = Reopen("a.log", {.read_only = true});
  EXPECT_EQ(Write(file, 0, "x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(file.Truncate(0).code(), StatusCode::kInvalidArgument);
}

TEST_F(MemFileSystemTest, OpenInAMissingDirectoryIsNotFound) {
  Result<std::unique_ptr<File>> file = fs_.Open("/nowhere/a.log", {.create = true});
  EXPECT_EQ(file.status().code(), StatusCode::kNotFound);
}

TEST_F(MemFileSystemTest, WritePastCapacityIsNoSpaceUntilCapacityIsRaised) {
  File& file = Create("a.log");
  fs_.SetCapacity(10);
  ASSERT_TRUE(Write(file, 0, "12345678").ok());
  Status full = Write(file, 8, "abcd").status();
  EXPECT_EQ(full.code(), StatusCode::kNoSpace);
  EXPECT_EQ(full.sys_errno(), ENOSPC);
  fs_.SetCapacity(100);
  EXPECT_TRUE(Write(file, 8, "abcd").ok());
}

TEST_F(MemFileSystemTest, OverwriteInPlaceNeedsNoSpace) {
  File& file = Create("a.log");
  ASSERT_TRUE(Write(file, 0, "12345678").ok());
  fs_.SetCapacity(8);
  EXPECT_TRUE(Write(file, 2, "ab").ok());
}

TEST_F(MemFileSystemTest, AllocatePastCapacityIsNoSpace) {
  File& file = Create("a.log");
  fs_.SetCapacity(4096);
  EXPECT_EQ(file.Allocate(0, 8192).code(), StatusCode::kNoSpace);
  EXPECT_EQ(file.Size().value(), 0u);
}

TEST_F(MemFileSystemTest, FreeBytesIsCapacityMinusUsed) {
  EXPECT_EQ(fs_.FreeBytes(kDir).value(), MemFileSystem::kUnlimitedFreeBytes);
  ASSERT_TRUE(Write(Create("a.log"), 0, "123").ok());
  fs_.SetCapacity(10);
  EXPECT_EQ(fs_.FreeBytes(kDir).value(), 7u);
}

TEST_F(MemFileSystemTest, FlippedByteSurvivesCrash) {
  File& file = Create("a.log");
  ASSERT_TRUE(Write(file, 0, "abc").ok());
  ASSERT_TRUE(Sync(file).ok());
  ASSERT_TRUE(fs_.FlipByte(PathOf("a.log"), 1).ok());
  EXPECT_EQ(Read(file, 0, 3), std::string("a") + static_cast<char>('b' ^ 0xff) + "c");
  Crash();
  EXPECT_EQ(Contents("a.log")[1], static_cast<char>('b' ^ 0xff));
}

TEST_F(MemFileSystemTest, RenamedDirectoryKeepsItsFiles) {
  ASSERT_TRUE(Write(Create("a.log"), 0, "x").ok());
  ASSERT_TRUE(fs_.CreateDirs("/other").ok());
  ASSERT_TRUE(fs_.Rename(kDir, "/other/moved").ok());
  EXPECT_EQ(fs_.ReadAll("/other/moved/a.log").value(), "x");
  EXPECT_FALSE(fs_.Exists(kDir).value());
}

TEST_F(MemFileSystemTest, RemoveDirOfANonEmptyDirectoryFails) {
  Create("a.log");
  Status s = fs_.RemoveDir(kDir);
  EXPECT_EQ(s.sys_errno(), ENOTEMPTY) << s.ToString();
}

TEST_F(MemFileSystemTest, PathsAreNormalized) {
  ASSERT_TRUE(Write(Create("a.log"), 0, "x").ok());
  EXPECT_EQ(fs_.ReadAll("//data/./a.log").value(), "x");
}

}  // namespace
}  // namespace millstream::storage::io::testing
