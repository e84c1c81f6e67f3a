// CheckpointSchedule: checkpoints taken by the clock, as the configuration says
// (`serve --checkpoint-schedule PERIOD:PATTERN[:pin]`, docs/checkpoints.md,
// "Scheduled checkpoints"). PERIOD is hourly, daily, monthly (each at the start of
// the next hour, day or month, UTC) or Ns / Nm (every N seconds or minutes);
// PATTERN is a strftime pattern formatted with the last second of the period that
// just ended, so "month-end-%Y-%m" taken at 00:00 on 1 December is
// "month-end-2026-11".
//
// Lifecycle: Start() runs one thread that sleeps until the next due time and
// creates the checkpoint (engine::CreateCheckpoint, from outside the shards);
// Stop() (before the broker shuts down) wakes and joins it.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "engine/broker.h"

namespace millstream::engine {

struct ScheduleRule {
  enum class Period { kEverySeconds, kHourly, kDaily, kMonthly };
  Period period = Period::kDaily;
  int64_t every_seconds = 0;  // kEverySeconds
  std::string pattern;
  bool pin = false;

  // "daily:auto-%Y-%m-%d", "monthly:month-end-%Y-%m:pin", "30s:t-%H%M%S".
  static Result<ScheduleRule> Parse(const std::string& spec);
  // The first due time after `now_s` (seconds since the epoch, UTC).
  int64_t NextAfter(int64_t now_s) const;
  // The name for a checkpoint due at `due_s`.
  std::string NameFor(int64_t due_s) const;
};

class CheckpointSchedule {
 public:
  // `broker` is borrowed and must outlive the schedule (Stop before its Shutdown).
  static std::unique_ptr<CheckpointSchedule> Start(Broker& broker, std::vector<ScheduleRule> rules);
  ~CheckpointSchedule();
  void Stop();

 private:
  CheckpointSchedule(Broker& broker, std::vector<ScheduleRule> rules)
      : broker_(broker), rules_(std::move(rules)) {}
  void Run();

  Broker& broker_;
  const std::vector<ScheduleRule> rules_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace millstream::engine
