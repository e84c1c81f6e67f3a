#include "storage/batch_builder.h"

#include <algorithm>
#include <cstring>

#include "base/crc32c.h"
#include "base/endian.h"
#include "base/varint.h"
#include "storage/record_batch_format.h"

namespace millstream::storage {

namespace {

void PutVarint(std::vector<std::byte>& out, int64_t v) {
  std::byte buf[10];
  size_t n = EncodeZigzag64(v, buf);
  out.insert(out.end(), buf, buf + n);
}

void PutBytes(std::vector<std::byte>& out, std::optional<std::string_view> b) {
  if (!b) {
    PutVarint(out, -1);
    return;
  }
  PutVarint(out, static_cast<int64_t>(b->size()));
  ConstBytes bytes = AsBytes(*b);
  out.insert(out.end(), bytes.begin(), bytes.end());
}

}  // namespace

void BatchBuilder::Add(std::optional<std::string_view> key, std::optional<std::string_view> value,
                       TimestampMs timestamp, const std::vector<RecordHeaderInput>& headers) {
  if (count_ == 0) {
    base_timestamp_ = timestamp;
    max_timestamp_ = timestamp;
  }
  max_timestamp_ = std::max(max_timestamp_, timestamp);
  std::vector<std::byte> body;
  body.push_back(std::byte{0});  // attributes
  PutVarint(body, timestamp - base_timestamp_);
  PutVarint(body, count_);  // offset delta
  PutBytes(body, key);
  PutBytes(body, value);
  PutVarint(body, static_cast<int64_t>(headers.size()));
  for (const RecordHeaderInput& h : headers) {
    PutBytes(body, h.key);
    PutBytes(body, h.value);
  }
  PutVarint(records_, static_cast<int64_t>(body.size()));
  records_.insert(records_.end(), body.begin(), body.end());
  ++count_;
}

std::vector<std::byte> BatchBuilder::Build(int64_t producer_id, int16_t producer_epoch,
                                           int32_t base_sequence) {
  namespace bf = batch_format;
  std::vector<std::byte> out(bf::kHeaderSize + records_.size());
  if (!records_.empty()) std::memcpy(out.data() + bf::kHeaderSize, records_.data(), records_.size());
  std::byte* p = out.data();
  StoreBigEndian<int64_t>(p + bf::kBaseOffset, 0);
  StoreBigEndian<int32_t>(p + bf::kBatchLength, static_cast<int32_t>(out.size() - bf::kLogOverhead));
  StoreBigEndian<int32_t>(p + bf::kPartitionLeaderEpoch, 0);
  p[bf::kMagic] = static_cast<std::byte>(bf::kMagicV2);
  StoreBigEndian<int16_t>(p + bf::kAttributes, 0);
  StoreBigEndian<int32_t>(p + bf::kLastOffsetDelta, count_ - 1);
  StoreBigEndian<int64_t>(p + bf::kBaseTimestamp, base_timestamp_.value());
  StoreBigEndian<int64_t>(p + bf::kMaxTimestamp, max_timestamp_.value());
  StoreBigEndian<int64_t>(p + bf::kProducerId, producer_id);
  StoreBigEndian<int16_t>(p + bf::kProducerEpoch, producer_epoch);
  StoreBigEndian<int32_t>(p + bf::kBaseSequence, base_sequence);
  StoreBigEndian<int32_t>(p + bf::kRecordsCount, count_);
  StoreBigEndian<uint32_t>(p + bf::kCrc, Crc32cExtend(0, p + bf::kAttributes, out.size() - bf::kAttributes));
  records_.clear();
  count_ = 0;
  return out;
}

}  // namespace millstream::storage
