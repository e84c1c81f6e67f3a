// UTF-8 validity, for output formats that require it (Prometheus label values)
// or that choose text over base64 when they can (replay's JSON lines).
#pragma once

#include <cstddef>
#include <string_view>

namespace millstream {

// The length of the valid UTF-8 sequence at the start of `in` (1 to 4), or 0
// when it does not start with one (a stray continuation byte, an overlong form,
// a surrogate, a code point past U+10FFFF, a cut sequence). `in` is not empty.
inline size_t Utf8SequenceLength(std::string_view in) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(in[i]); };
  auto cont = [&](size_t i) { return i < in.size() && (b(i) & 0xC0) == 0x80; };
  unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F)) return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) > 0x8F)) return 0;
    return 4;
  }
  return 0;
}

inline bool IsUtf8(std::string_view in) {
  while (!in.empty()) {
    size_t n = Utf8SequenceLength(in);
    if (n == 0) return false;
    in.remove_prefix(n);
  }
  return true;
}

}  // namespace millstream
