// The report of `millstream bench burst`: the goals of issue 7 judged on a run's
// timeline, the JSON (one object per second and a summary per run) and an SVG
// plot a person can read at a glance. bench/README.md documents the fields.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tools/burst_run.h"
#include "tools/burst_scenario.h"

namespace millstream::tools {

// Broker memory beyond its two budgets that the memory goal allows: allocator
// slack, a fetch answer's second copy while it is encoded, coroutine frames and
// indexes. docs/operations.md ("Back-pressure") lists what else is fixed.
inline constexpr double kMemoryOverheadBytes = 64.0 * (1 << 20);

struct BurstGoal {
  std::string name;
  bool measured = false;
  bool met = false;
  std::string detail;  // the figures behind it
};

// The goals for one run: nothing acknowledged lost, memory within the budgets
// plus kMemoryOverheadBytes, surge throughput >= 90% of capacity, critical p99
// in the surge <= 2x its steady value.
std::vector<BurstGoal> JudgeBurst(const BurstRunResult& run);

nlohmann::ordered_json BurstJson(const BurstScenario& scenario, const std::vector<BurstRunResult>& runs,
                                 const std::string& command);

// Throughput, ack latency p99 per class, lag and memory over time; a second run
// (all topics in one class) is drawn dashed beside the first.
std::string BurstSvg(const BurstScenario& scenario, const std::vector<BurstRunResult>& runs);

}  // namespace millstream::tools
