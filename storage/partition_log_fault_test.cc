// PartitionLog under injected faults: full disks, failed writes and syncs. Nothing
// durable is harmed, the failure is reported to exactly the waiting appends, and
// appends work again once the fault is gone.
#include <gtest/gtest.h>

#include "base/clock.h"
#include "storage/batch_builder.h"
#include "storage/io/testing/faulty_file_system.h"
#include "storage/io/testing/mem_file_system.h"
#include "storage/partition_log.h"

namespace millstream::storage {
namespace {

using io::testing::FaultAction;
using io::testing::FaultOp;
using io::testing::FaultRule;

Task<Result<AppendInfo>> AppendDurable(PartitionLog& log, std::string value) {
  BatchBuilder builder;
  builder.Add("k", value, TimestampMs(1000));
  std::vector<std::byte> batch = builder.Build();
  Result<AppendInfo> info = co_await log.Append(batch);
  if (!info.ok()) co_return info;
  Status durable = co_await log.WaitDurable(*info);
  if (!durable.ok()) co_return durable;
  co_return info;
}

Task<Status> AppendWritten(PartitionLog& log, std::string value) {
  BatchBuilder builder;
  builder.Add("k", value, TimestampMs(1000));
  std::vector<std::byte> batch = builder.Build();
  Result<AppendInfo> info = co_await log.Append(batch);
  if (!info.ok()) co_return info.status();
  co_return co_await log.WaitWritten(*info);
}

class PartitionLogFaultTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override {
    if (log_) (void)loop_->Run(log_->Close());
  }
  void Open() {
    auto log = loop_->Run(PartitionLog::Open(fs_, *loop_, clock_, "/d/t/0",
                                             {.segment_bytes = 16 * 1024, .write_buffer_bytes = 16 * 1024},
                                             &report_));
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(*log);
  }
  void Reopen() {
    (void)loop_->Run(log_->Close());
    log_.reset();
    Open();
  }
  Result<AppendInfo> Write(std::string value) { return loop_->Run(AppendDurable(*log_, value)); }
  void Fail(FaultOp op, FaultAction action) { fs_.plan().Add(FaultRule::Always(op).Do(action)); }

  std::unique_ptr<EventLoop> loop_ = EventLoop::Create().value();
  io::testing::MemFileSystem mem_;
  io::testing::FaultyFileSystem fs_{&mem_, io::testing::FaultPlan(7), loop_.get()};
  ManualClock clock_;
  RecoveryReport report_;
  std::unique_ptr<PartitionLog> log_;
};

TEST_F(PartitionLogFaultTest, FullDiskAtRollFailsWithNoSpaceAndKeepsTheLog) {
  while (log_->segment_count() == 1) ASSERT_TRUE(Write(std::string(3000, 'a')).ok());
  Offset next = log_->next_offset();
  mem_.SetCapacity(0);  // the next roll cannot preallocate its segment
  Result<AppendInfo> full = Result<AppendInfo>(IoError("unset"));
  for (int i = 0; i < 10 && (full = Write(std::string(3000, 'b'))).ok(); ++i) {
  }
  EXPECT_EQ(full.status().code(), StatusCode::kNoSpace) << full.status().ToString();
  Offset after_refusal = log_->next_offset();
  mem_.ClearCapacity();
  Result<AppendInfo> again = Write("c");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->base_offset, after_refusal);
  EXPECT_GE(after_refusal, next);
  Reopen();
  EXPECT_TRUE(report_.problems.empty());
  EXPECT_EQ(log_->next_offset(), again->last_offset + 1);
}

TEST_F(PartitionLogFaultTest, FullDiskWhenTheReservationMustGrowRefusesTheAppendAndTakesNoOffset) {
  log_.reset();
  auto log = loop_->Run(PartitionLog::Open(
      fs_, *loop_, clock_, "/d/t/1",
      {.segment_bytes = 1 << 20, .write_buffer_bytes = 16 * 1024, .preallocate_bytes = 8 * 1024},
      &report_));
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  log_ = std::move(*log);
  ASSERT_TRUE(Write(std::string(3000, 'a')).ok());
  mem_.SetCapacity(0);  // nothing more can be reserved; the reserved rest still takes writes
  Result<AppendInfo> full = Result<AppendInfo>(IoError("unset"));
  int accepted = 0;
  while ((full = Write(std::string(3000, 'b'))).ok()) ++accepted;
  EXPECT_EQ(full.status().code(), StatusCode::kNoSpace) << full.status().ToString();
  EXPECT_GE(accepted, 1);
  Offset next = log_->next_offset();
  EXPECT_EQ(next, Offset(1 + accepted));  // the refused append took no offset
  mem_.ClearCapacity();
  Result<AppendInfo> again = Write("c");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->base_offset, next);
  (void)loop_->Run(log_->Close());
  log_.reset();
  auto reopened = loop_->Run(PartitionLog::Open(fs_, *loop_, clock_, "/d/t/1",
                                                {.segment_bytes = 1 << 20}, &report_));
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_TRUE(report_.problems.empty());
  EXPECT_EQ((*reopened)->next_offset(), next + 1);
  log_ = std::move(*reopened);
}

TEST_F(PartitionLogFaultTest, NoSpaceOnAPlainWriteDropsOnlyTheUnwrittenAppends) {
  ASSERT_TRUE(Write("durable").ok());
  Fail(FaultOp::kWrite, FaultAction::kFailEnospc);
  EXPECT_EQ(loop_->Run(AppendWritten(*log_, "refused")).code(), StatusCode::kNoSpace);
  EXPECT_EQ(log_->next_offset(), Offset(1));  // the refused offset is given back
  fs_.plan().Clear();
  EXPECT_EQ(Write("after").value().base_offset, Offset(1));
  Reopen();
  EXPECT_EQ(log_->next_offset(), Offset(2));
}

TEST_F(PartitionLogFaultTest, NoSpaceOnAWriteLinkedToASyncFailsTheLogUntilReopened) {
  ASSERT_TRUE(Write("durable").ok());
  Fail(FaultOp::kWriteThenSync, FaultAction::kFailEnospc);
  EXPECT_EQ(Write("refused").status().code(), StatusCode::kNoSpace);
  fs_.plan().Clear();
  EXPECT_FALSE(Write("still refused").ok());
  log_.reset();
  Open();
  EXPECT_EQ(Write("after").value().base_offset, Offset(1));
}


TEST_F(PartitionLogFaultTest, EioOnAPlainWriteIsReportedAndTheLogGoesOn) {
  ASSERT_TRUE(Write("one").ok());
  Fail(FaultOp::kWrite, FaultAction::kFailEio);
  Status failed = loop_->Run(AppendWritten(*log_, "two"));
  EXPECT_EQ(failed.code(), StatusCode::kIoError);
  EXPECT_NE(failed.sys_errno(), 0);
  fs_.plan().Clear();
  EXPECT_EQ(Write("three").value().base_offset, Offset(1));
}

TEST_F(PartitionLogFaultTest, EioOnAWriteLinkedToASyncFailsTheLogUntilReopened) {
  ASSERT_TRUE(Write("one").ok());
  Fail(FaultOp::kWriteThenSync, FaultAction::kFailEio);
  EXPECT_EQ(Write("two").status().code(), StatusCode::kIoError);
  fs_.plan().Clear();
  EXPECT_EQ(Write("three").status().code(), StatusCode::kIoError);
  log_.reset();
  Open();
  EXPECT_EQ(Write("four").value().base_offset, Offset(1));
}

TEST_F(PartitionLogFaultTest, AWaitForADroppedBatchFailsEvenAfterItsOffsetIsReused) {
  ASSERT_TRUE(Write("one").ok());
  fs_.plan().Add(FaultRule::OnNth(FaultOp::kWrite, 1).Do(FaultAction::kFailEnospc));
  BatchBuilder builder;
  builder.Add("k", "dropped", TimestampMs(1));
  std::vector<std::byte> batch = builder.Build();
  Result<AppendInfo> dropped = loop_->Run(log_->Append(batch));
  ASSERT_TRUE(dropped.ok());
  while (loop_->RunOnce(false)) {
  }
  // The failed write gave offset 1 back; another batch takes it and is durable.
  Result<AppendInfo> reused = Write("reuses offset 1");
  ASSERT_TRUE(reused.ok());
  EXPECT_EQ(reused->base_offset, dropped->base_offset);
  EXPECT_EQ(loop_->Run(log_->WaitDurable(*dropped)).code(), StatusCode::kNoSpace);
}

TEST_F(PartitionLogFaultTest, ShortWritesAreCompleted) {
  // Writes of two pages or more come back short; the appender finishes them.
  fs_.plan().Add(FaultRule::OnNth(FaultOp::kWriteThenSync, 1).Do(FaultAction::kShortWrite));
  fs_.plan().Add(FaultRule::OnNth(FaultOp::kWriteThenSync, 3).Do(FaultAction::kShortWrite));
  for (int i = 0; i < 5; ++i) {
    Result<AppendInfo> info = Write(std::string(5000, 'x'));
    ASSERT_TRUE(info.ok()) << info.status().ToString();
  }
  EXPECT_EQ(fs_.faults_injected(), 2u);
  fs_.plan().Clear();
  Reopen();
  EXPECT_TRUE(report_.problems.empty());
  EXPECT_EQ(log_->next_offset(), Offset(5));
}

TEST_F(PartitionLogFaultTest, FailedSyncFailsTheLogUntilReopened) {
  ASSERT_TRUE(Write("one").ok());
  // A write without a linked sync, then a sync on its own that fails.
  BatchBuilder builder;
  builder.Add("k", "two", TimestampMs(1));
  std::vector<std::byte> batch = builder.Build();
  auto info = loop_->Run(log_->Append(batch));
  ASSERT_TRUE(info.ok());
  ASSERT_TRUE(loop_->Run(log_->WaitWritten(*info)).ok());
  Fail(FaultOp::kDataSync, FaultAction::kFailEio);
  EXPECT_EQ(loop_->Run(log_->WaitDurable(*info)).code(), StatusCode::kIoError);
  EXPECT_EQ(Write("three").status().code(), StatusCode::kIoError);
  fs_.plan().Clear();
  log_.reset();
  Open();
  EXPECT_GE(log_->next_offset(), Offset(1));
  EXPECT_TRUE(Write("four").ok());
}

}  // namespace
}  // namespace millstream::storage
