#include "engine/memory_budget.h"

#include <gtest/gtest.h>

namespace millstream::engine {
namespace {

Task<void> TakeWhenThereIsRoom(EventLoop& loop, MemoryBudget& budget, size_t held, size_t bytes, bool& granted) {
  while (!budget.TryTake(held, bytes)) co_await budget.WaitForRoom(loop, 60'000);
  granted = true;
}

TEST(MemoryBudgetTest, GrantsWithinTheBudgetAndRefusesAHeavyHolderPastIt) {
  MemoryBudget budget(6400);  // reserve 800, light allowance 100
  EXPECT_TRUE(budget.TryTake(0, 6000));
  EXPECT_FALSE(budget.TryTake(6000, 500));  // heavy: waits
  EXPECT_EQ(budget.used(), 6000u);
  EXPECT_TRUE(budget.TryTake(6000, 400));   // still within the budget
  EXPECT_EQ(budget.used(), 6400u);
}

TEST(MemoryBudgetTest, ALightHolderIsGrantedFromTheReserveUntilItIsSpent) {
  MemoryBudget budget(6400);
  ASSERT_TRUE(budget.TryTake(0, 6400));
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(budget.TryTake(0, 100)) << i;  // 8 light holders, 800
  EXPECT_FALSE(budget.TryTake(0, 100));   // the reserve is spent
  EXPECT_FALSE(budget.TryTake(50, 100));  // not light: 150 > 100
  EXPECT_EQ(budget.used(), budget.limit());
  EXPECT_EQ(budget.peak(), budget.limit());
}

TEST(MemoryBudgetTest, ARequestLargerThanTheBudgetGoesThroughAlone) {
  MemoryBudget budget(1000);
  EXPECT_TRUE(budget.TryTake(0, 5000));  // nothing held: granted
  EXPECT_FALSE(budget.TryTake(0, 5000));
  EXPECT_FALSE(budget.TryTake(0, 10));   // past budget + reserve
}

TEST(MemoryBudgetTest, GivingBackWakesTheWaiters) {
  auto loop = EventLoop::Create().value();
  MemoryBudget budget(1000);
  ASSERT_TRUE(budget.TryTake(0, 1000));
  bool granted = false;
  Task<void> task = TakeWhenThereIsRoom(*loop, budget, 500, 600, granted);
  task.Start();
  loop->RunOnce(false);
  EXPECT_FALSE(granted);
  budget.Give(700);
  while (!task.done()) loop->RunOnce(true);
  EXPECT_TRUE(granted);
  EXPECT_EQ(budget.used(), 900u);
}

}  // namespace
}  // namespace millstream::engine
