// FaultPlan on its own: which calls each trigger fires on, and how rules combine.
#include "storage/io/testing/fault_plan.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace millstream::storage::io::testing {
namespace {

// Decide() for `calls` writes to "a.log"; true where a fault fired.
std::vector<bool> Fired(FaultPlan& plan, int calls, FaultOp op = FaultOp::kWrite) {
  std::vector<bool> fired;
  for (int i = 0; i < calls; ++i) fired.push_back(plan.Decide(op, "/d/a.log").has_value());
  return fired;
}

TEST(FaultPlanTest, OnNthFiresOnceOnTheNthMatchingCall) {
  FaultPlan plan(1);
  plan.Add(FaultRule::OnNth(FaultOp::kWrite, 2));
  EXPECT_EQ(Fired(plan, 4), (std::vector<bool>{false, true, false, false}));
}

TEST(FaultPlanTest, FromNthFiresOnEveryCallFromTheNth) {
  FaultPlan plan(1);
  plan.Add(FaultRule::FromNth(FaultOp::kWrite, 3));
  EXPECT_EQ(Fired(plan, 4), (std::vector<bool>{false, false, true, true}));
}

TEST(FaultPlanTest, ProbabilityZeroNeverFiresAndOneAlwaysFires) {
  FaultPlan never(1);
  never.Add(FaultRule::WithProbability(FaultOp::kWrite, 0.0));
  FaultPlan always(1);
  always.Add(FaultRule::WithProbability(FaultOp::kWrite, 1.0));
  EXPECT_EQ(Fired(never, 3), (std::vector<bool>{false, false, false}));
  EXPECT_EQ(Fired(always, 3), (std::vector<bool>{true, true, true}));
}

TEST(FaultPlanTest, OtherOperationsAndPathsDoNotCount) {
  FaultPlan plan(1);
  plan.Add(FaultRule::OnNth(FaultOp::kWrite, 1).Matching(".log"));
  EXPECT_FALSE(plan.Decide(FaultOp::kRead, "/d/a.log").has_value());
  EXPECT_FALSE(plan.Decide(FaultOp::kWrite, "/d/a.idx").has_value());
  EXPECT_TRUE(plan.Decide(FaultOp::kWrite, "/d/a.log").has_value());
}

TEST(FaultPlanTest, EarlierRuleWinsButEveryMatchingRuleCounts) {
  FaultPlan plan(1);
  plan.Add(FaultRule::OnNth(FaultOp::kWrite, 1).Do(FaultAction::kFailEnospc));
  plan.Add(FaultRule::FromNth(FaultOp::kAny, 1).Do(FaultAction::kFailEio));
  EXPECT_EQ(plan.Decide(FaultOp::kWrite, "f"), FaultAction::kFailEnospc);
  EXPECT_EQ(plan.Decide(FaultOp::kWrite, "f"), FaultAction::kFailEio);
  EXPECT_EQ(plan.faults_injected(), 2u);
}

TEST(FaultPlanTest, ActionsMatchOnlyOperationsTheyApplyTo) {
  FaultPlan plan(1);
  plan.Add(FaultRule::Always(FaultOp::kAny).Do(FaultAction::kFlipBitOnRead));
  EXPECT_FALSE(plan.Decide(FaultOp::kWrite, "f").has_value());
  EXPECT_EQ(plan.Decide(FaultOp::kRead, "f"), FaultAction::kFlipBitOnRead);
}

TEST(FaultPlanTest, ClearDropsEveryRule) {
  FaultPlan plan(1);
  plan.Add(FaultRule::Always(FaultOp::kWrite));
  plan.Clear();
  EXPECT_EQ(Fired(plan, 2), (std::vector<bool>{false, false}));
}

TEST(FaultPlanTest, ToStringDescribesTheRule) {
  FaultRule rule =
      FaultRule::OnNth(FaultOp::kWrite, 3).Matching(".log").Do(FaultAction::kFailEnospc);
  EXPECT_EQ(rule.ToString(), "kWrite #3 on '.log' -> kFailEnospc");
}

}  // namespace
}  // namespace millstream::storage::io::testing
