// Decoder: the visitor that reads a message described in the field vocabulary of
// schema.h from bytes, for one version. DecodeMessage() is the entry point; the
// typed request/response functions in codec.h build on it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "net/kafka/protocol/schema.h"
#include "net/kafka/protocol/wire.h"

namespace millstream::net::kafka {

// Reads fields in the order a message's Fields() lists them. The first problem
// (truncation, a bad length, a null where none is allowed, trailing bytes) is kept
// as an InvalidArgument status naming the field path; after it every field is
// skipped, so a decoder never reads out of bounds and always stops. Decoded
// BytesRef members borrow from the reader's buffer. One Decoder per message,
// used on one thread.
class Decoder {
 public:
  // `flexible` selects compact encodings and tagged-field sections.
  Decoder(ByteReader& reader, int16_t version, bool flexible)
      : reader_(&reader), version_(version), flexible_(flexible) {}

  int16_t version() const { return version_; }
  bool flexible() const { return flexible_; }
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  // Decodes the whole message `msg` (fields, then its tagged section in flexible
  // versions) and requires the input to end exactly there.
  template <typename T>
  void Message(T& msg) {
    StructBody(msg);
    if (ok() && reader_->remaining() != 0) {
      Fail({}, std::to_string(reader_->remaining()) + " unexpected bytes after the message");
    }
  }

  // ---- The vocabulary (see schema.h). ----
  template <WireInt<int8_t> T>
  void Int8(std::string_view name, T& x, Versions vs = kAll) {
    Fixed<int8_t>(name, x, vs);
  }
  template <WireInt<int16_t> T>
  void Int16(std::string_view name, T& x, Versions vs = kAll) {
    Fixed<int16_t>(name, x, vs);
  }
  template <WireInt<int32_t> T>
  void Int32(std::string_view name, T& x, Versions vs = kAll) {
    Fixed<int32_t>(name, x, vs);
  }
  template <WireInt<int64_t> T>
  void Int64(std::string_view name, T& x, Versions vs = kAll) {
    Fixed<int64_t>(name, x, vs);
  }
  void Bool(std::string_view name, bool& x, Versions vs = kAll);
  void String(std::string_view name, std::string& x, Versions vs = kAll);
  void NullableString(std::string_view name, std::optional<std::string>& x, Versions vs = kAll,
                      Versions nullable = kAll);
  void Bytes(std::string_view name, BytesRef& x, Versions vs = kAll);
  void NullableBytes(std::string_view name, BytesRef& x, Versions vs = kAll,
                     Versions nullable = kAll);

  template <typename E>
  void Array(std::string_view name, std::vector<E>& x, Versions vs = kAll) {
    if (!Wants(vs)) return;
    int32_t n = ReadCount(name);
    if (n < 0) {
      if (ok()) Fail(name, "null is not allowed");
      return;
    }
    Elements(name, x, n);
  }

  template <typename E>
  void NullableArray(std::string_view name, std::optional<std::vector<E>>& x, Versions vs = kAll,
                     Versions nullable = kAll) {
    if (!Wants(vs)) return;
    int32_t n = ReadCount(name);
    if (!ok()) return;
    if (n < 0) {
      if (!nullable.Contains(version_)) return Fail(name, NullNotAllowed());
      x.reset();
      return;
    }
    Elements(name, x.emplace(), n);
  }

  template <typename T>
  void Struct(std::string_view name, T& x, Versions vs = kAll) {
    if (!Wants(vs)) return;
    path_.Push(name);
    StructBody(x);
    path_.Pop();
  }

  // Registers `x` to be filled if the enclosing struct's tagged section carries
  // `tag`; otherwise x keeps its value (normally nullopt).
  template <typename T>
  void Tagged(uint32_t tag, std::string_view name, std::optional<T>& x, Versions vs = kAll) {
    if (!flexible_ || !Wants(vs)) return;
    tagged_.push_back({tag, name, &x, [](Decoder& d, void* field) {
                         auto& o = *static_cast<std::optional<T>*>(field);
                         d.Value(o.emplace());
                       }});
  }

 private:
  struct TaggedSlot {
    uint32_t tag;
    std::string_view name;
    void* field;
    void (*decode)(Decoder&, void* field);
  };

  bool Wants(Versions vs) const { return ok() && vs.Contains(version_); }

  template <typename Rep, typename T>
  void Fixed(std::string_view name, T& x, Versions vs) {
    if (!Wants(vs)) return;
    Rep v;
    if constexpr (sizeof(Rep) == 1) v = reader_->Int8();
    if constexpr (sizeof(Rep) == 2) v = reader_->Int16();
    if constexpr (sizeof(Rep) == 4) v = reader_->Int32();
    if constexpr (sizeof(Rep) == 8) v = reader_->Int64();
    if (!reader_->ok()) return FailRead(name);
    x = T(v);
  }

  // An array count, -1 for null; on failure records the error and returns -1.
  int32_t ReadCount(std::string_view name);

  template <typename E>
  void Elements(std::string_view name, std::vector<E>& x, int32_t n) {
    x.clear();
    // The count is bounded by the bytes left, but not every element is small:
    // grow as elements really arrive instead of trusting it for a big reserve.
    x.reserve(static_cast<size_t>(std::min(n, 256)));
    for (int32_t i = 0; i < n && ok(); ++i) {
      path_.Push(name, i);
      Value(x.emplace_back());
      path_.Pop();
    }
  }

  // One array element or tagged value, its encoding chosen by its C++ type.
  template <typename T>
  void Value(T& x) {
    using Rep = typename schema_internal::IntRep<T>::type;
    if constexpr (std::is_same_v<T, bool>) {
      Bool({}, x);
    } else if constexpr (std::is_integral_v<Rep>) {
      Fixed<Rep>({}, x, kAll);
    } else if constexpr (std::is_same_v<T, std::string>) {
      String({}, x);
    } else if constexpr (std::is_same_v<T, std::optional<std::string>>) {
      NullableString({}, x);
    } else if constexpr (schema_internal::kIsVector<T>) {
      Array({}, x);
    } else {
      StructBody(x);
    }
  }

  template <typename T>
  void StructBody(T& x) {
    size_t mark = tagged_.size();
    x.Fields(*this);
    if (flexible_ && ok()) ReadTaggedSection(mark);
    tagged_.resize(mark);
  }

  // Reads a tagged-field section; tags registered since `mark` are decoded, the
  // rest skipped.
  void ReadTaggedSection(size_t mark);

  std::string NullNotAllowed() const;
  void FailRead(std::string_view name);
  void Fail(std::string_view name, std::string_view what);

  ByteReader* reader_;  // swapped for a sub-reader while a tagged value is read
  int16_t version_;
  bool flexible_;
  Status status_;
  FieldPath path_;
  std::vector<TaggedSlot> tagged_;
};

// Decodes `body` (exactly one message, nothing after it) into `msg` at `version`.
// Returns InvalidArgument naming the field path on any malformed input.
template <typename T>
Status DecodeMessage(ConstBytes body, int16_t version, bool flexible, T& msg) {
  ByteReader reader(body);
  Decoder decoder(reader, version, flexible);
  decoder.Message(msg);
  return decoder.status();
}

}  // namespace millstream::net::kafka
