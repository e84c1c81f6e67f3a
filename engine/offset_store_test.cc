#include "engine/offset_store.h"

#include <gtest/gtest.h>

#include "storage/io/testing/mem_file_system.h"

namespace millstream::engine {
namespace {

class OffsetStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override {
    if (store_) {
      EXPECT_TRUE(loop_->Run(store_->Close()).ok());
    }
  }
  void Open() {
    auto store = loop_->Run(OffsetStore::Open(fs_, *loop_, clock_, "/d/groups/0",
                                              {.segment_bytes = 4096, .write_buffer_bytes = 16 * 1024},
                                              snapshot_bytes_));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  void Reopen() {
    ASSERT_TRUE(loop_->Run(store_->Close()).ok());
    store_.reset();
    Open();
  }
  Status Commit(const std::string& group, const std::string& topic, int32_t partition, int64_t offset,
                std::optional<std::string> metadata = std::nullopt) {
    return loop_->Run(store_->Commit(group, {{{topic, partition}, {offset, metadata, clock_.Now().value()}}}));
  }
  int64_t OffsetOf(const std::string& group, const std::string& topic, int32_t partition) {
    const GroupOffsets* offsets = store_->Find(group);
    if (offsets == nullptr) return -1;
    auto it = offsets->find({topic, partition});
    return it == offsets->end() ? -1 : it->second.offset;
  }
  size_t LogFiles() {
    Result<std::vector<std::string>> names = fs_.List("/d/groups/0");
    EXPECT_TRUE(names.ok());
    size_t n = 0;
    for (const std::string& name : *names) n += name.ends_with(".log");
    return n;
  }

  std::unique_ptr<EventLoop> loop_ = EventLoop::Create().value();
  storage::io::testing::MemFileSystem fs_;
  ManualClock clock_;
  uint64_t snapshot_bytes_ = 16ull << 20;
  std::unique_ptr<OffsetStore> store_;
};

TEST_F(OffsetStoreTest, CommittedOffsetsWithMetadataSurviveAReopen) {
  ASSERT_TRUE(Commit("wms", "orders", 0, 42, "line-3").ok());
  ASSERT_TRUE(Commit("wms", "orders", 1, 7).ok());
  ASSERT_TRUE(Commit("scorecard", "receipts", 0, 1000).ok());
  ASSERT_TRUE(Commit("wms", "orders", 0, 43, "line-3").ok());  // replaces 42
  Reopen();
  EXPECT_EQ(OffsetOf("wms", "orders", 0), 43);
  EXPECT_EQ(OffsetOf("wms", "orders", 1), 7);
  EXPECT_EQ(OffsetOf("scorecard", "receipts", 0), 1000);
  EXPECT_EQ(store_->Find("wms")->at({"orders", 0}).metadata, "line-3");
  EXPECT_FALSE(store_->Find("wms")->at({"orders", 1}).metadata.has_value());
  EXPECT_EQ(store_->Groups(), (std::vector<std::string>{"scorecard", "wms"}));
}

TEST_F(OffsetStoreTest, DurableCommitsComeBackFromTheLogWithoutAFinalSnapshot) {
  ASSERT_TRUE(Commit("wms", "orders", 0, 5).ok());
  ASSERT_TRUE(Commit("wms", "orders", 0, 6).ok());
  fs_.Crash();  // keeps what was durable
  store_.reset();
  Open();
  EXPECT_EQ(OffsetOf("wms", "orders", 0), 6);
}

TEST_F(OffsetStoreTest, ForgettingAGroupRemovesItsOffsetsForGood) {
  ASSERT_TRUE(Commit("old", "orders", 0, 5).ok());
  ASSERT_TRUE(Commit("kept", "orders", 0, 9).ok());
  ASSERT_TRUE(loop_->Run(store_->Forget("old")).ok());
  EXPECT_EQ(store_->Find("old"), nullptr);
  Reopen();
  EXPECT_EQ(store_->Find("old"), nullptr);
  EXPECT_EQ(OffsetOf("kept", "orders", 0), 9);
}

TEST_F(OffsetStoreTest, SnapshotsLetOldSegmentsGoAndAStartReadsOnlyTheTail) {
  store_.reset();  // reopen with a snapshot after every 2 KiB of commits
  snapshot_bytes_ = 2048;
  Open();
  for (int i = 0; i < 400; ++i) {
    ASSERT_TRUE(Commit("wms", "orders", i % 4, i).ok());
  }
  EXPECT_LE(LogFiles(), 3u);  // without snapshots, 400 commits fill dozens of 4 KiB segments
  fs_.Crash();
  store_.reset();
  Open();
  for (int p = 0; p < 4; ++p) EXPECT_EQ(OffsetOf("wms", "orders", p), 396 + p);
}

}  // namespace
}  // namespace millstream::engine
