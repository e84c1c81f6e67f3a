// Test vocabulary shared by the per-API codec tests (STYLE.md section 7): every
// codec gets a round trip through each supported version, a check that every
// strict prefix of a valid frame fails cleanly, and a sweep of corrupted frames
// that must decode or fail without crashing.
//
// A test describes its message once, as a builder `Msg Make(Shape s)` that fills
// a field when `s.Has(<versions the field exists in>)`. The versions in the
// builders are written from the spec again, independently of the Fields()
// descriptions, so a wrong version range in a description makes a test fail:
// the round trip encodes Make({v, all_fields=true}) at v and expects to decode
// exactly Make({v, all_fields=false}).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/endian.h"
#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/schema.h"

namespace millstream::net::kafka::testing {

struct Shape {
  int16_t version = 0;
  bool all_fields = false;  // also fill fields the version does not have

  bool Has(Versions vs) const { return all_fields || vs.Contains(version); }
};

inline constexpr int32_t kCorrelationId = 0x01020304;

// The frame without its 4-byte size prefix, after checking the prefix.
inline ConstBytes Unframe(const std::vector<std::byte>& frame) {
  EXPECT_GE(frame.size(), 4u);
  if (frame.size() < 4) return {};
  auto size = static_cast<size_t>(LoadBigEndian<int32_t>(frame.data()));
  EXPECT_EQ(size, frame.size() - 4) << "size prefix";
  return ConstBytes(frame).subspan(4);
}

inline std::vector<std::byte> Bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

template <typename Api>
RequestHeader HeaderAt(int16_t version) {
  return RequestHeader{Api::kKey, version, kCorrelationId, "millstream-test"};
}

template <typename Api, typename Make>
void ExpectRequestRoundTrips(Make make) {
  for (int16_t v = Api::kMinVersion; v <= Api::kMaxVersion; ++v) {
    SCOPED_TRACE("request version " + std::to_string(v));
    auto frame = EncodeRequest<Api>(HeaderAt<Api>(v), make(Shape{v, true}));
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    auto decoded = DecodeRequest<Api>(Unframe(*frame));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(decoded->header, HeaderAt<Api>(v));
    EXPECT_TRUE(decoded->body == make(Shape{v, false})) << "fields differ after the round trip";
    auto again = EncodeRequest<Api>(HeaderAt<Api>(v), decoded->body);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(*again, *frame) << "re-encoding the decoded request changed its bytes";
  }
}

template <typename Api, typename Make>
void ExpectResponseRoundTrips(Make make) {
  for (int16_t v = Api::kMinVersion; v <= Api::kMaxVersion; ++v) {
    SCOPED_TRACE("response version " + std::to_string(v));
    auto frame = EncodeResponse<Api>(kCorrelationId, v, make(Shape{v, true}));
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    auto decoded = DecodeResponse<Api>(v, Unframe(*frame));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(decoded->correlation_id, kCorrelationId);
    EXPECT_TRUE(decoded->body == make(Shape{v, false})) << "fields differ after the round trip";
    auto again = EncodeResponse<Api>(kCorrelationId, v, decoded->body);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(*again, *frame) << "re-encoding the decoded response changed its bytes";
  }
}

// Every strict prefix of a valid frame (header included) is rejected with
// InvalidArgument; none is read past its end (run under ASan to be sure).
template <typename Api, typename Make>
void ExpectEveryRequestPrefixFails(Make make) {
  for (int16_t v = Api::kMinVersion; v <= Api::kMaxVersion; ++v) {
    auto frame = EncodeRequest<Api>(HeaderAt<Api>(v), make(Shape{v, true}));
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    ConstBytes whole = Unframe(*frame);
    for (size_t len = 0; len < whole.size(); ++len) {
      // A copy of exactly `len` bytes, so that ASan sees any read past it.
      std::vector<std::byte> prefix(whole.begin(), whole.begin() + static_cast<ptrdiff_t>(len));
      auto decoded = DecodeRequest<Api>(prefix);
      ASSERT_FALSE(decoded.ok()) << "v" << v << ": prefix of " << len << " bytes decoded";
      EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

template <typename Api, typename Make>
void ExpectEveryResponsePrefixFails(Make make) {
  for (int16_t v = Api::kMinVersion; v <= Api::kMaxVersion; ++v) {
    auto frame = EncodeResponse<Api>(kCorrelationId, v, make(Shape{v, true}));
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    ConstBytes whole = Unframe(*frame);
    for (size_t len = 0; len < whole.size(); ++len) {
      std::vector<std::byte> prefix(whole.begin(), whole.begin() + static_cast<ptrdiff_t>(len));
      auto decoded = DecodeResponse<Api>(v, prefix);
      ASSERT_FALSE(decoded.ok()) << "v" << v << ": prefix of " << len << " bytes decoded";
      EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

// Overwrites bytes of valid request frames with pseudo-random values (fixed seed)
// and decodes them: each must either decode or fail with InvalidArgument.
template <typename Api, typename Make>
void ExpectCorruptRequestsDecodeSafely(Make make, uint32_t seed = 1) {
  uint32_t state = seed;
  auto next = [&state] {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  };
  for (int16_t v = Api::kMinVersion; v <= Api::kMaxVersion; ++v) {
    auto frame = EncodeRequest<Api>(HeaderAt<Api>(v), make(Shape{v, true}));
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    ConstBytes whole = Unframe(*frame);
    for (int round = 0; round < 200; ++round) {
      std::vector<std::byte> bad(whole.begin(), whole.end());
      for (int flips = 1 + static_cast<int>(next() % 3); flips > 0; --flips) {
        bad[next() % bad.size()] = static_cast<std::byte>(next());
      }
      auto decoded = DecodeRequest<Api>(bad);
      if (!decoded.ok()) {
        EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
      }
    }
  }
}

}  // namespace millstream::net::kafka::testing
