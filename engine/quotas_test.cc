#include "engine/quotas.h"

#include <gtest/gtest.h>

namespace millstream::engine {
namespace {

class QuotasTest : public ::testing::Test {
 protected:
  Quotas Make(std::vector<std::string> texts) {
    std::vector<QuotaRule> rules;
    for (const std::string& t : texts) rules.push_back(ParseQuotaRule(t).value());
    return Quotas(std::move(rules), clock_);
  }
  ManualClock clock_;
};

TEST(QuotaRuleTest, ParsesClientAndTopicRules) {
  QuotaRule rule = ParseQuotaRule("client:erp-1:produce=1048576").value();
  EXPECT_EQ(rule.entity, QuotaEntity::kClient);
  EXPECT_EQ(rule.name, "erp-1");
  EXPECT_EQ(rule.direction, QuotaDirection::kProduce);
  EXPECT_EQ(rule.bytes_per_second, 1048576u);
  rule = ParseQuotaRule("topic:asn:v2:fetch=10").value();  // a name may hold ':'
  EXPECT_EQ(rule.entity, QuotaEntity::kTopic);
  EXPECT_EQ(rule.name, "asn:v2");
  EXPECT_EQ(rule.direction, QuotaDirection::kFetch);
}

TEST(QuotaRuleTest, RefusesMalformedRules) {
  for (const char* text : {"", "client", "client:erp", "user:erp:produce=1", "client::produce=1",
                           "client:erp:write=1", "client:erp:produce=", "client:erp:produce=0",
                           "client:erp:produce=1k", "client:erp:produce=-5"}) {
    EXPECT_EQ(ParseQuotaRule(text).status().code(), StatusCode::kInvalidArgument) << text;
  }
}

TEST_F(QuotasTest, WithinTheRateNothingIsThrottled) {
  Quotas quotas = Make({"client:erp:produce=1000"});
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(quotas.Record(QuotaDirection::kProduce, "erp", {{"orders", 100}}), 0);
    clock_.Advance(100);
  }
}

TEST_F(QuotasTest, ADebtIsThrottledForTheTimeTheRatePaysItBack) {
  Quotas quotas = Make({"client:erp:produce=1000"});
  // One second's worth is saved up; 1,500 more bytes owe 1.5 s.
  EXPECT_EQ(quotas.Record(QuotaDirection::kProduce, "erp", {{"orders", 2500}}), 1500);
  clock_.Advance(500);
  EXPECT_EQ(quotas.Owed(QuotaDirection::kProduce, "erp", {}), 1000);
  clock_.Advance(1000);
  EXPECT_EQ(quotas.Owed(QuotaDirection::kProduce, "erp", {}), 0);
}

TEST_F(QuotasTest, OtherClientsAndDirectionsAreNotAffected) {
  Quotas quotas = Make({"client:erp:produce=1000"});
  EXPECT_GT(quotas.Record(QuotaDirection::kProduce, "erp", {{"orders", 5000}}), 0);
  EXPECT_EQ(quotas.Record(QuotaDirection::kProduce, "mes", {{"orders", 5000}}), 0);
  EXPECT_EQ(quotas.Record(QuotaDirection::kFetch, "erp", {{"orders", 5000}}), 0);
}

TEST_F(QuotasTest, AWildcardGivesEachClientItsOwnBucket) {
  Quotas quotas = Make({"client:*:produce=1000", "client:bulk:produce=100"});
  EXPECT_EQ(quotas.Record(QuotaDirection::kProduce, "a", {{"t", 1500}}), 500);
  EXPECT_EQ(quotas.Record(QuotaDirection::kProduce, "b", {{"t", 1500}}), 500);  // not a's debt
  EXPECT_EQ(quotas.Record(QuotaDirection::kProduce, "bulk", {{"t", 150}}), 500);  // its own rule
}

TEST_F(QuotasTest, TopicQuotasCountOnlyTheirTopicAndTheLongestThrottleWins) {
  Quotas quotas = Make({"topic:asn:produce=1000", "client:portal:produce=10000"});
  int32_t ms = quotas.Record(QuotaDirection::kProduce, "portal", {{"asn", 3000}, {"orders", 9000}});
  EXPECT_EQ(ms, 2000);  // asn owes 2 s; the client's 12,000 against 10,000 owe 0.2 s
  EXPECT_EQ(quotas.Record(QuotaDirection::kProduce, "other", {{"orders", 9000}}), 0);
}

TEST_F(QuotasTest, ThrottleIsCappedButTheDebtRemains) {
  Quotas quotas = Make({"client:erp:produce=100"});
  EXPECT_EQ(quotas.Record(QuotaDirection::kProduce, "erp", {{"t", 100 + 100 * 60}}), Quotas::kMaxThrottleMs);
  clock_.Advance(Quotas::kMaxThrottleMs);
  EXPECT_EQ(quotas.Owed(QuotaDirection::kProduce, "erp", {}), Quotas::kMaxThrottleMs);
}

}  // namespace
}  // namespace millstream::engine
