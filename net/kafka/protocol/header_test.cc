#include "net/kafka/protocol/header.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Bytes;

TEST(HeaderTest, FlexibleRequestVersionsUseHeaderV2) {
  EXPECT_EQ(RequestHeaderVersion(ApiKey::kApiVersions, 2), 1);
  EXPECT_EQ(RequestHeaderVersion(ApiKey::kApiVersions, 3), 2);
  EXPECT_EQ(RequestHeaderVersion(ApiKey::kProduce, 8), 1);
  EXPECT_EQ(RequestHeaderVersion(ApiKey::kProduce, 9), 2);
  EXPECT_EQ(RequestHeaderVersion(ApiKey::kInitProducerId, 2), 2);
  EXPECT_EQ(RequestHeaderVersion(ApiKey::kSaslHandshake, 1), 1);
  EXPECT_EQ(RequestHeaderVersion(static_cast<ApiKey>(999), 5), 1);
}

TEST(HeaderTest, ApiVersionsResponsesAlwaysUseHeaderV0) {
  EXPECT_EQ(ResponseHeaderVersion(ApiKey::kApiVersions, 3), 0);
  EXPECT_EQ(ResponseHeaderVersion(ApiKey::kApiVersions, 4), 0);
  EXPECT_EQ(ResponseHeaderVersion(ApiKey::kMetadata, 8), 0);
  EXPECT_EQ(ResponseHeaderVersion(ApiKey::kMetadata, 9), 1);
  EXPECT_EQ(ResponseHeaderVersion(ApiKey::kInitProducerId, 2), 1);
}

TEST(HeaderTest, ClientIdStaysClassicInHeaderV2) {
  RequestHeader h{ApiKey::kApiVersions, 3, 1, "ab"};
  ByteWriter w;
  ASSERT_TRUE(EncodeRequestHeader(h, w).ok());
  EXPECT_EQ(w.Release(), Bytes({0, 18, 0, 3, 0, 0, 0, 1, 0x00, 0x02, 'a', 'b', 0x00}));
}

TEST(HeaderTest, NullClientIdRoundTrips) {
  RequestHeader h{ApiKey::kFetch, 11, -7, std::nullopt};
  ByteWriter w;
  ASSERT_TRUE(EncodeRequestHeader(h, w).ok());
  w.Int8(0x55);  // first body byte
  ConstBytes body;
  auto decoded = DecodeRequestHeader(w.bytes(), &body);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, h);
  EXPECT_EQ(body.size(), 1u);
}

TEST(HeaderTest, HeaderV2TagsAreSkipped) {
  // clang-format off
  auto frame = Bytes({0, 18, 0, 3, 0, 0, 0, 1, 0xff, 0xff,  // client_id null
                      0x01, 0x07, 0x02, 0xaa, 0xbb,         // one unknown header tag
                      0x42});                               // body
  // clang-format on
  ConstBytes body;
  auto decoded = DecodeRequestHeader(frame, &body);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(body.size(), 1u);
  EXPECT_EQ(body[0], std::byte{0x42});
}

TEST(HeaderTest, EveryPrefixOfARequestHeaderFails) {
  auto frame = Bytes({0, 18, 0, 3, 0, 0, 0, 1, 0, 2, 'a', 'b', 0x00});
  for (size_t len = 0; len < frame.size(); ++len) {
    std::vector<std::byte> prefix(frame.begin(), frame.begin() + static_cast<ptrdiff_t>(len));
    ConstBytes body;
    auto decoded = DecodeRequestHeader(prefix, &body);
    ASSERT_FALSE(decoded.ok()) << len;
    EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(HeaderTest, TruncatedHeaderNamesTheField) {
  auto frame = Bytes({0, 3, 0, 4, 0, 0, 0, 1, 0, 7, 'r', 'd'});
  ConstBytes body;
  auto decoded = DecodeRequestHeader(frame, &body);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(), "truncated at field 'header.client_id'");
}

TEST(HeaderTest, ResponseHeaderV1HasATagSection) {
  ByteWriter w;
  EncodeResponseHeader(5, 1, w);
  w.Int8(9);
  EXPECT_EQ(std::vector<std::byte>(w.bytes().begin(), w.bytes().end()),
            Bytes({0, 0, 0, 5, 0x00, 9}));
  ConstBytes body;
  auto id = DecodeResponseHeader(w.bytes(), 1, &body);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 5);
  EXPECT_EQ(body.size(), 1u);
}

}  // namespace
}  // namespace millstream::net::kafka
