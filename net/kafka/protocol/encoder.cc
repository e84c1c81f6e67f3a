#include "net/kafka/protocol/encoder.h"

#include <algorithm>

namespace millstream::net::kafka {

namespace {
// Kafka limits strings to an int16 length in every encoding.
constexpr size_t kMaxStringBytes = INT16_MAX;
// Bytes and arrays carry an int32 length (compact: uvarint of length + 1).
constexpr size_t kMaxBytesOrCount = INT32_MAX - 1;
}  // namespace

void Encoder::String(std::string_view name, std::string& x, Versions vs) {
  if (!Wants(vs)) return;
  if (x.size() > kMaxStringBytes) {
    return Fail(name, "string of " + std::to_string(x.size()) + " bytes is too long");
  }
  writer_->String(x, flexible_);
}

void Encoder::NullableString(std::string_view name, std::optional<std::string>& x, Versions vs,
                             Versions nullable) {
  if (!Wants(vs)) return;
  if (!x) {
    if (!nullable.Contains(version_)) return Fail(name, NullNotAllowed());
    writer_->StringLength(-1, flexible_);
    return;
  }
  String(name, *x, vs);
}

void Encoder::Bytes(std::string_view name, BytesRef& x, Versions vs) {
  if (!Wants(vs)) return;
  if (x.is_null()) return Fail(name, "null is not allowed");
  if (x.size() > kMaxBytesOrCount) {
    return Fail(name, std::to_string(x.size()) + " bytes are too many");
  }
  writer_->Bytes(x.bytes(), flexible_);
}

void Encoder::NullableBytes(std::string_view name, BytesRef& x, Versions vs, Versions nullable) {
  if (!Wants(vs)) return;
  if (x.is_null()) {
    if (!nullable.Contains(version_)) return Fail(name, NullNotAllowed());
    writer_->BytesLength(-1, flexible_);
    return;
  }
  Bytes(name, x, vs);
}

bool Encoder::WriteCount(std::string_view name, size_t n) {
  if (n > kMaxBytesOrCount) {
    Fail(name, std::to_string(n) + " elements are too many");
    return false;
  }
  writer_->ArrayCount(static_cast<int32_t>(n), flexible_);
  return true;
}

void Encoder::WriteTaggedSection(size_t mark) {
  auto begin = pending_.begin() + static_cast<ptrdiff_t>(mark);
  std::stable_sort(begin, pending_.end(),
                   [](const PendingTag& a, const PendingTag& b) { return a.tag < b.tag; });
  for (auto it = begin; it != pending_.end(); ++it) {
    if (it + 1 != pending_.end() && (it + 1)->tag == it->tag) {
      // Two fields of one struct declared with the same tag: a schema bug.
      return Fail(it->name, "tag " + std::to_string(it->tag) + " is used twice");
    }
  }
  writer_->Uvarint(static_cast<uint64_t>(pending_.end() - begin));
  for (auto it = begin; it != pending_.end(); ++it) {
    writer_->Uvarint(it->tag);
    writer_->Uvarint(it->value.size());
    writer_->Raw(it->value);
  }
}

std::string Encoder::NullNotAllowed() const {
  return "null is not allowed in version " + std::to_string(version_);
}

void Encoder::Fail(std::string_view name, std::string_view what) {
  if (!status_.ok()) return;
  std::string path = path_.Format(name);
  if (path.empty()) path = "<message>";
  status_ = InvalidArgument(std::string(what) + " at field '" + path + "'");
}

}  // namespace millstream::net::kafka
