// Big-endian fields in a byte string: the small binary layouts of the engine's
// internal records (committed offsets, idempotency keys), written and read
// without exceptions. docs/storage-format.md holds each layout.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/endian.h"

namespace millstream {

// Appends big-endian fields to a byte string.
class ByteFieldWriter {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  template <typename T>
  void Int(T v) {
    char buf[sizeof(T)];
    StoreBigEndian<T>(reinterpret_cast<std::byte*>(buf), v);
    out_.append(buf, sizeof(T));
  }
  void Str16(std::string_view s) {
    Int<uint16_t>(static_cast<uint16_t>(s.size()));
    out_.append(s);
  }
  void Str32(std::string_view s) {
    Int<uint32_t>(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  void Raw(std::string_view s) { out_.append(s); }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

// Reads big-endian fields; any read past the end makes ok() false for good.
class ByteFieldReader {
 public:
  explicit ByteFieldReader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return in_.empty(); }
  uint8_t U8() { return Take(1) ? static_cast<uint8_t>(last_[0]) : 0; }
  template <typename T>
  T Int() {
    return Take(sizeof(T)) ? LoadBigEndian<T>(reinterpret_cast<const std::byte*>(last_.data())) : T{};
  }
  std::string Str16() {
    uint16_t n = Int<uint16_t>();
    return Take(n) ? std::string(last_) : std::string();
  }
  std::string Str32() {
    uint32_t n = Int<uint32_t>();
    return Take(n) ? std::string(last_) : std::string();
  }
  std::string_view Bytes(size_t n) { return Take(n) ? last_ : std::string_view(); }

 private:
  bool Take(size_t n) {
    if (!ok_ || in_.size() < n) {
      ok_ = false;
      return false;
    }
    last_ = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  std::string_view in_;
  std::string_view last_;
  bool ok_ = true;
};

}  // namespace millstream
