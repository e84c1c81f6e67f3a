#include "engine/checkpoint_store.h"

#include <gtest/gtest.h>

namespace millstream::engine {
namespace {

TEST(CheckpointTest, JsonRoundTripsEveryField) {
  Checkpoint c{.name = "month-end", .created_ms = 1796083200004, .note = "close", .pinned = true,
               .partitions = {{"orders", 2, 10, 48210, 1796083199871}},
               .groups = {{"erp", "orders", 2, 48190}}};
  Result<Checkpoint> back = Checkpoint::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ToJson(), c.ToJson());
  ASSERT_NE(back->Find("orders", 2), nullptr);
  EXPECT_EQ(back->Find("orders", 2)->end, 48210);
  EXPECT_EQ(back->Find("orders", 3), nullptr);
}

TEST(CheckpointTest, AFieldOfTheWrongTypeIsCorruptionNotAnException) {
  for (const char* json : {R"({"version":1,"name":"x","partitions":[],"pinned":1})",
                           R"({"version":1,"name":"x","partitions":[{"topic":"t","partition":"0"}]})",
                           R"({"version":1,"name":"x","partitions":[],"group_offsets":[{"group":7}]})",
                           R"({"version":2,"name":"x","partitions":[]})", "not json"}) {
    EXPECT_EQ(Checkpoint::FromJson(json).status().code(), StatusCode::kCorruption) << json;
  }
}

}  // namespace
}  // namespace millstream::engine
