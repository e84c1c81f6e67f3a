// FaultyFileSystem over MemFileSystem: each fault action does what its comment
// promises, rules target the calls they name, and a seed replays the same faults.
#include "storage/io/testing/faulty_file_system.h"

#include <gtest/gtest.h>

#include <bit>
#include <cerrno>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/event_loop.h"
#include "storage/io/testing/mem_file_system.h"

namespace millstream::storage::io::testing {
namespace {

constexpr const char* kDir = "/data";
constexpr uint64_t kSeed = 42;

std::string PathOf(const std::string& name) { return JoinPath(kDir, name); }

int DifferingBits(std::string_view a, std::string_view b) {
  int bits = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    bits += std::popcount(static_cast<unsigned char>(a[i] ^ b[i]));
  }
  return bits;
}

// Writes `data` at 0 and appends it to `done` once the write completed.
Task<void> WriteAndRecord(File& file, std::string data, std::vector<std::string>* done) {
  ConstBytes piece[1] = {AsBytes(data)};
  Result<size_t> n = co_await file.Write(FilePos(0), piece);
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  done->push_back(data);
}

class FaultyFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(mem_.CreateDirs(kDir).ok());
    ASSERT_TRUE(mem_.SyncDir(kDir).ok());
  }

  void Add(FaultRule rule) { fs_.plan().Add(std::move(rule)); }

  // Creates `name` through the faulty file system and makes its name durable.
  File& Create(const std::string& name, OpenOptions options = {}) {
    options.create = true;
    File& file = Reopen(name, options);
    EXPECT_TRUE(fs_.SyncDir(kDir).ok());
    return file;
  }
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
  Result<size_t> WriteThenSync(File& file, uint64_t pos, std::string_view data) {
    ConstBytes piece[1] = {AsBytes(data)};
    return loop_->Run(file.WriteThenSync(FilePos(pos), piece));
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
  // What the wrapped MemFileSystem holds for `name` now.
  std::string Contents(const std::string& name) {
    Result<std::string> all = mem_.ReadAll(PathOf(name));
    return all.ok() ? *all : "<missing>";
  }

  std::unique_ptr<EventLoop> loop_ = EventLoop::Create().value();
  MemFileSystem mem_;
  FaultyFileSystem fs_{&mem_, FaultPlan(kSeed), loop_.get()};
  std::map<std::string, std::unique_ptr<File>> files_;
};

TEST_F(FaultyFileSystemTest, WithoutRulesEveryCallGoesThrough) {
  File& file = Create("a.log");
  ASSERT_EQ(Write(file, 0, "hello").value(), 5u);
  EXPECT_EQ(Read(file, 0, 5), "hello");
  EXPECT_EQ(fs_.faults_injected(), 0u);
}

TEST_F(FaultyFileSystemTest, FailEioOnTheNthWriteFailsOnlyThatWrite) {
  Add(FaultRule::OnNth(FaultOp::kWrite, 2).Do(FaultAction::kFailEio));
  File& file = Create("a.log");
  EXPECT_TRUE(Write(file, 0, "a").ok());
  Status failed = Write(file, 1, "b").status();
  EXPECT_EQ(failed.code(), StatusCode::kIoError);
  EXPECT_EQ(failed.sys_errno(), EIO);
  EXPECT_TRUE(Write(file, 1, "c").ok());
  EXPECT_EQ(Contents("a.log"), "ac");
}

TEST_F(FaultyFileSystemTest, FailEnospcIsNoSpaceWithTheErrno) {
  Add(FaultRule::OnNth(FaultOp::kWrite, 1).Do(FaultAction::kFailEnospc));
  Status full = Write(Create("a.log"), 0, "x").status();
  EXPECT_EQ(full.code(), StatusCode::kNoSpace);
  EXPECT_EQ(full.sys_errno(), ENOSPC);
}

TEST_F(FaultyFileSystemTest, ClearingThePlanGivesSpaceBack) {
  Add(FaultRule::Always(FaultOp::kWrite).Do(FaultAction::kFailEnospc));
  File& file = Create("a.log");
  EXPECT_EQ(Write(file, 0, "x").status().code(), StatusCode::kNoSpace);
  EXPECT_EQ(Write(file, 0, "x").status().code(), StatusCode::kNoSpace);
  fs_.plan().Clear();
  EXPECT_TRUE(Write(file, 0, "x").ok());
}

TEST_F(FaultyFileSystemTest, RulesMatchOnlyPathsContainingThePattern) {
  Add(FaultRule::Always(FaultOp::kWrite).Matching(".log"));
  EXPECT_TRUE(Write(Create("a.idx"), 0, "x").ok());
  EXPECT_EQ(Write(Create("a.log"), 0, "x").status().code(), StatusCode::kIoError);
}

TEST_F(FaultyFileSystemTest, FailEioOnOpenCreatesNothing) {
  Add(FaultRule::OnNth(FaultOp::kOpen, 1));
  EXPECT_EQ(fs_.Open(PathOf("a.log"), {.create = true}).status().code(), StatusCode::kIoError);
  EXPECT_FALSE(mem_.Exists(PathOf("a.log")).value());
}

TEST_F(FaultyFileSystemTest, FailedDataSyncLeavesTheDataNotDurable) {
  Add(FaultRule::OnNth(FaultOp::kDataSync, 1));
  File& file = Create("a.log");
  ASSERT_TRUE(Write(file, 0, "x").ok());
  EXPECT_EQ(Sync(file).sys_errno(), EIO);
  mem_.Crash();
  EXPECT_EQ(Contents("a.log"), "");
}

TEST_F(FaultyFileSystemTest, ShortWriteWritesAStrictNonEmptyPrefix) {
  Add(FaultRule::OnNth(FaultOp::kWrite, 1).Do(FaultAction::kShortWrite));
  Result<size_t> n = Write(Create("a.log"), 0, "0123456789");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_GT(*n, 0u);
  EXPECT_LT(*n, 10u);
  EXPECT_EQ(Contents("a.log"), std::string("0123456789").substr(0, *n));
}

TEST_F(FaultyFileSystemTest, ShortWriteOnADirectFileKeepsWholeBlocks) {
  Add(FaultRule::OnNth(FaultOp::kWrite, 1).Do(FaultAction::kShortWrite));
  File& file = Create("a.log", {.direct = true});
  AlignedBuffer buf(4 * kIoAlignment);
  ConstBytes piece[1] = {buf.span()};
  size_t n = loop_->Run(file.Write(FilePos(0), piece)).value();
  EXPECT_EQ(n % kIoAlignment, 0u);
  EXPECT_GT(n, 0u);
  EXPECT_LT(n, 4 * kIoAlignment);
}

TEST_F(FaultyFileSystemTest, ShortWriteThenSyncDoesNotSync) {
  Add(FaultRule::OnNth(FaultOp::kWriteThenSync, 1).Do(FaultAction::kShortWrite));
  EXPECT_LT(WriteThenSync(Create("a.log"), 0, "0123456789").value(), 10u);
  mem_.Crash();
  EXPECT_EQ(Contents("a.log"), "");
}

TEST_F(FaultyFileSystemTest, WriteFullyLoopsOverShortWrites) {
  Add(FaultRule::OnNth(FaultOp::kWrite, 1).Do(FaultAction::kShortWrite));
  Add(FaultRule::OnNth(FaultOp::kWrite, 2).Do(FaultAction::kShortWrite));
  File& file = Create("a.log");
  std::string data(1000, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(loop_->Run(WriteFully(file, FilePos(0), AsBytes(data))).ok());
  EXPECT_EQ(Contents("a.log"), data);
  EXPECT_EQ(fs_.calls(FaultOp::kWrite), 3u);
}

TEST_F(FaultyFileSystemTest, TearAndCrashKeepsASectorAlignedPrefixAndFailsLaterCalls) {
  Add(FaultRule::OnNth(FaultOp::kWrite, 1).Do(FaultAction::kTearAndCrash));
  EXPECT_EQ(Write(Create("a.log"), 0, std::string(4000, 'x')).status().code(),
            StatusCode::kIoError);
  EXPECT_TRUE(fs_.crashed());
  EXPECT_EQ(Contents("a.log").size() % 512, 0u);
  EXPECT_LT(Contents("a.log").size(), 4000u);
  EXPECT_EQ(fs_.Exists(PathOf("a.log")).status().code(), StatusCode::kIoError);
}

TEST_F(FaultyFileSystemTest, TearAndCrashRunsTheCrashHandler) {
  fs_.SetCrashHandler([this] { mem_.Crash(); });
  Add(FaultRule::OnNth(FaultOp::kWrite, 1).Do(FaultAction::kTearAndCrash));
  File& file = Create("a.log");
  ASSERT_TRUE(WriteThenSync(file, 0, "durable").ok());  // a kWriteThenSync, not a kWrite
  EXPECT_FALSE(Write(file, 7, std::string(2000, 'x')).ok());
  EXPECT_EQ(Contents("a.log"), "durable");
}

TEST_F(FaultyFileSystemTest, TearAndCrashOnDataSyncCrashesBeforeSyncing) {
  fs_.SetCrashHandler([this] { mem_.Crash(); });
  Add(FaultRule::OnNth(FaultOp::kDataSync, 1).Do(FaultAction::kTearAndCrash));
  File& file = Create("a.log");
  ASSERT_TRUE(Write(file, 0, "lost").ok());
  EXPECT_EQ(Sync(file).code(), StatusCode::kIoError);
  EXPECT_EQ(Contents("a.log"), "");
}

TEST_F(FaultyFileSystemTest, RestartLetsNewCallsThroughButOldFilesStayDead) {
  File& old = Create("a.log");
  fs_.TriggerCrash();
  fs_.Restart();
  EXPECT_FALSE(fs_.crashed());
  EXPECT_EQ(Write(old, 0, "x").status().code(), StatusCode::kIoError);
  EXPECT_TRUE(Write(Reopen("a.log"), 0, "x").ok());
}

TEST_F(FaultyFileSystemTest, DelayLetsALaterWriteFinishFirst) {
  Add(FaultRule::OnNth(FaultOp::kWrite, 1).Matching("slow").Do(FaultAction::kDelay));
  std::vector<std::string> done;
  loop_->Spawn(WriteAndRecord(Create("slow"), "slow", &done));
  loop_->Spawn(WriteAndRecord(Create("fast"), "fast", &done));
  while (loop_->RunOnce(/*may_block=*/false)) {
  }
  EXPECT_EQ(done, (std::vector<std::string>{"fast", "slow"}));
}

TEST_F(FaultyFileSystemTest, DelayWithoutALoopCompletesAtOnce) {
  FaultyFileSystem no_loop(&mem_, FaultPlan(kSeed), /*loop=*/nullptr);
  no_loop.plan().Add(FaultRule::Always(FaultOp::kWrite).Do(FaultAction::kDelay));
  std::unique_ptr<File> file = no_loop.Open(PathOf("a.log"), {.create = true}).value();
  ConstBytes piece[1] = {AsBytes("x")};
  Task<Result<size_t>> write = file->Write(FilePos(0), piece);
  write.Start();
  EXPECT_TRUE(write.done());
}

TEST_F(FaultyFileSystemTest, FlipBitOnReadChangesOneBitOfTheResultNotTheFile) {
  Add(FaultRule::OnNth(FaultOp::kRead, 1).Do(FaultAction::kFlipBitOnRead));
  File& file = Create("a.log");
  std::string data(64, 'a');
  ASSERT_TRUE(Write(file, 0, data).ok());
  EXPECT_EQ(DifferingBits(Read(file, 0, 64), data), 1);
  EXPECT_EQ(Read(file, 0, 64), data);
}

TEST_F(FaultyFileSystemTest, AnyOperationRuleCountsOnlyCallsItsActionAppliesTo) {
  Add(FaultRule::OnNth(FaultOp::kAny, 2).Do(FaultAction::kShortWrite));
  File& file = Create("a.log");
  ASSERT_EQ(Write(file, 0, "0123").value(), 4u);
  ASSERT_TRUE(Sync(file).ok());
  EXPECT_LT(Write(file, 4, "4567").value(), 4u);
}

TEST_F(FaultyFileSystemTest, CountsCallsPerOperation) {
  File& file = Create("a.log");
  ASSERT_TRUE(Write(file, 0, "a").ok());
  ASSERT_TRUE(Write(file, 1, "b").ok());
  ASSERT_TRUE(Sync(file).ok());
  EXPECT_EQ(fs_.calls(FaultOp::kOpen), 1u);
  EXPECT_EQ(fs_.calls(FaultOp::kWrite), 2u);
  EXPECT_EQ(fs_.calls(FaultOp::kDataSync), 1u);
  EXPECT_EQ(fs_.calls(FaultOp::kAny), 5u);  // and the SyncDir of Create
}

// Which of 64 one-byte writes fail under a 30% EIO rule seeded with `seed`.
std::vector<bool> FailedWrites(uint64_t seed) {
  std::unique_ptr<EventLoop> loop = EventLoop::Create().value();
  MemFileSystem mem;
  FaultPlan plan(seed);
  plan.Add(FaultRule::WithProbability(FaultOp::kWrite, 0.3));
  FaultyFileSystem fs(&mem, std::move(plan));
  std::unique_ptr<File> file = fs.Open("/f", {.create = true}).value();
  std::vector<bool> failed;
  for (uint64_t i = 0; i < 64; ++i) {
    ConstBytes piece[1] = {AsBytes("x")};
    failed.push_back(!loop->Run(file->Write(FilePos(i), piece)).ok());
  }
  return failed;
}

// How much of an 8000-byte write a kTearAndCrash seeded with `seed` keeps.
size_t TornLength(uint64_t seed) {
  std::unique_ptr<EventLoop> loop = EventLoop::Create().value();
  MemFileSystem mem;
  FaultPlan plan(seed);
  plan.Add(FaultRule::OnNth(FaultOp::kWrite, 1).Do(FaultAction::kTearAndCrash));
  FaultyFileSystem fs(&mem, std::move(plan));
  std::unique_ptr<File> file = fs.Open("/f", {.create = true}).value();
  std::string data(8000, 'x');
  ConstBytes piece[1] = {AsBytes(data)};
  loop->Run(file->Write(FilePos(0), piece)).status().IgnoreError();
  return mem.ReadAll("/f").value().size();
}

TEST(FaultyFileSystemSeedTest, SameSeedInjectsTheSameFaults) {
  EXPECT_EQ(FailedWrites(7), FailedWrites(7));
  EXPECT_NE(FailedWrites(7), FailedWrites(8));
}

TEST(FaultyFileSystemSeedTest, SameSeedTearsTheSameWay) {
  for (uint64_t seed = 0; seed < 10; ++seed) EXPECT_EQ(TornLength(seed), TornLength(seed));
}

}  // namespace
}  // namespace millstream::storage::io::testing
