#include "net/kafka/protocol/error_code_visitor.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/heartbeat.h"
#include "net/kafka/protocol/produce.h"

namespace millstream::net::kafka {
namespace {

template <typename T>
std::vector<int16_t> Codes(const T& msg, int16_t version) {
  std::vector<int16_t> out;
  ForEachErrorCode(msg, version, [&out](int16_t code) { out.push_back(code); });
  return out;
}

TEST(ErrorCodeVisitorTest, FindsPartitionCodesInsideTopicArraysAndSkipsZeros) {
  ProduceResponse response;
  response.responses.resize(2);
  response.responses[0].partition_responses.resize(2);
  response.responses[0].partition_responses[1].error_code = 3;
  response.responses[1].partition_responses.resize(1);
  response.responses[1].partition_responses[0].error_code = 10;
  EXPECT_EQ(Codes(response, 7), (std::vector<int16_t>{3, 10}));
}

TEST(ErrorCodeVisitorTest, FindsTheTopLevelCode) {
  HeartbeatResponse response;
  response.error_code = 27;
  EXPECT_EQ(Codes(response, 3), (std::vector<int16_t>{27}));
  response.error_code = 0;
  EXPECT_TRUE(Codes(response, 3).empty());
}

}  // namespace
}  // namespace millstream::net::kafka
