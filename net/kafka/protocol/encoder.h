// Encoder: the visitor that writes a message described in the field vocabulary of
// schema.h as bytes, for one version. EncodeMessage() is the entry point; the
// typed request/response functions in codec.h build on it.
#pragma once

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

// Writes fields in the order a message's Fields() lists them, leaving out fields
// that do not exist in the version (whatever they hold is dropped, as Kafka does
// for ignorable fields). A value the version cannot carry (null where the version
// is not nullable, a string over 32767 bytes) records an InvalidArgument status
// naming the field; the bytes written so far are then meaningless. Tagged values
// are collected per struct and written, sorted by tag, in its tagged section.
// One Encoder per message, used on one thread.
class Encoder {
 public:
  Encoder(ByteWriter& writer, int16_t version, bool flexible)
      : writer_(&writer), version_(version), flexible_(flexible) {}

  int16_t version() const { return version_; }
  bool flexible() const { return flexible_; }
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  // Writes the whole message. Fields() is shared with the Decoder and so takes
  // its members by non-const reference; the Encoder only reads them.
  template <typename T>
  void Message(const T& msg) {
    StructBody(const_cast<T&>(msg));
  }

  // ---- The vocabulary (see schema.h). ----
  template <WireInt<int8_t> T>
  void Int8(std::string_view, T& x, Versions vs = kAll) {
    if (Wants(vs)) writer_->Int8(schema_internal::IntRep<T>::Get(x));
  }
  template <WireInt<int16_t> T>
  void Int16(std::string_view, T& x, Versions vs = kAll) {
    if (Wants(vs)) writer_->Int16(schema_internal::IntRep<T>::Get(x));
  }
  template <WireInt<int32_t> T>
  void Int32(std::string_view, T& x, Versions vs = kAll) {
    if (Wants(vs)) writer_->Int32(schema_internal::IntRep<T>::Get(x));
  }
  template <WireInt<int64_t> T>
  void Int64(std::string_view, T& x, Versions vs = kAll) {
    if (Wants(vs)) writer_->Int64(schema_internal::IntRep<T>::Get(x));
  }
  void Bool(std::string_view, bool& x, Versions vs = kAll) {
    if (Wants(vs)) writer_->Int8(x ? 1 : 0);
  }
  void String(std::string_view name, std::string& x, Versions vs = kAll);
  void NullableString(std::string_view name, std::optional<std::string>& x, Versions vs = kAll,
                      Versions nullable = kAll);
  void Bytes(std::string_view name, BytesRef& x, Versions vs = kAll);
  void NullableBytes(std::string_view name, BytesRef& x, Versions vs = kAll,
                     Versions nullable = kAll);

  template <typename E>
  void Array(std::string_view name, std::vector<E>& x, Versions vs = kAll) {
    if (!Wants(vs) || !WriteCount(name, x.size())) return;
    Elements(name, x);
  }

  template <typename E>
  void NullableArray(std::string_view name, std::optional<std::vector<E>>& x, Versions vs = kAll,
                     Versions nullable = kAll) {
    if (!Wants(vs)) return;
    if (!x) {
      if (!nullable.Contains(version_)) return Fail(name, NullNotAllowed());
      writer_->ArrayCount(-1, flexible_);
      return;
    }
    Array(name, *x, vs);
  }

  template <typename T>
  void Struct(std::string_view name, T& x, Versions vs = kAll) {
    if (!Wants(vs)) return;
    path_.Push(name);
    StructBody(x);
    path_.Pop();
  }

  template <typename T>
  void Tagged(uint32_t tag, std::string_view name, std::optional<T>& x, Versions vs = kAll) {
    if (!flexible_ || !Wants(vs) || !x) return;
    ByteWriter value_writer;
    ByteWriter* outer = writer_;
    writer_ = &value_writer;
    path_.Push(name);
    Value(*x);
    path_.Pop();
    writer_ = outer;
    pending_.push_back({tag, name, value_writer.Release()});
  }

 private:
  struct PendingTag {
    uint32_t tag;
    std::string_view name;
    std::vector<std::byte> value;
  };

  bool Wants(Versions vs) const { return ok() && vs.Contains(version_); }

  // Writes an array count; false (with the error recorded) if it cannot be.
  bool WriteCount(std::string_view name, size_t n);

  template <typename E>
  void Elements(std::string_view name, std::vector<E>& x) {
    for (size_t i = 0; i < x.size() && ok(); ++i) {
      path_.Push(name, static_cast<int64_t>(i));
      Value(x[i]);
      path_.Pop();
    }
  }

  template <typename T>
  void Value(T& x) {
    using Rep = typename schema_internal::IntRep<T>::type;
    if constexpr (std::is_same_v<T, bool>) {
      Bool({}, x);
    } else if constexpr (std::is_integral_v<Rep>) {
      if constexpr (sizeof(Rep) == 1) Int8({}, x);
      if constexpr (sizeof(Rep) == 2) Int16({}, x);
      if constexpr (sizeof(Rep) == 4) Int32({}, x);
      if constexpr (sizeof(Rep) == 8) Int64({}, x);
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
    size_t mark = pending_.size();
    x.Fields(*this);
    if (flexible_ && ok()) WriteTaggedSection(mark);
    pending_.resize(mark);
  }

  // Writes the tagged values collected since `mark`, in ascending tag order.
  void WriteTaggedSection(size_t mark);

  std::string NullNotAllowed() const;
  void Fail(std::string_view name, std::string_view what);

  ByteWriter* writer_;  // swapped for a scratch writer while a tagged value is written
  int16_t version_;
  bool flexible_;
  Status status_;
  FieldPath path_;
  std::vector<PendingTag> pending_;
};

// Appends `msg` encoded at `version` to `out`. On error (see Encoder) `out` holds
// a partial message and must be discarded.
template <typename T>
Status EncodeMessage(const T& msg, int16_t version, bool flexible, ByteWriter& out) {
  Encoder encoder(out, version, flexible);
  encoder.Message(msg);
  return encoder.status();
}

}  // namespace millstream::net::kafka
