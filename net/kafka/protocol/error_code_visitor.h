// ErrorCodeVisitor: walks a message described in the field vocabulary of
// schema.h (as the Encoder would for one version) and reports every non-zero
// `error_code` field, at any depth: the top-level code and each topic's and
// partition's. The server counts what it answers by Kafka error code with it,
// from the response itself, so no handler has to remember to count.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "net/kafka/protocol/schema.h"
#include "net/kafka/protocol/wire.h"

namespace millstream::net::kafka {

template <typename OnError>
class ErrorCodeVisitor {
 public:
  ErrorCodeVisitor(int16_t version, OnError& on_error) : version_(version), on_error_(on_error) {}

  template <typename T>
  void Message(const T& msg) {
    const_cast<T&>(msg).Fields(*this);  // Fields() is shared with the Decoder; nothing is written
  }

  template <typename T>
  void Int8(std::string_view, T&, Versions = kAll) {}
  template <typename T>
  void Int16(std::string_view name, T& x, Versions vs = kAll) {
    if constexpr (std::is_same_v<T, int16_t>) {
      if (name == "error_code" && x != 0 && vs.Contains(version_)) on_error_(x);
    }
  }
  template <typename T>
  void Int32(std::string_view, T&, Versions = kAll) {}
  template <typename T>
  void Int64(std::string_view, T&, Versions = kAll) {}
  void Bool(std::string_view, bool&, Versions = kAll) {}
  void String(std::string_view, std::string&, Versions = kAll) {}
  void NullableString(std::string_view, std::optional<std::string>&, Versions = kAll,
                      Versions = kAll) {}
  void Bytes(std::string_view, BytesRef&, Versions = kAll) {}
  void NullableBytes(std::string_view, BytesRef&, Versions = kAll, Versions = kAll) {}

  template <typename E>
  void Array(std::string_view, std::vector<E>& x, Versions vs = kAll) {
    if (!vs.Contains(version_)) return;
    if constexpr (std::is_class_v<E> && !std::is_same_v<E, std::string> &&
                  !std::is_same_v<E, std::optional<std::string>> && !schema_internal::kIsVector<E>) {
      if constexpr (requires(E & e) { e.Fields(*this); }) {
        for (E& e : x) e.Fields(*this);
      }
    }
  }
  template <typename E>
  void NullableArray(std::string_view name, std::optional<std::vector<E>>& x, Versions vs = kAll,
                     Versions = kAll) {
    if (x) Array(name, *x, vs);
  }
  template <typename T>
  void Struct(std::string_view, T& x, Versions vs = kAll) {
    if (vs.Contains(version_)) x.Fields(*this);
  }
  template <typename T>
  void Tagged(uint32_t, std::string_view, std::optional<T>&, Versions = kAll) {}

  int16_t version() const { return version_; }

 private:
  int16_t version_;
  OnError& on_error_;
};

// Calls `on_error(code)` for every non-zero error_code field of `msg` present in
// `version`.
template <typename T, typename OnError>
void ForEachErrorCode(const T& msg, int16_t version, OnError on_error) {
  ErrorCodeVisitor<OnError> visitor(version, on_error);
  visitor.Message(msg);
}

}  // namespace millstream::net::kafka
