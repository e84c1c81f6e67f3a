#include "engine/idempotency_store.h"

#include <gtest/gtest.h>

#include "storage/io/testing/mem_file_system.h"

namespace millstream::engine {
namespace {

constexpr int64_t kWindowMs = 60'000;

class IdempotencyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.Advance(1'000'000);
    Open();
  }
  void TearDown() override {
    if (store_) {
      EXPECT_TRUE(loop_->Run(store_->Close()).ok());
    }
  }
  void Open() {
    auto store = loop_->Run(IdempotencyStore::Open(fs_, *loop_, clock_, "/d/webhooks/keys", kWindowMs));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  void Reopen() {
    ASSERT_TRUE(loop_->Run(store_->Close()).ok());
    store_.reset();
    Open();
  }
  Status Put(const std::string& key, const std::string& answer) {
    IdempotencyStore::Entry entry{"digest-" + key, 200, answer, clock_.Now().value()};
    return loop_->Run(store_->Put(key, std::move(entry)));
  }
  std::string AnswerOf(const std::string& key) {
    const IdempotencyStore::Entry* entry = store_->Find(key);
    return entry == nullptr ? "(none)" : entry->answer;
  }

  std::unique_ptr<EventLoop> loop_ = EventLoop::Create().value();
  storage::io::testing::MemFileSystem fs_;
  ManualClock clock_;
  std::unique_ptr<IdempotencyStore> store_;
};

TEST_F(IdempotencyStoreTest, AnswersSurviveAReopen) {
  ASSERT_TRUE(Put("asn-1", "{\"offsets\":[1]}").ok());
  ASSERT_TRUE(Put("asn-2", std::string(70'000, 'x')).ok());  // longer than a 16-bit length
  Reopen();
  EXPECT_EQ(AnswerOf("asn-1"), "{\"offsets\":[1]}");
  EXPECT_EQ(AnswerOf("asn-2"), std::string(70'000, 'x'));
  EXPECT_EQ(store_->Find("asn-1")->request_digest, "digest-asn-1");
  EXPECT_EQ(store_->Find("asn-1")->answer_status, 200);
  EXPECT_EQ(AnswerOf("asn-3"), "(none)");
}

TEST_F(IdempotencyStoreTest, KeysOlderThanTheWindowAreForgottenAlsoAfterAReopen) {
  ASSERT_TRUE(Put("old", "a").ok());
  clock_.Advance(kWindowMs / 2);
  ASSERT_TRUE(Put("newer", "b").ok());
  clock_.Advance(kWindowMs / 2 + 1);
  EXPECT_EQ(AnswerOf("old"), "(none)");
  EXPECT_EQ(AnswerOf("newer"), "b");
  Reopen();
  EXPECT_EQ(AnswerOf("old"), "(none)");
  EXPECT_EQ(AnswerOf("newer"), "b");
  EXPECT_EQ(store_->size(), 1u);
}

TEST_F(IdempotencyStoreTest, AClaimedKeyCannotBeClaimedTwice) {
  EXPECT_TRUE(store_->TryClaim("k"));
  EXPECT_FALSE(store_->TryClaim("k"));
  store_->Release("k");
  EXPECT_TRUE(store_->TryClaim("k"));
}

TEST_F(IdempotencyStoreTest, AClosedStoreRefusesNewKeys) {
  ASSERT_TRUE(loop_->Run(store_->Close()).ok());
  EXPECT_EQ(Put("late", "x").code(), StatusCode::kShuttingDown);
  store_.reset();
}

}  // namespace
}  // namespace millstream::engine
