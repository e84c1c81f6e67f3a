#include "storage/record_batch.h"

#include <gtest/gtest.h>

#include "base/crc32c.h"
#include "base/endian.h"
#include "storage/batch_builder.h"
#include "storage/record_batch_format.h"

namespace millstream::storage {
namespace {

std::vector<std::byte> TwoRecords() {
  BatchBuilder b;
  b.Add("k1", "v1", TimestampMs(1000), {{"h", "x"}});
  b.Add(std::nullopt, std::nullopt, TimestampMs(1005));
  return b.Build();
}

TEST(RecordBatchTest, BuiltBatchValidates) {
  auto batch = TwoRecords();
  Result<BatchHeader> h = ValidateBatch(batch);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->records_count, 2);
  EXPECT_EQ(h->max_timestamp, TimestampMs(1005));
}

TEST(RecordBatchTest, RecordsDecodeWithNullsAndHeaders) {
  auto batch = TwoRecords();
  BatchHeader h = *PeekBatchHeader(batch);
  RecordReader reader(h, ConstBytes(batch).subspan(batch_format::kRecords));
  std::optional<RecordView> first = reader.Next();
  ASSERT_TRUE(first);
  EXPECT_EQ(AsStringView(*first->key), "k1");
  EXPECT_EQ(AsStringView(first->headers.at(0).key), "h");
  std::optional<RecordView> second = reader.Next();
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->key.has_value());
  EXPECT_FALSE(second->value.has_value());
  EXPECT_EQ(second->timestamp, TimestampMs(1005));
  EXPECT_FALSE(reader.Next());
  EXPECT_TRUE(reader.status().ok());
}

TEST(RecordBatchTest, ALogAppendTimeStampGivesEveryRecordTheBrokersTimeAndAValidCrc) {
  auto batch = TwoRecords();
  StampLogAppendTime(batch, TimestampMs(500));  // earlier than the producer's 1000: still valid
  Result<BatchHeader> h = ValidateBatch(batch);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_TRUE(h->is_log_append_time());
  EXPECT_EQ(h->max_timestamp, TimestampMs(500));
  RecordReader reader(*h, ConstBytes(batch).subspan(batch_format::kRecords));
  EXPECT_EQ(reader.Next()->timestamp, TimestampMs(500));
  EXPECT_EQ(reader.Next()->timestamp, TimestampMs(500));
}

TEST(RecordBatchTest, ACreateTimeBatchWithMaxBeforeBaseIsRefused) {
  auto batch = TwoRecords();
  StoreBigEndian<int64_t>(batch.data() + batch_format::kMaxTimestamp, 1);
  uint32_t crc = Crc32cExtend(0, batch.data() + batch_format::kAttributes,
                              batch.size() - batch_format::kAttributes);
  StoreBigEndian<uint32_t>(batch.data() + batch_format::kCrc, crc);
  EXPECT_NE(ValidateBatch(batch).status().message().find("max timestamp before base"),
            std::string::npos);
}

TEST(RecordBatchTest, FlippedByteIsACrcMismatch) {
  auto batch = TwoRecords();
  batch[70] ^= std::byte{1};
  EXPECT_NE(ValidateBatch(batch).status().message().find("crc mismatch"), std::string::npos);
}

TEST(RecordBatchTest, WrongMagicIsNamed) {
  auto batch = TwoRecords();
  batch[batch_format::kMagic] = std::byte{1};
  EXPECT_EQ(ValidateBatch(batch).status().message(), "bad magic 1, want 2");
}

TEST(RecordBatchTest, LengthMismatchIsNamed) {
  auto batch = TwoRecords();
  batch.push_back(std::byte{0});
  EXPECT_NE(ValidateBatch(batch).status().message().find("does not match"), std::string::npos);
}

TEST(RecordBatchTest, EveryStrictPrefixFailsCleanly) {
  auto batch = TwoRecords();
  for (size_t n = 0; n < batch.size(); ++n) {
    EXPECT_FALSE(ValidateBatch(ConstBytes(batch).first(n)).ok()) << n;
  }
}

TEST(RecordBatchTest, BaseOffsetRewriteKeepsCrcValid) {
  auto batch = TwoRecords();
  SetBaseOffset(batch, Offset(12345));
  EXPECT_EQ(ValidateBatch(batch)->base_offset, Offset(12345));
}

}  // namespace
}  // namespace millstream::storage
