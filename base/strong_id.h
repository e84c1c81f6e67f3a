// Strong types for ids and positions (STYLE.md section 2): an Offset cannot be
// passed where a FilePos is meant. Each is a thin wrapper with ordering and the
// arithmetic that makes sense for positions (adding a distance).
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>

namespace millstream {

template <typename Tag, typename Rep>
class StrongId {
 public:
  using rep = Rep;
  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep value) : value_(value) {}
  constexpr Rep value() const { return value_; }
  constexpr auto operator<=>(const StrongId&) const = default;

  // Positions move by distances expressed in the underlying type.
  constexpr StrongId operator+(Rep delta) const { return StrongId(value_ + delta); }
  constexpr StrongId operator-(Rep delta) const { return StrongId(value_ - delta); }
  constexpr StrongId& operator+=(Rep delta) {
    value_ += delta;
    return *this;
  }
  // The distance between two positions.
  constexpr Rep operator-(StrongId other) const { return value_ - other.value_; }

  friend std::ostream& operator<<(std::ostream& os, StrongId id) { return os << id.value_; }

 private:
  Rep value_{};
};

struct OffsetTag {};
struct FilePosTag {};
struct PartitionIdTag {};
struct TimestampTag {};

// Logical position of a record within one partition (Kafka's offset).
using Offset = StrongId<OffsetTag, int64_t>;
// Byte position inside one file.
using FilePos = StrongId<FilePosTag, uint64_t>;
// Index of a partition within its topic.
using PartitionId = StrongId<PartitionIdTag, int32_t>;
// Milliseconds since the Unix epoch, as Kafka record timestamps.
using TimestampMs = StrongId<TimestampTag, int64_t>;

}  // namespace millstream

template <typename Tag, typename Rep>
struct std::hash<millstream::StrongId<Tag, Rep>> {
  size_t operator()(millstream::StrongId<Tag, Rep> id) const { return std::hash<Rep>()(id.value()); }
};
