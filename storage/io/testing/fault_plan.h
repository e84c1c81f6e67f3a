// FaultPlan: the seeded script that tells FaultyFileSystem which calls to break and
// how (STYLE.md section 5, backend 3). A plan is an ordered list of rules, each
// "file pattern x operation x (nth call | probability) -> action", plus one
// std::mt19937_64 that makes every random choice, so a failing test that prints its
// seed can be replayed exactly. Rules read as sentences in tests:
//
//   FaultPlan plan(seed);
//   plan.Add(FaultRule::OnNth(FaultOp::kWrite, 3).Matching(".log").Do(FaultAction::kFailEnospc));
//   plan.Add(FaultRule::WithProbability(FaultOp::kRead, 0.01).Do(FaultAction::kFlipBitOnRead));
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace millstream::storage::io::testing {

// The operations a rule can target. kAny matches every operation that the rule's
// action applies to (see FaultActionApplies).
enum class FaultOp : uint8_t {
  kOpen,
  kWrite,
  kWriteThenSync,
  kRead,
  kDataSync,
  kTruncate,
  kAllocate,
  kRemove,
  kRename,
  kSyncDir,
  kAny,
};
// The number of real operations (every FaultOp but kAny).
inline constexpr size_t kFaultOpCount = static_cast<size_t>(FaultOp::kAny);
std::string_view FaultOpName(FaultOp op);

enum class FaultAction : uint8_t {
  // Fail without doing anything: IoError with errno EIO, or NoSpace with ENOSPC.
  kFailEio,
  kFailEnospc,
  // Writes only: write a strict prefix and report that count. The prefix is
  // non-empty when it can be (at least 1 byte; for direct files at least one 4 KiB
  // block, and a multiple of 4 KiB), so callers' short-write loops make progress.
  // A short WriteThenSync does not sync, as the File contract says.
  kShortWrite,
  // Writes: write a random prefix ending on a 512-byte sector boundary of the file
  // (4 KiB for direct files), then crash. Other operations: crash before running.
  // The call and every later one fail with IoError until FaultyFileSystem::Restart.
  kTearAndCrash,
  // Data operations only (Write, WriteThenSync, Read, DataSync): yield to the event
  // loop 1 to 4 times before running, so concurrent operations finish out of order.
  kDelay,
  // Reads only: flip one random bit among the bytes returned.
  kFlipBitOnRead,
};
std::string_view FaultActionName(FaultAction action);

// Whether `action` makes sense for `op`; a rule never matches a call it cannot act on.
bool FaultActionApplies(FaultAction action, FaultOp op);

// One rule. A value type built with the static constructors and the chained
// setters; FaultPlan keeps the per-rule call counts.
class FaultRule {
 public:
  // Fires once, on the nth (1-based) call that matches.
  static FaultRule OnNth(FaultOp op, uint64_t n);
  // Fires on the nth matching call and on every one after it (a disk that stays full).
  static FaultRule FromNth(FaultOp op, uint64_t n);
  // Fires on every matching call.
  static FaultRule Always(FaultOp op) { return FromNth(op, 1); }
  // Fires on each matching call with probability p, drawn from the plan's generator.
  static FaultRule WithProbability(FaultOp op, double p);

  // Only calls on files whose path contains `pattern` match (empty: any path). For
  // Rename the source path is matched, for SyncDir the directory.
  FaultRule Matching(std::string pattern) const;
  // What happens when the rule fires; kFailEio unless set.
  FaultRule Do(FaultAction action) const;

  FaultOp op() const { return op_; }
  FaultAction action() const { return action_; }
  const std::string& pattern() const { return pattern_; }
  // Whether a call of `op` on `path` counts towards this rule.
  bool Matches(FaultOp op, std::string_view path) const;

  // "kWrite #3 on '.log' -> kFailEnospc", for failure messages.
  std::string ToString() const;

 private:
  friend class FaultPlan;
  enum class Trigger : uint8_t { kNth, kFromNth, kProbability };

  FaultRule(FaultOp op, Trigger trigger) : op_(op), trigger_(trigger) {}

  FaultOp op_;
  Trigger trigger_;
  uint64_t nth_ = 0;
  double probability_ = 0;
  std::string pattern_;
  FaultAction action_ = FaultAction::kFailEio;
};

// An ordered list of rules and the generator behind every random choice.
// Lifecycle: build, hand to a FaultyFileSystem (which owns it), adjust between
// operations through FaultyFileSystem::plan(). Not thread-safe by itself; the
// FaultyFileSystem serializes its calls.
class FaultPlan {
 public:
  explicit FaultPlan(uint64_t seed) : seed_(seed), rng_(seed) {}

  // Appends a rule; earlier rules win when several fire on the same call.
  FaultPlan& Add(FaultRule rule);
  // Drops every rule (for example to "give space back" after a disk-full test).
  // The generator keeps its position, so a replay still matches.
  void Clear();

  // One call of `op` on `path`: counts it against every rule it matches and
  // returns the action of the first rule that fires, if any.
  std::optional<FaultAction> Decide(FaultOp op, std::string_view path);

  // The generator for the random details of an action (prefix lengths, bits).
  std::mt19937_64& rng() { return rng_; }
  uint64_t seed() const { return seed_; }
  // Actions returned by Decide so far.
  uint64_t faults_injected() const { return faults_injected_; }
  const std::vector<FaultRule>& rules() const { return rules_; }

 private:
  uint64_t seed_;
  std::mt19937_64 rng_;
  std::vector<FaultRule> rules_;
  std::vector<uint64_t> matched_;  // per rule: matching calls seen
  uint64_t faults_injected_ = 0;
};

}  // namespace millstream::storage::io::testing
