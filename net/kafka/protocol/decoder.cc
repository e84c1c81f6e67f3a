#include "net/kafka/protocol/decoder.h"

#include <algorithm>

namespace millstream::net::kafka {

void Decoder::Bool(std::string_view name, bool& x, Versions vs) {
  if (!Wants(vs)) return;
  int8_t v = reader_->Int8();
  if (!reader_->ok()) return FailRead(name);
  x = v != 0;  // as the Java broker reads it
}

void Decoder::String(std::string_view name, std::string& x, Versions vs) {
  if (!Wants(vs)) return;
  auto s = reader_->NullableString(flexible_);
  if (!reader_->ok()) return FailRead(name);
  if (!s) return Fail(name, "null is not allowed");
  x.assign(*s);
}

void Decoder::NullableString(std::string_view name, std::optional<std::string>& x, Versions vs,
                             Versions nullable) {
  if (!Wants(vs)) return;
  auto s = reader_->NullableString(flexible_);
  if (!reader_->ok()) return FailRead(name);
  if (!s) {
    if (!nullable.Contains(version_)) return Fail(name, NullNotAllowed());
    x.reset();
    return;
  }
  x.emplace(*s);
}

void Decoder::Bytes(std::string_view name, BytesRef& x, Versions vs) {
  if (!Wants(vs)) return;
  auto b = reader_->NullableBytes(flexible_);
  if (!reader_->ok()) return FailRead(name);
  if (!b) return Fail(name, "null is not allowed");
  x = BytesRef(*b);
}

void Decoder::NullableBytes(std::string_view name, BytesRef& x, Versions vs, Versions nullable) {
  if (!Wants(vs)) return;
  auto b = reader_->NullableBytes(flexible_);
  if (!reader_->ok()) return FailRead(name);
  if (!b) {
    if (!nullable.Contains(version_)) return Fail(name, NullNotAllowed());
    x = BytesRef();
    return;
  }
  x = BytesRef(*b);
}

int32_t Decoder::ReadCount(std::string_view name) {
  int32_t n = reader_->ArrayCount(flexible_);
  if (!reader_->ok()) {
    FailRead(name);
    return -1;
  }
  return n;
}

void Decoder::ReadTaggedSection(size_t mark) {
  static constexpr std::string_view kSection = "<tagged fields>";
  uint32_t count = reader_->Uvarint32();
  if (!reader_->ok()) return FailRead(kSection);
  // Each tagged field takes at least two bytes (tag and size).
  if (count > reader_->remaining() / 2) {
    return Fail(kSection, "tagged-field count " + std::to_string(count) + " exceeds the " +
                              std::to_string(reader_->remaining()) + " bytes left");
  }
  const size_t known_end = tagged_.size();
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t tag = reader_->Uvarint32();
    uint32_t size = reader_->Uvarint32();
    ConstBytes payload = reader_->Take(size);
    if (!reader_->ok()) return FailRead(kSection);

    auto slot = std::find_if(tagged_.begin() + static_cast<ptrdiff_t>(mark),
                             tagged_.begin() + static_cast<ptrdiff_t>(known_end),
                             [tag](const TaggedSlot& s) { return s.tag == tag; });
    if (slot == tagged_.begin() + static_cast<ptrdiff_t>(known_end)) continue;  // unknown: skip
    const TaggedSlot known = *slot;  // copy: decoding the value may grow tagged_

    ByteReader value_reader(payload);
    ByteReader* outer = reader_;
    reader_ = &value_reader;
    path_.Push(known.name);
    known.decode(*this, known.field);
    if (ok() && value_reader.remaining() != 0) {
      Fail({}, "tagged field " + std::to_string(tag) + " has " +
                   std::to_string(value_reader.remaining()) + " unread bytes");
    }
    path_.Pop();
    reader_ = outer;
    if (!ok()) return;
  }
}

std::string Decoder::NullNotAllowed() const {
  return "null is not allowed in version " + std::to_string(version_);
}

void Decoder::FailRead(std::string_view name) { Fail(name, ReadErrorText(reader_->error())); }

void Decoder::Fail(std::string_view name, std::string_view what) {
  if (!status_.ok()) return;
  std::string path = path_.Format(name);
  if (path.empty()) path = "<message>";
  status_ = InvalidArgument(std::string(what) + " at field '" + path + "'");
}

}  // namespace millstream::net::kafka
