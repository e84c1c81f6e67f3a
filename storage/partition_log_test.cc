// PartitionLog behaviour over both file-system backends (io_uring on a temporary
// directory, and memory), plus fault cases that need the in-memory one.
#include "storage/partition_log.h"

#include <gtest/gtest.h>

#include "base/clock.h"
#include "storage/batch_builder.h"
#include "storage/io/testing/faulty_file_system.h"
#include "storage/io/testing/test_backends.h"
#include "storage/record_batch_format.h"

namespace millstream::storage {
namespace {

using io::testing::BackendName;
using io::testing::Backends;

std::vector<std::byte> Batch(std::string_view value, int records = 1, int64_t ts = 1000) {
  BatchBuilder b;
  for (int i = 0; i < records; ++i) b.Add("key", value, TimestampMs(ts + i));
  return b.Build();
}

// Runs the log's coroutines to completion on the test's loop.
Task<Result<AppendInfo>> AppendDurable(PartitionLog& log, std::vector<std::byte> batch) {
  Result<AppendInfo> info = co_await log.Append(batch);
  if (!info.ok()) co_return info;
  Status durable = co_await log.WaitDurable(*info);
  if (!durable.ok()) co_return durable;
  co_return info;
}

template <typename Backend>
class PartitionLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.segment_bytes = 64 * 1024;
    config_.write_buffer_bytes = 64 * 1024;
    config_.index_interval_bytes = 256;
    Open();
  }
  void TearDown() override {
    if (log_) Close();
  }

  std::string Dir() const { return io::JoinPath(backend_.root(), "topics/t/0"); }
  void Open() {
    report_ = RecoveryReport{};
    auto log = loop_->Run(PartitionLog::Open(*fs_, *loop_, clock_, Dir(), config_, &report_));
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(*log);
  }
  void Close() {
    ASSERT_TRUE(loop_->Run(log_->Close()).ok());
    log_.reset();
  }
  void Reopen() {
    Close();
    Open();
  }
  AppendInfo Write(std::string_view value, int records = 1, int64_t ts = 1000) {
    auto info = loop_->Run(AppendDurable(*log_, Batch(value, records, ts)));
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info.ok() ? *info : AppendInfo{};
  }
  // Every value from `from` on, in offset order, one per record.
  std::vector<std::string> Values(Offset from = Offset(0)) {
    std::vector<std::string> out;
    Offset next = from;
    while (next < log_->written_end_offset()) {
      auto read = loop_->Run(log_->Read(next, 1 << 20));
      EXPECT_TRUE(read.ok()) << read.status().ToString();
      if (!read.ok() || read->bytes.empty()) break;
      ConstBytes rest = read->bytes;
      while (!rest.empty()) {
        BatchHeader h = *PeekBatchHeader(rest);
        RecordReader records(h, rest.subspan(batch_format::kRecords, h.total_size() - batch_format::kRecords));
        while (auto r = records.Next()) {
          if (r->offset >= next) out.emplace_back(AsStringView(*r->value));
        }
        rest = rest.subspan(h.total_size());
      }
      next = read->next_offset;
    }
    return out;
  }
  // Writes batches "a", "b", "c", closes the log, flips a byte inside "b" and
  // removes the offset index, so that the next open scans over the damage.
  // Returns where "b" starts.
  uint64_t DamageTheSecondOfThreeBatches() {
    Write("a");
    uint64_t second = log_->size_bytes();
    Write("b");
    Write("c");
    Close();
    auto file = fs_->Open(LogPath(0), {});
    EXPECT_TRUE(file.ok());
    std::byte bad{0x5a};
    EXPECT_TRUE(loop_->Run(io::WriteFully(**file, FilePos(second + 70), ConstBytes(&bad, 1))).ok());
    file->reset();
    EXPECT_TRUE(fs_->Remove(io::JoinPath(Dir(), SegmentFileName(Offset(0), kIndexExtension))).ok());
    return second;
  }
  std::string LogPath(int64_t base) const {
    return io::JoinPath(Dir(), SegmentFileName(Offset(base), kLogExtension));
  }

  Backend backend_;
  std::unique_ptr<EventLoop> loop_ = EventLoop::Create().value();
  std::unique_ptr<io::FileSystem> fs_ = backend_.Make(*loop_);
  ManualClock clock_;
  LogConfig config_;
  RecoveryReport report_;
  std::unique_ptr<PartitionLog> log_;
};

TYPED_TEST_SUITE(PartitionLogTest, Backends, BackendName);

TYPED_TEST(PartitionLogTest, AppendAssignsConsecutiveOffsets) {
  EXPECT_EQ(this->Write("a", 3).base_offset, Offset(0));
  EXPECT_EQ(this->Write("b", 2).base_offset, Offset(3));
  EXPECT_EQ(this->log_->next_offset(), Offset(5));
}

TYPED_TEST(PartitionLogTest, TheActiveSegmentReservesSpaceAheadNotAWholeSegment) {
  this->Close();  // start over with a small reservation
  Result<std::vector<std::string>> names = this->fs_->List(this->Dir());
  ASSERT_TRUE(names.ok());
  for (const std::string& name : *names) {
    ASSERT_TRUE(this->fs_->Remove(io::JoinPath(this->Dir(), name)).ok());
  }
  this->config_.segment_bytes = 1 << 20;
  this->config_.preallocate_bytes = 16 * 1024;
  this->Open();
  auto size = [this] { return this->fs_->Open(this->LogPath(0), {}).value()->Size().value(); };
  EXPECT_EQ(size(), 16u * 1024);
  for (int i = 0; i < 10; ++i) this->Write(std::string(3000, 'x'));
  uint64_t end = this->log_->size_bytes();
  EXPECT_GE(size(), end);
  EXPECT_LE(size(), end + 20 * 1024);
  this->Reopen();  // the reservation after a restart starts from the logical end too
  EXPECT_GE(size(), end);
  EXPECT_LE(size(), end + 20 * 1024);
  EXPECT_EQ(this->Values().size(), 10u);
}

TYPED_TEST(PartitionLogTest, WrittenBatchesReadBackInOrder) {
  this->Write("a");
  this->Write("b");
  this->Write("c");
  EXPECT_EQ(this->Values(), (std::vector<std::string>{"a", "b", "c"}));
}

TYPED_TEST(PartitionLogTest, ReadStartsAtTheBatchHoldingTheOffset) {
  this->Write("x", 4);
  auto read = this->loop_->Run(this->log_->Read(Offset(2), 1 << 20));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(PeekBatchHeader(read->bytes)->base_offset, Offset(0));
  EXPECT_EQ(read->next_offset, Offset(4));
}

TYPED_TEST(PartitionLogTest, ReadReturnsOneWholeBatchEvenPastMaxBytes) {
  this->Write(std::string(1000, 'v'));
  this->Write("small");
  auto read = this->loop_->Run(this->log_->Read(Offset(0), 10));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->bytes.size(), PeekBatchHeader(read->bytes)->total_size());
  EXPECT_EQ(read->next_offset, Offset(1));
}

TYPED_TEST(PartitionLogTest, ReadPastTheEndIsOutOfRange) {
  this->Write("a");
  EXPECT_EQ(this->loop_->Run(this->log_->Read(Offset(5), 100)).status().code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(this->loop_->Run(this->log_->Read(Offset(1), 100))->bytes.empty());
}

TYPED_TEST(PartitionLogTest, CorruptBatchIsRejectedAndNothingAppended) {
  auto batch = Batch("a");
  batch[batch.size() - 1] ^= std::byte{1};
  auto info = this->loop_->Run(this->log_->Append(batch));
  EXPECT_EQ(info.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(this->log_->next_offset(), Offset(0));
}

TYPED_TEST(PartitionLogTest, DurableDataSurvivesReopen) {
  this->Write("a");
  this->Write("b");
  this->Reopen();
  EXPECT_EQ(this->Values(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(this->Write("c").base_offset, Offset(2));
}

TYPED_TEST(PartitionLogTest, CleanCloseLeavesNothingToScan) {
  for (int i = 0; i < 20; ++i) this->Write("v" + std::to_string(i));
  this->Reopen();
  EXPECT_EQ(this->report_.bytes_scanned, 0u);
  EXPECT_EQ(this->Values().size(), 20u);
}

TYPED_TEST(PartitionLogTest, IndexCheckpointsBoundTheRecoveryScan) {
  this->config_.segment_bytes = 1 << 20;
  this->config_.index_checkpoint_bytes = 16 * 1024;
  this->Reopen();
  for (int i = 0; i < 40; ++i) this->Write(std::string(4000, 'i'));
  while (this->loop_->RunOnce(false)) {
  }
  this->log_.reset();  // no Close: as after a kill, only the checkpoints are on disk
  this->Open();
  EXPECT_LT(this->report_.bytes_scanned, 40u * 1024);
  EXPECT_EQ(this->Values().size(), 40u);
}

Task<void> AppendMany(PartitionLog& log, int count, int& done) {
  for (int i = 0; i < count; ++i) {
    std::vector<std::byte> batch = Batch(std::string(3000, 'm'));
    Result<AppendInfo> info = co_await log.Append(batch);
    if (info.ok() && (co_await log.WaitDurable(*info)).ok()) ++done;
  }
}

TYPED_TEST(PartitionLogTest, IndexCheckpointsKeepUpWithConcurrentProducers) {
  this->config_.segment_bytes = 4 << 20;
  this->config_.index_checkpoint_bytes = 64 * 1024;
  this->Reopen();
  int done = 0;
  for (int p = 0; p < 16; ++p) this->loop_->Spawn(AppendMany(*this->log_, 50, done));
  while (done < 800) ASSERT_TRUE(this->loop_->RunOnce(true));
  while (this->loop_->RunOnce(false)) {
  }
  this->log_.reset();
  this->Open();
  // In memory a checkpoint completes at once, so the bound is tight: one interval
  // plus one batch per producer. On a disk, appends go on while a checkpoint's
  // fdatasyncs run, so only "a checkpoint was used" is certain.
  uint64_t bound = TypeParam::kCanCrash ? 2u * 64 * 1024 + 16 * 4096 : this->log_->size_bytes();
  EXPECT_LT(this->report_.bytes_scanned, bound);
  EXPECT_EQ(this->Values().size(), 800u);
}

TYPED_TEST(PartitionLogTest, SegmentsRollBySizeAndAreSealed) {
  for (int i = 0; i < 40; ++i) this->Write(std::string(4000, 'a' + i % 26));
  EXPECT_GT(this->log_->segment_count(), 2u);
  this->Reopen();
  EXPECT_EQ(this->report_.bytes_scanned, 0u);
  std::vector<std::string> values = this->Values();
  ASSERT_EQ(values.size(), 40u);
  EXPECT_EQ(values[39], std::string(4000, 'a' + 39 % 26));
}

TYPED_TEST(PartitionLogTest, SegmentRollsByAge) {
  this->config_.segment_ms = 1000;
  this->Reopen();
  this->Write("old");
  this->clock_.Advance(2000);
  this->Write("new");
  EXPECT_EQ(this->log_->segment_count(), 2u);
}

TYPED_TEST(PartitionLogTest, MissingIndexesAreRebuiltFromTheLog) {
  for (int i = 0; i < 40; ++i) this->Write(std::string(4000, 'x'));
  this->Close();
  ASSERT_TRUE(this->fs_->Remove(io::JoinPath(this->Dir(), SegmentFileName(Offset(0), kIndexExtension))).ok());
  this->Open();
  EXPECT_GE(this->report_.indexes_rebuilt, 1);
  EXPECT_EQ(this->Values(Offset(5)).size(), 35u);
}

TYPED_TEST(PartitionLogTest, LookupByTimestampFindsFirstBatchAtOrAfter) {
  this->Write("a", 1, 1000);
  this->Write("b", 1, 2000);
  this->Write("c", 1, 3000);
  EXPECT_EQ(*this->loop_->Run(this->log_->LookupTimestamp(TimestampMs(1500))), Offset(1));
  EXPECT_EQ(*this->loop_->Run(this->log_->LookupTimestamp(TimestampMs(9000))), Offset(3));
  EXPECT_EQ(*this->loop_->Run(this->log_->LookupTimestamp(TimestampMs(0))), Offset(0));
}

TYPED_TEST(PartitionLogTest, RetentionBySizeDeletesOldestSealedSegments) {
  for (int i = 0; i < 60; ++i) this->Write(std::string(4000, 'r'));
  size_t before = this->log_->segment_count();
  auto deleted = this->loop_->Run(this->log_->ApplyRetention({.retention_bytes = 100000}, nullptr));
  ASSERT_TRUE(deleted.ok());
  EXPECT_GT(*deleted, 0);
  EXPECT_EQ(this->log_->segment_count(), before - *deleted);
  EXPECT_LE(this->log_->size_bytes(), 100000u + this->config_.segment_bytes);
  EXPECT_GT(this->log_->log_start_offset(), Offset(0));
  EXPECT_EQ(this->loop_->Run(this->log_->Read(Offset(0), 100)).status().code(), StatusCode::kOutOfRange);
}

TYPED_TEST(PartitionLogTest, RetentionByAgeNeverDeletesTheActiveSegment) {
  for (int i = 0; i < 40; ++i) this->Write(std::string(4000, 'r'), 1, 1000);
  this->clock_.Advance(1000000);
  auto deleted = this->loop_->Run(this->log_->ApplyRetention({.retention_ms = 1000}, nullptr));
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(this->log_->segment_count(), 1u);
  EXPECT_EQ(this->Write("after").base_offset, Offset(40));
}

TYPED_TEST(PartitionLogTest, PinnedSegmentsStopRetention) {
  for (int i = 0; i < 40; ++i) this->Write(std::string(4000, 'p'));
  auto pin = [](const SegmentStats& s) { return s.base_offset >= Offset(10) || s.next_offset > Offset(10); };
  auto deleted = this->loop_->Run(this->log_->ApplyRetention({.retention_bytes = 0}, pin));
  ASSERT_TRUE(deleted.ok());
  EXPECT_LE(this->log_->log_start_offset(), Offset(10));
  EXPECT_EQ(this->Values(Offset(10)).size(), 30u);
}

TYPED_TEST(PartitionLogTest, DeleteRecordsMovesTheStartAndDropsWholeSegmentsBelowIt) {
  for (int i = 0; i < 40; ++i) this->Write(std::string(4000, 'd'));
  size_t before = this->log_->segment_count();
  auto start = this->loop_->Run(this->log_->DeleteRecordsBefore(Offset(30)));
  ASSERT_TRUE(start.ok()) << start.status().ToString();
  EXPECT_EQ(*start, Offset(30));
  EXPECT_LT(this->log_->segment_count(), before);
  EXPECT_EQ(this->loop_->Run(this->log_->Read(Offset(29), 100)).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(this->Values(Offset(30)).size(), 10u);
  EXPECT_EQ(this->loop_->Run(this->log_->DeleteRecordsBefore(Offset(99))).status().code(), StatusCode::kOutOfRange);
  this->Reopen();
  EXPECT_EQ(this->log_->log_start_offset(), Offset(30));
}

TYPED_TEST(PartitionLogTest, TornTailIsTruncatedNotReported) {
  this->Write("a");
  this->Write("b");
  uint64_t end = this->log_->size_bytes();
  this->Close();
  // Half a batch after the end, as a write cut short by a power loss leaves it.
  auto torn = Batch("lost");
  torn.resize(torn.size() / 2);
  auto file = this->fs_->Open(this->LogPath(0), {});
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(this->loop_->Run(io::WriteFully(**file, FilePos(end), torn)).ok());
  ASSERT_TRUE(this->fs_->Remove(io::JoinPath(this->Dir(), SegmentFileName(Offset(0), kIndexExtension))).ok());
  file->reset();
  this->Open();
  EXPECT_TRUE(this->report_.problems.empty());
  EXPECT_GT(this->report_.torn_bytes_truncated, 0u);
  EXPECT_EQ(this->Values(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(this->Write("c").base_offset, Offset(2));
}

TYPED_TEST(PartitionLogTest, AFileCutInsideTheLastBatchIsRecovered) {
  this->Write("a");
  this->Write("b");
  uint64_t cut = this->log_->size_bytes() - 10;
  this->Close();
  auto file = this->fs_->Open(this->LogPath(0), {});
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Truncate(cut).ok());
  file->reset();
  ASSERT_TRUE(this->fs_->Remove(io::JoinPath(this->Dir(), SegmentFileName(Offset(0), kIndexExtension))).ok());
  this->Open();
  EXPECT_TRUE(this->report_.problems.empty());
  EXPECT_EQ(this->Values(), (std::vector<std::string>{"a"}));
  EXPECT_EQ(this->Write("c").base_offset, Offset(1));
}

TYPED_TEST(PartitionLogTest, InteriorCorruptionIsReportedWithPositionAndOffsetsAreNotReused) {
  uint64_t second = this->DamageTheSecondOfThreeBatches();
  this->Open();
  ASSERT_EQ(this->report_.problems.size(), 1u);
  EXPECT_NE(this->report_.problems[0].find(SegmentFileName(Offset(0), kLogExtension) + " at byte " +
                                           std::to_string(second)),
            std::string::npos)
      << this->report_.problems[0];
  EXPECT_NE(this->report_.problems[0].find("offsets [1, 3) are not served"), std::string::npos)
      << this->report_.problems[0];
  EXPECT_EQ(this->Values(), (std::vector<std::string>{"a"}));
  // No offset is handed out twice: the log goes on after the damaged ones.
  EXPECT_EQ(this->Write("d").base_offset, Offset(3));
}

TYPED_TEST(PartitionLogTest, OffsetsBeyondDamageStayTakenIfTheNextSegmentWasLost) {
  this->DamageTheSecondOfThreeBatches();
  this->Open();  // seals segment 0 before the damage and starts segment 3
  this->log_.reset();
  // As if the crash came before the new segment reached the disk.
  ASSERT_TRUE(this->fs_->Remove(this->LogPath(3)).ok());
  this->Open();
  EXPECT_EQ(this->Write("d").base_offset, Offset(3));
}

TYPED_TEST(PartitionLogTest, AZeroedBatchHeaderIsCorruptionNotTheEnd) {
  this->Write("a");
  uint64_t second = this->log_->size_bytes();
  this->Write("b");
  this->Write("c");
  this->Close();
  auto file = this->fs_->Open(this->LogPath(0), {});
  ASSERT_TRUE(file.ok());
  std::vector<std::byte> zeros(61);
  ASSERT_TRUE(this->loop_->Run(io::WriteFully(**file, FilePos(second), zeros)).ok());
  file->reset();
  ASSERT_TRUE(this->fs_->Remove(io::JoinPath(this->Dir(), SegmentFileName(Offset(0), kIndexExtension))).ok());
  this->Open();
  ASSERT_EQ(this->report_.problems.size(), 1u);
  EXPECT_NE(this->report_.problems[0].find("zeroed batch header"), std::string::npos) << this->report_.problems[0];
  EXPECT_EQ(this->Write("d").base_offset, Offset(3));
}

TYPED_TEST(PartitionLogTest, AppendsAfterACleanReopenSurviveAnUncleanStop) {
  this->Write("a");
  this->Reopen();  // the index now says "closed cleanly, ends here"
  this->Write("b");
  this->log_.reset();  // no Close
  this->Open();
  EXPECT_EQ(this->Values(), (std::vector<std::string>{"a", "b"}));
}

// Many producers waiting for durability at once share fdatasyncs (group commit).
Task<void> AppendAndCount(PartitionLog& log, int& done) {
  Result<AppendInfo> info = co_await AppendDurable(log, Batch("g"));
  if (info.ok()) ++done;
}

TEST(PartitionLogGroupCommitTest, ConcurrentAppendsShareSyncs) {
  auto loop = EventLoop::Create().value();
  io::testing::MemFileSystem mem;
  // Every operation yields to the loop first, so that appends arrive while a flush
  // is in flight, as they do on a real disk.
  io::testing::FaultPlan plan(1);
  plan.Add(io::testing::FaultRule::Always(io::testing::FaultOp::kAny).Do(io::testing::FaultAction::kDelay));
  io::testing::FaultyFileSystem fs(&mem, std::move(plan), loop.get());
  ManualClock clock;
  auto log = loop->Run(PartitionLog::Open(fs, *loop, clock, "/d", {.segment_bytes = 1 << 20}, nullptr));
  ASSERT_TRUE(log.ok());
  int done = 0;
  for (int i = 0; i < 100; ++i) loop->Spawn(AppendAndCount(**log, done));
  while (done < 100) ASSERT_TRUE(loop->RunOnce(true));
  uint64_t syncs = fs.calls(io::testing::FaultOp::kWriteThenSync) + fs.calls(io::testing::FaultOp::kDataSync);
  EXPECT_LT(syncs, 10u);
  EXPECT_EQ((*log)->durable_end_offset(), Offset(100));
  ASSERT_TRUE(loop->Run((*log)->Close()).ok());
}

}  // namespace
}  // namespace millstream::storage
