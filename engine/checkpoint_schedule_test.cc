#include "engine/checkpoint_schedule.h"

#include <gtest/gtest.h>

namespace millstream::engine {
namespace {

constexpr int64_t k2026Nov30_235959 = 1796083199;  // 2026-11-30T23:59:59Z
constexpr int64_t k2026Dec01 = k2026Nov30_235959 + 1;

TEST(ScheduleRuleTest, MonthlyIsDueAtTheStartOfTheNextMonthAndNamedForTheMonthThatEnded) {
  Result<ScheduleRule> rule = ScheduleRule::Parse("monthly:month-end-%Y-%m:pin");
  ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  EXPECT_TRUE(rule->pin);
  EXPECT_EQ(rule->NextAfter(k2026Dec01 - 86400 * 10), k2026Dec01);
  EXPECT_EQ(rule->NextAfter(k2026Dec01), k2026Dec01 + 31 * 86400);  // then 1 January
  EXPECT_EQ(rule->NameFor(k2026Dec01), "month-end-2026-11");
}

TEST(ScheduleRuleTest, DailyHourlyAndEverySeconds) {
  ScheduleRule daily = *ScheduleRule::Parse("daily:day-%Y-%m-%d");
  EXPECT_EQ(daily.NextAfter(k2026Nov30_235959 - 3600), k2026Dec01);
  EXPECT_EQ(daily.NameFor(k2026Dec01), "day-2026-11-30");
  ScheduleRule hourly = *ScheduleRule::Parse("hourly:h-%H");
  EXPECT_EQ(hourly.NextAfter(k2026Dec01 + 10), k2026Dec01 + 3600);
  ScheduleRule every = *ScheduleRule::Parse("90s:t-%H%M%S");
  EXPECT_EQ(every.NextAfter(900), 990);
  EXPECT_FALSE(every.pin);
  EXPECT_EQ((*ScheduleRule::Parse("2m:x-%s")).every_seconds, 120);
}

TEST(ScheduleRuleTest, BadSpecsAreRefusedWithTheReason) {
  EXPECT_EQ(ScheduleRule::Parse("daily").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ScheduleRule::Parse("weekly:x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ScheduleRule::Parse("0s:x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ScheduleRule::Parse("daily:bad name %d").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace millstream::engine
