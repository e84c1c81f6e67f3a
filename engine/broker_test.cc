// Broker over real shards (two threads) on a temporary directory.
#include "engine/broker.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "storage/batch_builder.h"
#include "storage/io/testing/test_backends.h"
#include "storage/record_batch.h"
#include "storage/record_batch_format.h"

namespace millstream::engine {
namespace {

std::vector<std::byte> Batch(std::string value) {
  storage::BatchBuilder b;
  b.Add("k", value, TimestampMs(1000));
  return b.Build();
}

std::vector<std::string> Values(const std::vector<std::byte>& records) {
  std::vector<std::string> out;
  ConstBytes rest = records;
  while (rest.size() >= storage::batch_format::kHeaderSize) {
    storage::BatchHeader h = *storage::PeekBatchHeader(rest);
    storage::RecordReader reader(h, rest.subspan(61, h.total_size() - 61));
    while (auto r = reader.Next()) out.emplace_back(AsStringView(*r->value));
    rest = rest.subspan(h.total_size());
  }
  return out;
}

Task<Result<storage::AppendInfo>> ProduceBatch(Broker& broker, Shard& shard, std::string topic,
                                               int partition, std::vector<std::byte> batch) {
  Result<ProduceResult> result = co_await broker.Produce(shard, topic, partition, batch, Acks::kDurable);
  if (!result.ok()) co_return result.status();
  co_return result->info;
}

class BrokerTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override {
    if (broker_) {
      EXPECT_TRUE(broker_->Shutdown().ok());
    }
  }
  void Open() {
    BrokerConfig config{.data_dir = tmp_.path(), .shards = 2};
    config.groups.offsets_retention_ms = 60'000;
    config.groups.expiry_check_ms = 50;
    config.group_clock = &clock_;
    auto broker = Broker::Open(config);
    ASSERT_TRUE(broker.ok()) << broker.status().ToString();
    broker_ = std::move(*broker);
  }
  void Restart() {
    ASSERT_TRUE(broker_->Shutdown().ok());
    broker_.reset();
    Open();
  }
  // Runs `make(shard0)` on shard 0 and waits for its value.
  template <typename T>
  T OnShard0(std::function<Task<T>(Shard&)> make) {
    auto promise = std::make_shared<std::promise<T>>();
    Shard& shard = broker_->shard(0);
    shard.Post([&shard, make, promise] {
      shard.loop().Spawn([](Shard& s, std::function<Task<T>(Shard&)> m, std::shared_ptr<std::promise<T>> p) -> Task<void> {
        p->set_value(co_await m(s));
      }(shard, make, promise));
    });
    return promise->get_future().get();
  }
  Status Create(std::string name, int partitions) {
    TopicConfig config;
    config.partitions = partitions;
    return OnShard0<Status>([this, name, config](Shard& s) { return broker_->CreateTopic(s, name, config); });
  }
  Result<storage::AppendInfo> Produce(std::string topic, int partition, std::string value) {
    Broker* broker = broker_.get();
    return OnShard0<Result<storage::AppendInfo>>([broker, topic, partition, value](Shard& s) {
      return ProduceBatch(*broker, s, topic, partition, Batch(value));
    });
  }
  Result<FetchResult> Fetch(std::string topic, int partition, int64_t offset, int32_t max_wait_ms = 0) {
    return OnShard0<Result<FetchResult>>([=, this](Shard& s) {
      return broker_->Fetch(s, topic, partition, Offset(offset), 1 << 20, 1, max_wait_ms);
    });
  }

  storage::io::testing::TempDir tmp_;
  ManualClock clock_;
  std::unique_ptr<Broker> broker_;
};

TEST_F(BrokerTest, ProduceAndFetchAcrossShards) {
  ASSERT_TRUE(Create("orders", 4).ok());
  for (int p = 0; p < 4; ++p) {
    ASSERT_TRUE(Produce("orders", p, "o" + std::to_string(p)).ok());
    ASSERT_TRUE(Produce("orders", p, "p" + std::to_string(p)).ok());
  }
  for (int p = 0; p < 4; ++p) {
    auto fetched = Fetch("orders", p, 0);
    ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
    EXPECT_EQ(Values(fetched->records), (std::vector<std::string>{"o" + std::to_string(p), "p" + std::to_string(p)}));
    EXPECT_EQ(fetched->state.high_watermark, Offset(2));
  }
}

TEST_F(BrokerTest, TopicsAndDataSurviveARestart) {
  ASSERT_TRUE(Create("receipts", 3).ok());
  ASSERT_TRUE(Produce("receipts", 2, "r").ok());
  Restart();
  ASSERT_TRUE(broker_->FindTopic("receipts").has_value());
  EXPECT_EQ(broker_->FindTopic("receipts")->config.partitions, 3);
  EXPECT_EQ(Values(Fetch("receipts", 2, 0)->records), (std::vector<std::string>{"r"}));
}

TEST_F(BrokerTest, UnknownTopicOrPartitionIsNotFound) {
  EXPECT_EQ(Produce("nope", 0, "x").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(Create("t", 1).ok());
  EXPECT_EQ(Produce("t", 1, "x").status().code(), StatusCode::kNotFound);
}

TEST_F(BrokerTest, CreatingAnExistingTopicIsBusy) {
  ASSERT_TRUE(Create("t", 1).ok());
  EXPECT_EQ(Create("t", 1).code(), StatusCode::kBusy);
  EXPECT_EQ(Create("bad name", 1).code(), StatusCode::kInvalidArgument);
}

TEST_F(BrokerTest, ALongPollReturnsWhenDataArrives) {
  ASSERT_TRUE(Create("downtime", 2).ok());
  // The fetch waits on shard 0's behalf for up to a minute; the produce ends it.
  auto fetch = std::async(std::launch::async, [this] { return Fetch("downtime", 1, 0, 60000); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(Produce("downtime", 1, "machine 7 down").ok());
  auto fetched = fetch.get();
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(Values(fetched->records), (std::vector<std::string>{"machine 7 down"}));
}

TEST_F(BrokerTest, ALongPollWithoutDataEndsEmpty) {
  ASSERT_TRUE(Create("quiet", 1).ok());
  auto fetched = Fetch("quiet", 0, 0, 30);
  ASSERT_TRUE(fetched.ok());
  EXPECT_TRUE(fetched->records.empty());
}

TEST_F(BrokerTest, DeletedTopicIsGoneAlsoAfterRestart) {
  ASSERT_TRUE(Create("gone", 2).ok());
  ASSERT_TRUE(Produce("gone", 0, "x").ok());
  EXPECT_TRUE(OnShard0<Status>([this](Shard& s) { return broker_->DeleteTopic(s, "gone"); }).ok());
  EXPECT_FALSE(broker_->FindTopic("gone").has_value());
  Restart();
  EXPECT_FALSE(broker_->FindTopic("gone").has_value());
  ASSERT_TRUE(Create("gone", 1).ok());
  EXPECT_EQ(Produce("gone", 0, "y")->base_offset, Offset(0));
}

TEST_F(BrokerTest, ATopicThatFailsHalfwayLeavesNothingAndCanBeCreatedLater) {
  // A file where partition 2's directory must go: partitions 0 and 1 open first.
  std::string topic_dir = tmp_.path() + "/topics/half";
  std::filesystem::create_directories(topic_dir);
  std::ofstream(topic_dir + "/2") << "in the way";
  Status failed = Create("half", 4);
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find("create topic half"), std::string::npos) << failed.ToString();
  EXPECT_FALSE(broker_->FindTopic("half").has_value());
  EXPECT_FALSE(std::filesystem::exists(topic_dir));
  Restart();
  EXPECT_FALSE(broker_->FindTopic("half").has_value());
  ASSERT_TRUE(Create("half", 4).ok());
  EXPECT_EQ(Produce("half", 3, "z")->base_offset, Offset(0));
}

TEST_F(BrokerTest, CommittedOffsetsSurviveARestartAndDeletedGroupsStayDeleted) {
  auto commit = [this](std::string group, int64_t offset) {
    return OnShard0<Result<GroupCoordinator::CommitResult>>([this, group, offset](Shard& s) {
      return broker_->groups().Commit(s, group, "", -1, {{{"orders", 0}, {offset, "m", 1000}}});
    });
  };
  auto fetch = [this](std::string group) {
    return OnShard0<GroupOffsets>([this, group](Shard& s) { return broker_->groups().FetchOffsets(s, group); });
  };
  ASSERT_TRUE(commit("wms", 17).ok());
  ASSERT_TRUE(commit("scorecard", 3).ok());
  Restart();
  GroupOffsets wms = fetch("wms");
  ASSERT_EQ(wms.size(), 1u);
  EXPECT_EQ(wms.at({"orders", 0}).offset, 17);
  EXPECT_EQ(wms.at({"orders", 0}).metadata, "m");
  Result<GroupError> deleted =
      OnShard0<Result<GroupError>>([this](Shard& s) { return broker_->groups().Delete(s, "scorecard"); });
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, GroupError::kNone);
  Restart();
  EXPECT_TRUE(fetch("scorecard").empty());
  std::vector<GroupListing> groups =
      OnShard0<std::vector<GroupListing>>([this](Shard& s) { return broker_->groups().List(s); });
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].group_id, "wms");
}

TEST_F(BrokerTest, AGroupsLagIsTheEndMinusItsCommittedOffset) {
  ASSERT_TRUE(Create("orders", 2).ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Produce("orders", 0, "x").ok());
  ASSERT_TRUE(Produce("orders", 1, "y").ok());
  ASSERT_TRUE(OnShard0<Result<GroupCoordinator::CommitResult>>([this](Shard& s) {
                return broker_->groups().Commit(s, "wms", "", -1,
                                                {{{"orders", 0}, {2, std::nullopt, 0}},
                                                 {{"orders", 1}, {1, std::nullopt, 0}}});
              }).ok());
  std::vector<Broker::PartitionLag> lag = OnShard0<std::vector<Broker::PartitionLag>>(
      [this](Shard& s) { return broker_->GroupLag(s, "wms"); });
  ASSERT_EQ(lag.size(), 2u);
  EXPECT_EQ(lag[0].partition, 0);
  EXPECT_EQ(lag[0].end, 5);
  EXPECT_EQ(lag[0].lag, 3);
  EXPECT_EQ(lag[1].lag, 0);
  ASSERT_TRUE(Produce("orders", 1, "z").ok());  // the lag follows the end at once
  lag = OnShard0<std::vector<Broker::PartitionLag>>([this](Shard& s) { return broker_->GroupLag(s, "wms"); });
  EXPECT_EQ(lag[1].lag, 1);
}

TEST_F(BrokerTest, OffsetsOfAGroupLeftEmptyExpireAfterTheRetention) {
  auto commit = [this](std::string group) {
    return OnShard0<Result<GroupCoordinator::CommitResult>>([this, group](Shard& s) {
      return broker_->groups().Commit(s, group, "", -1, {{{"orders", 0}, {5, std::nullopt, 0}}});
    });
  };
  auto has_offsets = [this](std::string group) {
    return !OnShard0<GroupOffsets>([this, group](Shard& s) { return broker_->groups().FetchOffsets(s, group); })
                .empty();
  };
  ASSERT_TRUE(commit("stale").ok());
  clock_.Advance(30'000);
  ASSERT_TRUE(commit("fresh").ok());
  clock_.Advance(31'000);  // "stale" is past the 60 s retention, "fresh" is not
  // Expiry runs every 50 ms of real time; give it a few rounds.
  for (int i = 0; i < 100 && has_offsets("stale"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(has_offsets("stale"));
  EXPECT_TRUE(has_offsets("fresh"));
  Restart();
  EXPECT_FALSE(has_offsets("stale"));
}

TEST_F(BrokerTest, AfterARestartOffsetsDoNotExpireBeforeTheirConsumersCouldRejoin) {
  ASSERT_TRUE(OnShard0<Result<GroupCoordinator::CommitResult>>([this](Shard& s) {
                return broker_->groups().Commit(s, "idle-wms", "", -1, {{{"orders", 0}, {5, std::nullopt, 0}}});
              }).ok());
  ASSERT_TRUE(broker_->Shutdown().ok());
  broker_.reset();
  clock_.Advance(120'000);  // the broker was down for twice the retention
  Open();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // several expiry rounds
  auto has_offsets = [this] {
    return !OnShard0<GroupOffsets>([this](Shard& s) { return broker_->groups().FetchOffsets(s, "idle-wms"); })
                .empty();
  };
  EXPECT_TRUE(has_offsets());  // counted from the start, not from the last commit
  clock_.Advance(61'000);
  for (int i = 0; i < 100 && has_offsets(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(has_offsets());
}

}  // namespace
}  // namespace millstream::engine
