#include "storage/io/testing/fault_plan.h"

#include "base/check.h"

namespace millstream::storage::io::testing {

std::string_view FaultOpName(FaultOp op) {
  switch (op) {
    case FaultOp::kOpen:
      return "kOpen";
    case FaultOp::kWrite:
      return "kWrite";
    case FaultOp::kWriteThenSync:
      return "kWriteThenSync";
    case FaultOp::kRead:
      return "kRead";
    case FaultOp::kDataSync:
      return "kDataSync";
    case FaultOp::kTruncate:
      return "kTruncate";
    case FaultOp::kAllocate:
      return "kAllocate";
    case FaultOp::kRemove:
      return "kRemove";
    case FaultOp::kRename:
      return "kRename";
    case FaultOp::kSyncDir:
      return "kSyncDir";
    case FaultOp::kAny:
      return "kAny";
  }
  return "kUnknown";
}

std::string_view FaultActionName(FaultAction action) {
  switch (action) {
    case FaultAction::kFailEio:
      return "kFailEio";
    case FaultAction::kFailEnospc:
      return "kFailEnospc";
    case FaultAction::kShortWrite:
      return "kShortWrite";
    case FaultAction::kTearAndCrash:
      return "kTearAndCrash";
    case FaultAction::kDelay:
      return "kDelay";
    case FaultAction::kFlipBitOnRead:
      return "kFlipBitOnRead";
  }
  return "kUnknown";
}

bool FaultActionApplies(FaultAction action, FaultOp op) {
  const bool is_write = op == FaultOp::kWrite || op == FaultOp::kWriteThenSync;
  switch (action) {
    case FaultAction::kFailEio:
    case FaultAction::kFailEnospc:
    case FaultAction::kTearAndCrash:
      return true;
    case FaultAction::kShortWrite:
      return is_write;
    case FaultAction::kDelay:
      // Only the asynchronous operations can yield to the loop.
      return is_write || op == FaultOp::kRead || op == FaultOp::kDataSync;
    case FaultAction::kFlipBitOnRead:
      return op == FaultOp::kRead;
  }
  return false;
}

FaultRule FaultRule::OnNth(FaultOp op, uint64_t n) {
  FaultRule rule(op, Trigger::kNth);
  rule.nth_ = n;
  return rule;
}

FaultRule FaultRule::FromNth(FaultOp op, uint64_t n) {
  FaultRule rule(op, Trigger::kFromNth);
  rule.nth_ = n;
  return rule;
}

FaultRule FaultRule::WithProbability(FaultOp op, double p) {
  MS_CHECK(p >= 0.0 && p <= 1.0) << "fault probability " << p << " outside [0, 1]";
  FaultRule rule(op, Trigger::kProbability);
  rule.probability_ = p;
  return rule;
}

FaultRule FaultRule::Matching(std::string pattern) const {
  FaultRule rule = *this;
  rule.pattern_ = std::move(pattern);
  return rule;
}

FaultRule FaultRule::Do(FaultAction action) const {
  FaultRule rule = *this;
  rule.action_ = action;
  return rule;
}

bool FaultRule::Matches(FaultOp op, std::string_view path) const {
  if (op_ != FaultOp::kAny && op_ != op) return false;
  if (!FaultActionApplies(action_, op)) return false;
  return path.find(pattern_) != std::string_view::npos;
}

std::string FaultRule::ToString() const {
  std::string out(FaultOpName(op_));
  switch (trigger_) {
    case Trigger::kNth:
      out += " #" + std::to_string(nth_);
      break;
    case Trigger::kFromNth:
      out += " from #" + std::to_string(nth_);
      break;
    case Trigger::kProbability:
      out += " p=" + std::to_string(probability_);
      break;
  }
  if (!pattern_.empty()) out += " on '" + pattern_ + "'";
  out += " -> ";
  out += FaultActionName(action_);
  return out;
}

FaultPlan& FaultPlan::Add(FaultRule rule) {
  rules_.push_back(std::move(rule));
  matched_.push_back(0);
  return *this;
}

void FaultPlan::Clear() {
  rules_.clear();
  matched_.clear();
}

std::optional<FaultAction> FaultPlan::Decide(FaultOp op, std::string_view path) {
  std::optional<FaultAction> decision;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const FaultRule& rule = rules_[i];
    if (!rule.Matches(op, path)) continue;
    // Every matching rule counts the call, even when an earlier rule already fired,
    // so "the 3rd write" means the 3rd write whatever other rules do.
    uint64_t count = ++matched_[i];
    bool fires = false;
    switch (rule.trigger_) {
      case FaultRule::Trigger::kNth:
        fires = count == rule.nth_;
        break;
      case FaultRule::Trigger::kFromNth:
        fires = count >= rule.nth_;
        break;
      case FaultRule::Trigger::kProbability:
        // Drawn for every matching call, fired or not, so that the sequence of draws
        // depends only on the sequence of calls.
        fires = std::bernoulli_distribution(rule.probability_)(rng_);
        break;
    }
    if (fires && !decision.has_value()) decision = rule.action_;
  }
  if (decision.has_value()) ++faults_injected_;
  return decision;
}

}  // namespace millstream::storage::io::testing
