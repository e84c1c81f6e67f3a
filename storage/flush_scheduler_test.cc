#include "storage/flush_scheduler.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace millstream::storage {
namespace {

// One flush: takes its turn, notes that it started, and holds the turn until
// the test releases it.
Task<void> Flush(FlushScheduler& scheduler, IoClass c, std::string name, std::vector<std::string>& started) {
  co_await scheduler.Acquire(c);
  started.push_back(std::move(name));
}

class FlushSchedulerTest : public ::testing::Test {
 protected:
  void Start(IoClass c, const std::string& name) {
    tasks_.push_back(Flush(scheduler_, c, name, started_));
    tasks_.back().Start();
    Settle();
  }
  void Release(IoClass c) {
    scheduler_.Release(c);
    Settle();
  }
  void Settle() {
    for (int i = 0; i < 3; ++i) loop_->RunOnce(/*may_block=*/false);
  }
  std::vector<std::string> Started() { return std::exchange(started_, {}); }

  std::unique_ptr<EventLoop> loop_ = EventLoop::Create().value();
  ManualClock clock_;
  FlushScheduler scheduler_{*loop_, clock_, /*max_background=*/3};
  std::vector<Task<void>> tasks_;
  std::vector<std::string> started_;
};

TEST_F(FlushSchedulerTest, CriticalFlushesNeverWait) {
  Start(IoClass::kBulk, "b1");
  Start(IoClass::kStandard, "s1");
  for (int i = 0; i < 5; ++i) Start(IoClass::kCritical, "c" + std::to_string(i));
  EXPECT_EQ(Started(), (std::vector<std::string>{"b1", "s1", "c0", "c1", "c2", "c3", "c4"}));
  EXPECT_EQ(scheduler_.stats().waited[0], 0u);
}

TEST_F(FlushSchedulerTest, BackgroundSlotsAreLimitedAndStandardGoesBeforeBulk) {
  Start(IoClass::kBulk, "b1");
  Start(IoClass::kBulk, "b2");
  Start(IoClass::kStandard, "s1");  // three slots: all taken
  Start(IoClass::kBulk, "b3");
  Start(IoClass::kStandard, "s2");
  EXPECT_EQ(Started(), (std::vector<std::string>{"b1", "b2", "s1"}));
  Release(IoClass::kStandard);  // the freed slot goes to standard, though b3 came first
  EXPECT_EQ(Started(), (std::vector<std::string>{"s2"}));
  Release(IoClass::kBulk);
  EXPECT_EQ(Started(), (std::vector<std::string>{"b3"}));
}

TEST_F(FlushSchedulerTest, WhileACriticalFlushIsInFlightEachOtherClassHasAtMostOne) {
  Start(IoClass::kCritical, "c1");
  Start(IoClass::kBulk, "b1");
  Start(IoClass::kBulk, "b2");
  Start(IoClass::kStandard, "s1");
  Start(IoClass::kStandard, "s2");
  EXPECT_EQ(Started(), (std::vector<std::string>{"c1", "b1", "s1"}));
  Release(IoClass::kCritical);  // the slots fill again, standard first
  EXPECT_EQ(Started(), (std::vector<std::string>{"s2"}));
  Release(IoClass::kBulk);
  EXPECT_EQ(Started(), (std::vector<std::string>{"b2"}));
  EXPECT_EQ(scheduler_.stats().waited[1], 1u);
  EXPECT_EQ(scheduler_.stats().waited[2], 1u);
}

TEST_F(FlushSchedulerTest, NoClassStarves) {
  // Standard holds every slot and more keeps coming; bulk still gets one.
  Start(IoClass::kStandard, "s1");
  Start(IoClass::kStandard, "s2");
  Start(IoClass::kStandard, "s3");
  Start(IoClass::kStandard, "s4");
  Start(IoClass::kBulk, "b1");
  EXPECT_EQ(Started(), (std::vector<std::string>{"s1", "s2", "s3", "b1"}));
}

}  // namespace
}  // namespace millstream::storage
