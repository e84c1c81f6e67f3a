#include "base/timed_wait.h"

#include <gtest/gtest.h>

#include <chrono>

namespace millstream {
namespace {

Task<void> WaitAndMark(EventLoop& loop, TimedWaitList& list, int64_t timeout_ms, bool& done) {
  co_await list.WaitFor(loop, timeout_ms);
  done = true;
}

TEST(TimedWaitListTest, NotifyWakesBeforeTheDeadline) {
  auto loop = EventLoop::Create().value();
  TimedWaitList list;
  bool done = false;
  auto start = std::chrono::steady_clock::now();
  loop->Spawn(WaitAndMark(*loop, list, 60000, done));
  loop->RunOnce(false);
  EXPECT_FALSE(done);
  list.Notify();
  while (!done) loop->RunOnce(true);
  // The cancelled timer completes at once rather than in a minute.
  while (loop->in_flight() > 0) loop->RunOnce(true);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST(TimedWaitListTest, TheDeadlineWakesWithoutNotify) {
  auto loop = EventLoop::Create().value();
  TimedWaitList list;
  bool done = false;
  loop->Spawn(WaitAndMark(*loop, list, 5, done));
  while (!done) loop->RunOnce(true);
  list.Notify();  // the state is gone: nothing happens
  EXPECT_TRUE(done);
}

}  // namespace
}  // namespace millstream
