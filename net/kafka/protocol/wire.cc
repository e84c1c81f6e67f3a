#include "net/kafka/protocol/wire.h"

#include <algorithm>

#include "base/check.h"
#include "base/endian.h"
#include "base/varint.h"

namespace millstream::net::kafka {

bool operator==(const BytesRef& a, const BytesRef& b) {
  if (a.null_ || b.null_) return a.null_ == b.null_;
  return std::ranges::equal(a.bytes_, b.bytes_);
}

// ---- ByteReader ----

std::string_view ReadErrorText(ByteReader::Error e) {
  switch (e) {
    case ByteReader::Error::kNone: return "no error";
    case ByteReader::Error::kTruncated: return "truncated";
    case ByteReader::Error::kBadLength: return "invalid length or count";
    case ByteReader::Error::kBadVarint: return "overlong varint";
  }
  return "unknown read error";
}

void ByteReader::Fail(Error e) {
  if (error_ == Error::kNone) error_ = e;
  p_ = end_;
}

bool ByteReader::Need(size_t n) {
  if (!ok()) return false;
  if (remaining() < n) {
    Fail(Error::kTruncated);
    return false;
  }
  return true;
}

int8_t ByteReader::Int8() {
  if (!Need(1)) return 0;
  return static_cast<int8_t>(*p_++);
}

int16_t ByteReader::Int16() {
  if (!Need(2)) return 0;
  auto v = LoadBigEndian<int16_t>(p_);
  p_ += 2;
  return v;
}

int32_t ByteReader::Int32() {
  if (!Need(4)) return 0;
  auto v = LoadBigEndian<int32_t>(p_);
  p_ += 4;
  return v;
}

int64_t ByteReader::Int64() {
  if (!Need(8)) return 0;
  auto v = LoadBigEndian<int64_t>(p_);
  p_ += 8;
  return v;
}

uint32_t ByteReader::Uvarint32() {
  if (!ok()) return 0;
  const std::byte* start = p_;
  auto v = DecodeUvarint(p_, end_, 5);
  if (!v || *v > UINT32_MAX) {
    // Running off the end is truncation; five bytes that do not stop is garbage.
    Fail(!v && static_cast<size_t>(end_ - start) < 5 ? Error::kTruncated : Error::kBadVarint);
    return 0;
  }
  return static_cast<uint32_t>(*v);
}

int32_t ByteReader::Varint() {
  if (!ok()) return 0;
  const std::byte* start = p_;
  auto v = DecodeZigzag32(p_, end_);
  if (!v) {
    Fail(static_cast<size_t>(end_ - start) < 5 ? Error::kTruncated : Error::kBadVarint);
    return 0;
  }
  return *v;
}

int64_t ByteReader::Varlong() {
  if (!ok()) return 0;
  const std::byte* start = p_;
  auto v = DecodeZigzag64(p_, end_);
  if (!v) {
    Fail(static_cast<size_t>(end_ - start) < 10 ? Error::kTruncated : Error::kBadVarint);
    return 0;
  }
  return *v;
}

ConstBytes ByteReader::Take(size_t n) {
  if (!Need(n)) return {};
  ConstBytes out(p_, n);
  p_ += n;
  return out;
}

// `n` is the decoded length (-1 = null). Lengths below -1 are malformed; lengths
// past the end fail with `too_long`.
int32_t ByteReader::CheckedLength(int64_t n, Error too_long) {
  if (!ok()) return 0;
  if (n < -1 || n > INT32_MAX) {
    Fail(Error::kBadLength);
    return 0;
  }
  if (n > static_cast<int64_t>(remaining())) {
    Fail(too_long);
    return 0;
  }
  return static_cast<int32_t>(n);
}

int32_t ByteReader::StringLength(bool compact) {
  int64_t n = compact ? static_cast<int64_t>(Uvarint32()) - 1 : Int16();
  return CheckedLength(n, Error::kTruncated);
}

int32_t ByteReader::BytesLength(bool compact) {
  int64_t n = compact ? static_cast<int64_t>(Uvarint32()) - 1 : Int32();
  return CheckedLength(n, Error::kTruncated);
}

int32_t ByteReader::ArrayCount(bool compact) {
  int64_t n = compact ? static_cast<int64_t>(Uvarint32()) - 1 : Int32();
  return CheckedLength(n, Error::kBadLength);
}

std::optional<std::string_view> ByteReader::NullableString(bool compact) {
  int32_t n = StringLength(compact);
  if (!ok() || n < 0) return std::nullopt;
  return AsStringView(Take(static_cast<size_t>(n)));
}

std::optional<ConstBytes> ByteReader::NullableBytes(bool compact) {
  int32_t n = BytesLength(compact);
  if (!ok() || n < 0) return std::nullopt;
  return Take(static_cast<size_t>(n));
}

void ByteReader::SkipTaggedFields() {
  uint32_t count = Uvarint32();
  // Each field takes at least two bytes (tag and size).
  if (ok() && count > remaining() / 2) Fail(Error::kBadLength);
  for (uint32_t i = 0; i < count && ok(); ++i) {
    Uvarint32();  // tag
    uint32_t size = Uvarint32();
    Take(size);
  }
}

// ---- ByteWriter ----

void ByteWriter::Uvarint(uint64_t v) {
  std::byte buf[10];
  size_t n = EncodeUvarint(v, buf);
  bytes_.insert(bytes_.end(), buf, buf + n);
}

void ByteWriter::Varlong(int64_t v) {
  std::byte buf[10];
  size_t n = EncodeZigzag64(v, buf);
  bytes_.insert(bytes_.end(), buf, buf + n);
}

void ByteWriter::StringLength(int32_t n, bool compact) {
  MS_DCHECK(n >= -1 && n <= INT16_MAX) << "string length " << n;
  if (compact) {
    Uvarint(static_cast<uint64_t>(static_cast<int64_t>(n) + 1));
  } else {
    Int16(static_cast<int16_t>(n));
  }
}

void ByteWriter::BytesLength(int32_t n, bool compact) {
  MS_DCHECK(n >= -1) << "bytes length " << n;
  if (compact) {
    Uvarint(static_cast<uint64_t>(static_cast<int64_t>(n) + 1));
  } else {
    Int32(n);
  }
}

void ByteWriter::ArrayCount(int32_t n, bool compact) { BytesLength(n, compact); }

void ByteWriter::String(std::string_view s, bool compact) {
  StringLength(static_cast<int32_t>(s.size()), compact);
  Raw(AsBytes(s));
}

void ByteWriter::Bytes(ConstBytes b, bool compact) {
  BytesLength(static_cast<int32_t>(b.size()), compact);
  Raw(b);
}

void ByteWriter::PatchInt32(size_t pos, int32_t v) {
  MS_CHECK(pos + 4 <= bytes_.size()) << "patch at " << pos << " past " << bytes_.size();
  StoreBigEndian<int32_t>(bytes_.data() + pos, v);
}

}  // namespace millstream::net::kafka
