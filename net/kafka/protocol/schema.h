// The field vocabulary in which every Kafka message is described once
// (STYLE.md section 8). A message is a plain struct with a member template
//
//   template <typename V> void Fields(V& v) {
//     v.Int32("throttle_time_ms", throttle_time_ms, Since(3));
//     v.Array("brokers", brokers);                      // element type has Fields()
//     v.NullableString("cluster_id", cluster_id, Since(2));
//     v.NullableArray("topics", topics, kAll, /*nullable=*/Since(1));
//     v.Tagged(0, "supported_features", supported_features, Since(3));
//   }
//
// listing its fields in wire order with the versions each exists in. A visitor
// (Decoder in decoder.h, Encoder in encoder.h) walks that list for one version and
// does everything version-dependent itself: it skips fields absent from the
// version (a decoder leaves the member's default), picks classic or compact
// encodings, and in flexible versions ends every struct (the top level, array
// elements, nested structs) with its tagged-field section, collecting the
// `Tagged` members into it. Nothing else in the tree reads or writes message bytes.
//
// The words, each taking (name, member, versions = kAll):
//   Int8 Int16 Int32 Int64   the member may be the integer or a StrongId over it
//   Bool                     int8 0/1 on the wire; any non-zero byte reads as true
//   String                   std::string, never null
//   NullableString           std::optional<std::string>; extra `nullable` versions
//   Bytes / NullableBytes    BytesRef (borrowed; see wire.h), e.g. records
//   Array                    std::vector<E>, never null
//   NullableArray            std::optional<std::vector<E>>; extra `nullable` versions
//   Struct                   a nested struct with its own Fields()
//   Tagged(tag, ...)         std::optional<T>: sent only when it holds a value
// Array elements E may be a struct with Fields(), an integer (or StrongId), bool,
// std::string or std::optional<std::string>.
// `name` is the field's snake_case name; decoding errors report the path to the
// failing field ("topics[0].partitions[2].records").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "base/strong_id.h"

namespace millstream::net::kafka {

// The largest version number; open-ended ranges end here.
inline constexpr int16_t kMaxVersion = INT16_MAX;

// An inclusive range of versions in which a field exists (or may be null).
struct Versions {
  int16_t min = 0;
  int16_t max = kMaxVersion;
  constexpr bool Contains(int16_t v) const { return v >= min && v <= max; }
};

inline constexpr Versions kAll{};
constexpr Versions Since(int16_t v) { return {v, kMaxVersion}; }
constexpr Versions Until(int16_t v) { return {0, v}; }  // inclusive
constexpr Versions Only(int16_t v) { return {v, v}; }
constexpr Versions Between(int16_t lo, int16_t hi) { return {lo, hi}; }

// The path of the field a visitor is in, for error messages. Parts are pushed on
// the way into arrays and structs; nothing is formatted until an error happens.
class FieldPath {
 public:
  void Push(std::string_view name, int64_t index = -1) { parts_.push_back({name, index}); }
  void Pop() { parts_.pop_back(); }
  // "topics[0].partitions[2]" followed by ".<leaf>" when leaf is not empty.
  std::string Format(std::string_view leaf) const;

 private:
  struct Part {
    std::string_view name;
    int64_t index;  // -1: not an array element
  };
  std::vector<Part> parts_;
};

namespace schema_internal {

// The wire integer behind a member: the integer itself or a StrongId's rep.
template <typename T>
struct IntRep {
  using type = T;
  static T Get(T v) { return v; }
};
template <typename Tag, typename Rep>
struct IntRep<StrongId<Tag, Rep>> {
  using type = Rep;
  static Rep Get(StrongId<Tag, Rep> v) { return v.value(); }
};

template <typename T>
inline constexpr bool kIsVector = false;
template <typename E>
inline constexpr bool kIsVector<std::vector<E>> = true;

template <typename T>
inline constexpr bool kIsOptional = false;
template <typename E>
inline constexpr bool kIsOptional<std::optional<E>> = true;

}  // namespace schema_internal

// True when T is Rep or a StrongId over Rep (and not bool, which has its own word).
template <typename T, typename Rep>
concept WireInt = std::is_same_v<typename schema_internal::IntRep<T>::type, Rep>;

}  // namespace millstream::net::kafka
