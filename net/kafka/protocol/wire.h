// The primitive encodings of the Kafka wire protocol (MINIMUM.md section 1):
// big-endian fixed-width integers, unsigned and zigzag varints, classic and
// compact (KIP-482) strings, bytes and array counts, and tagged-field sections.
// ByteReader reads them from a borrowed buffer with bounds checks and a sticky
// error; ByteWriter appends them to an owned vector. Neither knows about messages
// or versions: that is the job of the Decoder and Encoder (decoder.h, encoder.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/endian.h"

namespace millstream::net::kafka {

// Nullable bytes borrowed from a buffer owned elsewhere: the request frame after a
// decode (so the frame must outlive the message), or the caller's data before an
// encode. Null and empty are different values on the wire. Used for `records`.
class BytesRef {
 public:
  BytesRef() = default;  // null
  explicit BytesRef(ConstBytes bytes) : bytes_(bytes), null_(false) {}

  bool is_null() const { return null_; }
  ConstBytes bytes() const { return bytes_; }
  size_t size() const { return bytes_.size(); }

  friend bool operator==(const BytesRef& a, const BytesRef& b);

 private:
  ConstBytes bytes_;
  bool null_ = true;
};

// Reads wire primitives from a buffer it borrows (the buffer must outlive the
// reader and every view it returns). The first failed read records an error and
// every later read fails too, returning zero values; callers check ok() after a
// group of reads. It never reads outside the buffer and never allocates.
class ByteReader {
 public:
  enum class Error : uint8_t {
    kNone,
    kTruncated,  // the input ended inside a value
    kBadLength,  // a length below -1, or a count larger than the bytes left
    kBadVarint,  // a varint longer than its type allows
  };

  explicit ByteReader(ConstBytes data) : p_(data.data()), end_(data.data() + data.size()) {}

  bool ok() const { return error_ == Error::kNone; }
  Error error() const { return error_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  int8_t Int8();
  int16_t Int16();
  int32_t Int32();
  int64_t Int64();
  // An unsigned varint of at most 5 bytes that fits 32 bits: compact lengths,
  // counts, tags and tagged-field sizes.
  uint32_t Uvarint32();
  // Zigzag varints as used inside record batches.
  int32_t Varint();
  int64_t Varlong();
  // The next `n` bytes as a view, or an empty view and kTruncated.
  ConstBytes Take(size_t n);

  // Length prefixes: classic int16 (strings) or int32 (bytes, arrays), compact
  // uvarint(n + 1). Each returns -1 for null. A string or bytes length larger than
  // what is left fails with kTruncated; an array count larger than the bytes left
  // fails with kBadLength (every element takes at least one byte, so such a count
  // is a lie, and trusting it would let a tiny frame reserve huge memory).
  int32_t StringLength(bool compact);
  int32_t BytesLength(bool compact);
  int32_t ArrayCount(bool compact);

  // A whole (nullable) string or bytes value; nullopt for null.
  std::optional<std::string_view> NullableString(bool compact);
  std::optional<ConstBytes> NullableBytes(bool compact);

  // Reads a tagged-field section and drops every field in it.
  void SkipTaggedFields();

  // Records `e` unless an error is already recorded; later reads fail.
  void Fail(Error e);

 private:
  bool Need(size_t n);
  int32_t CheckedLength(int64_t n, Error too_long);

  const std::byte* p_;
  const std::byte* end_;
  Error error_ = Error::kNone;
};

// What went wrong, for error messages: "truncated", "invalid length", ...
std::string_view ReadErrorText(ByteReader::Error e);

// Appends wire primitives to a growing vector. Writing never fails: the Encoder
// checks lengths against the wire limits before it writes them.
class ByteWriter {
 public:
  void Int8(int8_t v) { bytes_.push_back(static_cast<std::byte>(v)); }
  void Int16(int16_t v) { Fixed(v); }
  void Int32(int32_t v) { Fixed(v); }
  void Int64(int64_t v) { Fixed(v); }
  void Uvarint(uint64_t v);
  void Varint(int32_t v) { Varlong(v); }  // zigzag32 of v equals zigzag64 of v
  void Varlong(int64_t v);
  void Raw(ConstBytes b) { bytes_.insert(bytes_.end(), b.begin(), b.end()); }

  // Length prefixes, the mirror of ByteReader's; -1 writes null.
  void StringLength(int32_t n, bool compact);
  void BytesLength(int32_t n, bool compact);
  void ArrayCount(int32_t n, bool compact);
  void String(std::string_view s, bool compact);
  void Bytes(ConstBytes b, bool compact);
  // An empty tagged-field section (a single 0 byte).
  void NoTaggedFields() { Uvarint(0); }

  // Overwrites 4 bytes at `pos` (written earlier) with `v`, for size prefixes.
  void PatchInt32(size_t pos, int32_t v);

  size_t size() const { return bytes_.size(); }
  ConstBytes bytes() const { return bytes_; }
  std::vector<std::byte> Release() { return std::move(bytes_); }

 private:
  template <typename T>
  void Fixed(T v) {
    size_t at = bytes_.size();
    bytes_.resize(at + sizeof(T));
    StoreBigEndian<T>(bytes_.data() + at, v);
  }

  std::vector<std::byte> bytes_;
};

}  // namespace millstream::net::kafka
