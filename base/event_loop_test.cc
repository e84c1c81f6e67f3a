#include "base/event_loop.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <vector>

namespace millstream {
namespace {

Task<int> Add(int a, int b) { co_return a + b; }

Task<int> AddTwice(int a) {
  int once = co_await Add(a, a);
  int twice = co_await Add(once, once);
  co_return twice;
}

Task<void> YieldThenRecord(EventLoop& loop, std::vector<int>& log, int id) {
  log.push_back(id);
  co_await loop.Yield();
  log.push_back(id + 10);
}

Task<int32_t> Nop(EventLoop& loop) {
  auto prep = [](io_uring_sqe* sqe) { io_uring_prep_nop(sqe); };
  int32_t res = co_await UringOp<decltype(prep)>(loop, prep);
  co_return res;
}

Task<ssize_t> ReadPipe(EventLoop& loop, int fd, char* buf, unsigned len) {
  auto prep = [fd, buf, len](io_uring_sqe* sqe) { io_uring_prep_read(sqe, fd, buf, len, 0); };
  int32_t res = co_await UringOp<decltype(prep)>(loop, prep);
  co_return res;
}

class EventLoopTest : public ::testing::Test {
 protected:
  std::unique_ptr<EventLoop> loop_ = EventLoop::Create().value();
};

TEST_F(EventLoopTest, RunReturnsTheValueOfNestedTasks) { EXPECT_EQ(loop_->Run(AddTwice(3)), 12); }

TEST_F(EventLoopTest, SpawnedTasksInterleaveInPostOrder) {
  std::vector<int> log;
  loop_->Spawn(YieldThenRecord(*loop_, log, 1));
  loop_->Spawn(YieldThenRecord(*loop_, log, 2));
  while (loop_->RunOnce(false)) {
  }
  EXPECT_EQ(log, (std::vector<int>{1, 2, 11, 12}));
}

TEST_F(EventLoopTest, UringOperationCompletes) { EXPECT_EQ(loop_->Run(Nop(*loop_)), 0); }

TEST_F(EventLoopTest, BlockingRunWaitsForTheKernel) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  char buf[4] = {};
  ASSERT_EQ(write(fds[1], "abc", 3), 3);
  EXPECT_EQ(loop_->Run(ReadPipe(*loop_, fds[0], buf, 3)), 3);
  EXPECT_STREQ(buf, "abc");
  close(fds[0]);
  close(fds[1]);
}

Task<void> NopAndCount(EventLoop& loop, int& done) {
  int32_t res = co_await Nop(loop);
  if (res == 0) ++done;
}

TEST(EventLoopSmallRingTest, MoreOperationsInFlightThanTheRingHolds) {
  // 4 submission entries and 8 completion entries for 500 operations: submission
  // has to make room, and completions overflow the ring.
  auto loop = EventLoop::Create(4).value();
  int done = 0;
  for (int i = 0; i < 500; ++i) loop->Spawn(NopAndCount(*loop, done));
  while (done < 500) ASSERT_TRUE(loop->RunOnce(true));
  EXPECT_EQ(loop->in_flight(), 0u);
}

}  // namespace
}  // namespace millstream
