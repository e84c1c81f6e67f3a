// One suite, every backend (STYLE.md section 7): the behaviour the storage engine
// relies on, written against the FileSystem interface only. A backend takes part
// through a small traits struct that makes the file system and the root directory
// the test works in.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/event_loop.h"
#include "storage/io/file_system.h"
#include "storage/io/testing/test_backends.h"
#include "storage/io/uring_file_system.h"

namespace millstream::storage::io {
namespace {

using testing::BackendName;
using testing::Backends;

template <typename Backend>
class FileSystemConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(backend_.root().empty()) << "could not create a temporary directory";
    ASSERT_TRUE(fs_->CreateDirs(backend_.root()).ok());
  }

  std::string PathOf(const std::string& name) const { return JoinPath(backend_.root(), name); }

  std::unique_ptr<File> Open(const std::string& name, OpenOptions options) {
    Result<std::unique_ptr<File>> file = fs_->Open(PathOf(name), options);
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    return file.ok() ? std::move(file).value() : nullptr;
  }
  std::unique_ptr<File> Create(const std::string& name) { return Open(name, {.create = true}); }
  // A file holding `contents`, closed again.
  void MakeFile(const std::string& name, std::string_view contents) {
    std::unique_ptr<File> file = Create(name);
    ASSERT_NE(file, nullptr);
    ASSERT_TRUE(loop_->Run(WriteFully(*file, FilePos(0), AsBytes(contents))).ok());
  }

  // One Write call of `pieces` at `pos`.
  Result<size_t> Write(File& file, uint64_t pos, std::initializer_list<std::string_view> pieces) {
    std::vector<ConstBytes> spans;
    for (std::string_view piece : pieces) spans.push_back(AsBytes(piece));
    return loop_->Run(file.Write(FilePos(pos), spans));
  }
  Result<size_t> WriteThenSync(File& file, uint64_t pos,
                               std::initializer_list<std::string_view> pieces) {
    std::vector<ConstBytes> spans;
    for (std::string_view piece : pieces) spans.push_back(AsBytes(piece));
    return loop_->Run(file.WriteThenSync(FilePos(pos), spans));
  }
  // One Read call of up to `len` bytes at `pos`; what it returned, as a string.
  std::string Read(File& file, uint64_t pos, size_t len) {
    std::string out(len, '\0');
    Result<size_t> n = loop_->Run(file.Read(
        FilePos(pos), MutableBytes(reinterpret_cast<std::byte*>(out.data()), out.size())));
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    out.resize(n.ok() ? *n : 0);
    return out;
  }
  std::string ReadFile(const std::string& name) {
    std::unique_ptr<File> file = Open(name, {.read_only = true});
    if (file == nullptr) return "";
    Result<uint64_t> size = file->Size();
    EXPECT_TRUE(size.ok());
    return size.ok() ? Read(*file, 0, *size) : "";
  }
  uint64_t SizeOf(File& file) {
    Result<uint64_t> size = file.Size();
    EXPECT_TRUE(size.ok()) << size.status().ToString();
    return size.ok() ? *size : 0;
  }
  bool Exists(const std::string& name) {
    Result<bool> exists = fs_->Exists(PathOf(name));
    EXPECT_TRUE(exists.ok()) << exists.status().ToString();
    return exists.ok() && *exists;
  }

  // Declared in this order so that they are destroyed file system first, loop
  // second and the directory last.
  Backend backend_;
  std::unique_ptr<EventLoop> loop_ = EventLoop::Create().value();
  std::unique_ptr<FileSystem> fs_ = backend_.Make(*loop_);
};

TYPED_TEST_SUITE(FileSystemConformanceTest, Backends, BackendName);

TYPED_TEST(FileSystemConformanceTest, WriteThenReadRoundTrips) {
  std::unique_ptr<File> file = this->Create("a.log");
  Result<size_t> n = this->Write(*file, 0, {"hello world"});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 11u);
  EXPECT_EQ(this->Read(*file, 0, 11), "hello world");
  EXPECT_EQ(this->Read(*file, 6, 5), "world");
  EXPECT_EQ(this->SizeOf(*file), 11u);
}

TYPED_TEST(FileSystemConformanceTest, ScatterWriteLandsPiecesBackToBack) {
  std::unique_ptr<File> file = this->Create("a.log");
  Result<size_t> n = this->Write(*file, 0, {"abc", "", "defg", "hi"});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 9u);
  EXPECT_EQ(this->Read(*file, 0, 9), "abcdefghi");
}

TYPED_TEST(FileSystemConformanceTest, WriteAtPositionOverwritesInPlace) {
  std::unique_ptr<File> file = this->Create("a.log");
  ASSERT_TRUE(this->Write(*file, 0, {"0123456789"}).ok());
  ASSERT_TRUE(this->Write(*file, 3, {"ab", "c"}).ok());
  EXPECT_EQ(this->Read(*file, 0, 10), "012abc6789");
  EXPECT_EQ(this->SizeOf(*file), 10u);
}

TYPED_TEST(FileSystemConformanceTest, WriteBeyondTheEndLeavesZerosInTheGap) {
  std::unique_ptr<File> file = this->Create("a.log");
  ASSERT_TRUE(this->Write(*file, 4, {"xy"}).ok());
  EXPECT_EQ(this->Read(*file, 0, 6), std::string("\0\0\0\0xy", 6));
}

TYPED_TEST(FileSystemConformanceTest, WriteThenSyncReturnsTheFullCount) {
  std::unique_ptr<File> file = this->Create("a.log");
  Result<size_t> n = this->WriteThenSync(*file, 0, {"durable", " ", "bytes"});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 13u);
  EXPECT_EQ(this->Read(*file, 0, 13), "durable bytes");
}

TYPED_TEST(FileSystemConformanceTest, DataSyncSucceeds) {
  std::unique_ptr<File> file = this->Create("a.log");
  ASSERT_TRUE(this->Write(*file, 0, {"abc"}).ok());
  EXPECT_TRUE(this->loop_->Run(file->DataSync()).ok());
}

TYPED_TEST(FileSystemConformanceTest, ReadPastTheEndIsShort) {
  std::unique_ptr<File> file = this->Create("a.log");
  ASSERT_TRUE(this->Write(*file, 0, {"0123456789"}).ok());
  EXPECT_EQ(this->Read(*file, 5, 20), "56789");
  EXPECT_EQ(this->Read(*file, 10, 4), "");
  EXPECT_EQ(this->Read(*file, 100, 4), "");
}

TYPED_TEST(FileSystemConformanceTest, OpenOfAMissingFileIsNotFound) {
  Result<std::unique_ptr<File>> file = this->fs_->Open(this->PathOf("missing"), {});
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), StatusCode::kNotFound) << file.status().ToString();
}

TYPED_TEST(FileSystemConformanceTest, ExclusiveCreateOfAnExistingFileFails) {
  this->MakeFile("a.log", "old");
  Result<std::unique_ptr<File>> file =
      this->fs_->Open(this->PathOf("a.log"), {.create = true, .exclusive = true});
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), StatusCode::kInvalidArgument) << file.status().ToString();
  EXPECT_EQ(this->ReadFile("a.log"), "old");
}

TYPED_TEST(FileSystemConformanceTest, ExclusiveCreateOfANewFileSucceeds) {
  std::unique_ptr<File> file = this->Open("a.log", {.create = true, .exclusive = true});
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(this->SizeOf(*file), 0u);
  EXPECT_EQ(file->path(), this->PathOf("a.log"));
}

TYPED_TEST(FileSystemConformanceTest, ReopenedFileHoldsWhatWasWritten) {
  this->MakeFile("a.log", "kept");
  std::unique_ptr<File> file = this->Open("a.log", {});
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(this->Read(*file, 0, 10), "kept");
}

TYPED_TEST(FileSystemConformanceTest, RenameReplacesTheTarget) {
  this->MakeFile("new", "new contents");
  this->MakeFile("old", "old");
  ASSERT_TRUE(this->fs_->Rename(this->PathOf("new"), this->PathOf("old")).ok());
  EXPECT_FALSE(this->Exists("new"));
  EXPECT_EQ(this->ReadFile("old"), "new contents");
}

TYPED_TEST(FileSystemConformanceTest, ListReturnsSortedNamesWithoutDots) {
  this->MakeFile("c", "");
  this->MakeFile("a", "");
  this->MakeFile("b", "");
  ASSERT_TRUE(this->fs_->CreateDirs(this->PathOf("d")).ok());
  Result<std::vector<std::string>> names = this->fs_->List(this->backend_.root());
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b", "c", "d"}));
}

TYPED_TEST(FileSystemConformanceTest, RemoveDeletesAndRemovingAgainIsNotFound) {
  this->MakeFile("a.log", "x");
  ASSERT_TRUE(this->fs_->Remove(this->PathOf("a.log")).ok());
  EXPECT_FALSE(this->Exists("a.log"));
  Status again = this->fs_->Remove(this->PathOf("a.log"));
  EXPECT_EQ(again.code(), StatusCode::kNotFound) << again.ToString();
}

TYPED_TEST(FileSystemConformanceTest, TruncateShrinksAndGrowsWithZeros) {
  std::unique_ptr<File> file = this->Create("a.log");
  ASSERT_TRUE(this->Write(*file, 0, {"0123456789"}).ok());
  ASSERT_TRUE(file->Truncate(4).ok());
  EXPECT_EQ(this->SizeOf(*file), 4u);
  EXPECT_EQ(this->Read(*file, 0, 10), "0123");
  ASSERT_TRUE(file->Truncate(8).ok());
  EXPECT_EQ(this->SizeOf(*file), 8u);
  EXPECT_EQ(this->Read(*file, 0, 10), std::string("0123\0\0\0\0", 8));
}

TYPED_TEST(FileSystemConformanceTest, AllocateExtendsTheSizeButNeverShrinksIt) {
  std::unique_ptr<File> file = this->Create("a.log");
  ASSERT_TRUE(file->Allocate(0, 8192).ok());
  EXPECT_EQ(this->SizeOf(*file), 8192u);
  ASSERT_TRUE(this->Write(*file, 0, {"inside"}).ok());
  EXPECT_EQ(this->SizeOf(*file), 8192u);
  ASSERT_TRUE(file->Allocate(0, 100).ok());
  EXPECT_EQ(this->SizeOf(*file), 8192u);
  ASSERT_TRUE(file->Allocate(8192, 4096).ok());
  EXPECT_EQ(this->SizeOf(*file), 12288u);
}

TYPED_TEST(FileSystemConformanceTest, DirectWriteAndReadWithAlignedBuffers) {
  std::unique_ptr<File> file = this->Open("a.log", {.create = true, .direct = true});
  ASSERT_NE(file, nullptr);
  AlignedBuffer first(kIoAlignment);
  AlignedBuffer second(kIoAlignment);
  for (size_t i = 0; i < kIoAlignment; ++i) {
    first.data()[i] = std::byte(i % 251);
    second.data()[i] = std::byte(i % 13);
  }
  std::array<ConstBytes, 2> pieces = {first.span(), second.span()};
  Result<size_t> n = this->loop_->Run(file->Write(FilePos(kIoAlignment), pieces));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 2 * kIoAlignment);

  AlignedBuffer back(2 * kIoAlignment);
  ASSERT_TRUE(this->loop_->Run(ReadFully(*file, FilePos(kIoAlignment), back.span())).ok());
  EXPECT_EQ(std::memcmp(back.data(), first.data(), kIoAlignment), 0);
  EXPECT_EQ(std::memcmp(back.data() + kIoAlignment, second.data(), kIoAlignment), 0);
  EXPECT_EQ(this->SizeOf(*file), 3 * kIoAlignment);
}

TYPED_TEST(FileSystemConformanceTest, WriteFullyAndReadFullyRoundTrip) {
  std::unique_ptr<File> file = this->Create("a.log");
  std::string data(100000, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(this->loop_->Run(WriteFully(*file, FilePos(7), AsBytes(data))).ok());
  std::string back(data.size(), '\0');
  MutableBytes out(reinterpret_cast<std::byte*>(back.data()), back.size());
  ASSERT_TRUE(this->loop_->Run(ReadFully(*file, FilePos(7), out)).ok());
  EXPECT_EQ(back, data);
}

TYPED_TEST(FileSystemConformanceTest, ReadFullyPastTheEndIsOutOfRange) {
  this->MakeFile("a.log", "short");
  std::unique_ptr<File> file = this->Open("a.log", {});
  std::string back(10, '\0');
  MutableBytes out(reinterpret_cast<std::byte*>(back.data()), back.size());
  Status s = this->loop_->Run(ReadFully(*file, FilePos(0), out));
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange) << s.ToString();
}

TYPED_TEST(FileSystemConformanceTest, WriteFullyThenSyncWritesEverything) {
  std::unique_ptr<File> file = this->Create("a.log");
  ASSERT_TRUE(this->loop_->Run(WriteFullyThenSync(*file, FilePos(0), AsBytes("synced"))).ok());
  EXPECT_EQ(this->Read(*file, 0, 6), "synced");
}

TYPED_TEST(FileSystemConformanceTest, CreateDirsMakesParentsAndIsIdempotent) {
  std::string nested = this->PathOf("x/y/z");
  ASSERT_TRUE(this->fs_->CreateDirs(nested).ok());
  ASSERT_TRUE(this->fs_->CreateDirs(nested).ok());
  EXPECT_TRUE(this->Exists("x/y/z"));
  Result<std::unique_ptr<File>> file = this->fs_->Open(JoinPath(nested, "f"), {.create = true});
  EXPECT_TRUE(file.ok()) << file.status().ToString();
}

TYPED_TEST(FileSystemConformanceTest, RemoveDirRemovesAnEmptyDirectory) {
  ASSERT_TRUE(this->fs_->CreateDirs(this->PathOf("d")).ok());
  ASSERT_TRUE(this->fs_->RemoveDir(this->PathOf("d")).ok());
  EXPECT_FALSE(this->Exists("d"));
  Status again = this->fs_->RemoveDir(this->PathOf("d"));
  EXPECT_EQ(again.code(), StatusCode::kNotFound) << again.ToString();
}

TYPED_TEST(FileSystemConformanceTest, SyncDirSucceeds) {
  this->MakeFile("a.log", "x");
  EXPECT_TRUE(this->fs_->SyncDir(this->backend_.root()).ok());
}

TYPED_TEST(FileSystemConformanceTest, ExistsTellsFilesFromAbsentNames) {
  this->MakeFile("a.log", "");
  EXPECT_TRUE(this->Exists("a.log"));
  EXPECT_FALSE(this->Exists("b.log"));
}

TYPED_TEST(FileSystemConformanceTest, FreeBytesIsReported) {
  Result<uint64_t> free = this->fs_->FreeBytes(this->backend_.root());
  EXPECT_TRUE(free.ok()) << free.status().ToString();
}

}  // namespace
}  // namespace millstream::storage::io
