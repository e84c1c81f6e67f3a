#include "storage/record_batch.h"

#include <string>

#include "base/crc32c.h"
#include "base/endian.h"
#include "base/varint.h"
#include "storage/record_batch_format.h"

namespace millstream::storage {

namespace bf = batch_format;

std::optional<BatchHeader> PeekBatchHeader(ConstBytes b) {
  if (b.size() < bf::kHeaderSize) return std::nullopt;
  const std::byte* p = b.data();
  BatchHeader h;
  h.base_offset = Offset(LoadBigEndian<int64_t>(p + bf::kBaseOffset));
  h.batch_length = LoadBigEndian<int32_t>(p + bf::kBatchLength);
  h.partition_leader_epoch = LoadBigEndian<int32_t>(p + bf::kPartitionLeaderEpoch);
  h.magic = static_cast<int8_t>(p[bf::kMagic]);
  h.crc = LoadBigEndian<uint32_t>(p + bf::kCrc);
  h.attributes = LoadBigEndian<uint16_t>(p + bf::kAttributes);
  h.last_offset_delta = LoadBigEndian<int32_t>(p + bf::kLastOffsetDelta);
  h.base_timestamp = TimestampMs(LoadBigEndian<int64_t>(p + bf::kBaseTimestamp));
  h.max_timestamp = TimestampMs(LoadBigEndian<int64_t>(p + bf::kMaxTimestamp));
  h.producer_id = LoadBigEndian<int64_t>(p + bf::kProducerId);
  h.producer_epoch = LoadBigEndian<int16_t>(p + bf::kProducerEpoch);
  h.base_sequence = LoadBigEndian<int32_t>(p + bf::kBaseSequence);
  h.records_count = LoadBigEndian<int32_t>(p + bf::kRecordsCount);
  return h;
}

Result<BatchHeader> CheckBatchFraming(ConstBytes b) {
  std::optional<BatchHeader> h = PeekBatchHeader(b);
  if (!h) return Corruption("batch shorter than its 61-byte header (" + std::to_string(b.size()) + " bytes)");
  if (h->magic != bf::kMagicV2) return Corruption("bad magic " + std::to_string(h->magic) + ", want 2");
  if (h->batch_length < static_cast<int32_t>(bf::kHeaderSize - bf::kLogOverhead) ||
      h->total_size() != b.size()) {
    return Corruption("batch length " + std::to_string(h->batch_length) + " does not match " +
                      std::to_string(b.size()) + " bytes");
  }
  uint32_t crc = Crc32cExtend(0, b.data() + bf::kAttributes, b.size() - bf::kAttributes);
  if (crc != h->crc) {
    return Corruption("crc mismatch: stored " + std::to_string(h->crc) + ", computed " +
                      std::to_string(crc));
  }
  if ((h->attributes & 0xff80) != 0) return Corruption("unknown attribute bits set");
  if (h->compression() > Compression::kZstd) return Corruption("unknown compression codec");
  return *h;
}

Result<BatchHeader> ValidateBatch(ConstBytes b) {
  ASSIGN_OR_RETURN(BatchHeader h, CheckBatchFraming(b));
  if (h.records_count <= 0) return Corruption("record count " + std::to_string(h.records_count));
  if (h.last_offset_delta != h.records_count - 1) {
    return Corruption("record count " + std::to_string(h.records_count) +
                      " but last offset delta " + std::to_string(h.last_offset_delta));
  }
  // A LogAppendTime batch carries the broker's clock, which may be behind the
  // producer's.
  if (!h.is_log_append_time() && h.max_timestamp < h.base_timestamp &&
      h.max_timestamp.value() != -1) {
    return Corruption("max timestamp before base timestamp");
  }
  if (h.compression() == Compression::kNone) {
    RecordReader reader(h, b.subspan(bf::kRecords));
    while (reader.Next()) {
    }
    RETURN_IF_ERROR(reader.status());
    if (reader.records_read() != h.records_count) {
      return Corruption("records area holds " + std::to_string(reader.records_read()) +
                        " records, header says " + std::to_string(h.records_count));
    }
  }
  return h;
}

void SetBaseOffset(MutableBytes batch, Offset base) {
  StoreBigEndian<int64_t>(batch.data() + bf::kBaseOffset, base.value());
}

void StampLogAppendTime(MutableBytes batch, TimestampMs now) {
  uint16_t attributes = LoadBigEndian<uint16_t>(batch.data() + bf::kAttributes);
  StoreBigEndian<uint16_t>(batch.data() + bf::kAttributes, attributes | bf::kTimestampTypeBit);
  StoreBigEndian<int64_t>(batch.data() + bf::kMaxTimestamp, now.value());
  uint32_t crc = Crc32cExtend(0, batch.data() + bf::kAttributes, batch.size() - bf::kAttributes);
  StoreBigEndian<uint32_t>(batch.data() + bf::kCrc, crc);
}

std::optional<RecordView> RecordReader::Fail(std::string why) {
  status_ = Corruption("record " + std::to_string(read_) + ": " + why);
  p_ = end_;
  return std::nullopt;
}

std::optional<RecordView> RecordReader::Next() {
  if (!status_.ok() || p_ >= end_) return std::nullopt;
  std::optional<int32_t> length = DecodeZigzag32(p_, end_);
  if (!length || *length < 0 || *length > end_ - p_) return Fail("bad record length");
  const std::byte* rec_end = p_ + *length;
  const std::byte* p = p_;
  if (p >= rec_end) return Fail("empty record");
  ++p;  // attributes, unused
  std::optional<int64_t> ts_delta = DecodeZigzag64(p, rec_end);
  std::optional<int32_t> offset_delta = DecodeZigzag32(p, rec_end);
  if (!ts_delta || !offset_delta) return Fail("truncated record header");
  if (*offset_delta != read_) {
    return Fail("offset delta " + std::to_string(*offset_delta) + ", want " + std::to_string(read_));
  }
  RecordView rec;
  rec.offset = header_.base_offset + *offset_delta;
  rec.timestamp = header_.is_log_append_time() ? header_.max_timestamp
                                               : header_.base_timestamp + *ts_delta;
  auto read_bytes = [&](std::optional<ConstBytes>& out) -> bool {
    std::optional<int32_t> n = DecodeZigzag32(p, rec_end);
    if (!n || *n < -1 || *n > rec_end - p) return false;
    if (*n == -1) {
      out.reset();
      return true;
    }
    out = ConstBytes(p, static_cast<size_t>(*n));
    p += *n;
    return true;
  };
  if (!read_bytes(rec.key) || !read_bytes(rec.value)) return Fail("bad key or value length");
  std::optional<int32_t> header_count = DecodeZigzag32(p, rec_end);
  if (!header_count || *header_count < 0 || *header_count > rec_end - p) {
    return Fail("bad header count");
  }
  for (int32_t i = 0; i < *header_count; ++i) {
    std::optional<ConstBytes> key;
    RecordView::Header header;
    if (!read_bytes(key) || !key) return Fail("bad header key");
    header.key = *key;
    if (!read_bytes(header.value)) return Fail("bad header value");
    rec.headers.push_back(header);
  }
  if (p != rec_end) return Fail("record length does not match its fields");
  p_ = rec_end;
  ++read_;
  return rec;
}

}  // namespace millstream::storage
