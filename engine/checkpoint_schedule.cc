#include "engine/checkpoint_schedule.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>

#include "base/clock.h"
#include "engine/checkpoints.h"

namespace millstream::engine {

namespace {

std::tm Utc(int64_t seconds) {
  std::tm tm{};
  auto t = static_cast<std::time_t>(seconds);
  gmtime_r(&t, &tm);
  return tm;
}

int64_t FromUtc(std::tm tm) { return static_cast<int64_t>(timegm(&tm)); }

}  // namespace

Result<ScheduleRule> ScheduleRule::Parse(const std::string& spec) {
  size_t colon = spec.find(':');
  if (colon == std::string::npos) return InvalidArgument("expected PERIOD:PATTERN[:pin], got " + spec);
  ScheduleRule rule;
  std::string period = spec.substr(0, colon);
  std::string rest = spec.substr(colon + 1);
  if (rest.size() > 4 && rest.ends_with(":pin")) {
    rule.pin = true;
    rest.resize(rest.size() - 4);
  }
  rule.pattern = rest;
  if (period == "hourly") {
    rule.period = Period::kHourly;
  } else if (period == "daily") {
    rule.period = Period::kDaily;
  } else if (period == "monthly") {
    rule.period = Period::kMonthly;
  } else {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(period.data(), period.data() + period.size(), n);
    std::string unit(end, static_cast<const char*>(period.data() + period.size()));
    if (ec != std::errc() || n <= 0 || (unit != "s" && unit != "m")) {
      return InvalidArgument("period must be hourly, daily, monthly, Ns or Nm, got " + period);
    }
    rule.period = Period::kEverySeconds;
    rule.every_seconds = unit == "m" ? n * 60 : n;
  }
  if (rule.pattern.empty()) return InvalidArgument("empty name pattern in " + spec);
  // A name the pattern makes must be a valid checkpoint name.
  RETURN_IF_ERROR(ValidateCheckpointName(rule.NameFor(rule.NextAfter(0))).WithContext("pattern " + rule.pattern));
  return rule;
}

int64_t ScheduleRule::NextAfter(int64_t now_s) const {
  std::tm tm = Utc(now_s);
  switch (period) {
    case Period::kEverySeconds: return (now_s / every_seconds + 1) * every_seconds;
    case Period::kHourly: tm.tm_min = tm.tm_sec = 0; tm.tm_hour += 1; break;
    case Period::kDaily: tm.tm_hour = tm.tm_min = tm.tm_sec = 0; tm.tm_mday += 1; break;
    case Period::kMonthly: tm.tm_hour = tm.tm_min = tm.tm_sec = 0; tm.tm_mday = 1; tm.tm_mon += 1; break;
  }
  return FromUtc(tm);  // timegm normalises the overflowing field
}

std::string ScheduleRule::NameFor(int64_t due_s) const {
  std::tm tm = Utc(due_s - 1);  // the last second of the period that ended
  char buf[256];
  size_t n = std::strftime(buf, sizeof(buf), pattern.c_str(), &tm);
  return std::string(buf, n);
}

std::unique_ptr<CheckpointSchedule> CheckpointSchedule::Start(Broker& broker, std::vector<ScheduleRule> rules) {
  std::unique_ptr<CheckpointSchedule> schedule(new CheckpointSchedule(broker, std::move(rules)));
  if (!schedule->rules_.empty()) schedule->thread_ = std::thread([s = schedule.get()] { s->Run(); });
  return schedule;
}

CheckpointSchedule::~CheckpointSchedule() { Stop(); }

void CheckpointSchedule::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CheckpointSchedule::Run() {
  auto now_s = [] { return SystemClock::Instance().Now().value() / 1000; };
  std::vector<int64_t> due;
  for (const ScheduleRule& rule : rules_) due.push_back(rule.NextAfter(now_s()));
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    int64_t next = *std::min_element(due.begin(), due.end());
    // Wall-clock time, rechecked at least every second (the clock may be set).
    wake_.wait_for(lock, std::chrono::milliseconds(std::clamp<int64_t>((next - now_s()) * 1000, 1, 1000)));
    if (stopping_) break;
    for (size_t i = 0; i < rules_.size(); ++i) {
      if (now_s() < due[i]) continue;
      CheckpointRequest request{rules_[i].NameFor(due[i]), {}, rules_[i].pin, "scheduled (" + rules_[i].pattern + ")"};
      due[i] = rules_[i].NextAfter(now_s());
      lock.unlock();
      Result<Checkpoint> made = CreateCheckpoint(broker_, request);
      if (made.ok()) {
        spdlog::info("scheduled checkpoint {} created ({} partitions)", request.name, made->partitions.size());
      } else {
        spdlog::error("scheduled checkpoint {} not created: {}", request.name, made.status().ToString());
      }
      lock.lock();
    }
  }
}

}  // namespace millstream::engine
