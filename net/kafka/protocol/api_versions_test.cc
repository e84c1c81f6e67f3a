#include "net/kafka/protocol/api_versions.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Bytes;
using testing::Shape;

ApiVersionsRequest MakeRequest(Shape s) {
  ApiVersionsRequest r;
  if (s.Has(Since(3))) {
    r.client_software_name = "librdkafka";
    r.client_software_version = "2.0.2";
  }
  return r;
}

ApiVersionsResponse MakeResponse(Shape s) {
  ApiVersionsResponse r;
  r.error_code = 0;
  r.api_keys = {{0, 3, 8}, {1, 4, 11}, {18, 0, 3}};
  if (s.Has(Since(1))) r.throttle_time_ms = 7;
  if (s.Has(Since(3))) {
    r.supported_features =
        std::vector<ApiVersionsResponse::SupportedFeature>{{"metadata.version", 1, 7}};
    r.finalized_features_epoch = 12;
    r.finalized_features =
        std::vector<ApiVersionsResponse::FinalizedFeature>{{"metadata.version", 7, 1}};
    r.zk_migration_ready = false;
  }
  return r;
}

TEST(ApiVersionsCodecTest, RequestRoundTripsAtEveryVersion) {
  testing::ExpectRequestRoundTrips<ApiVersionsApi>(MakeRequest);
}

TEST(ApiVersionsCodecTest, ResponseRoundTripsAtEveryVersion) {
  testing::ExpectResponseRoundTrips<ApiVersionsApi>(MakeResponse);
}

TEST(ApiVersionsCodecTest, EveryRequestPrefixFailsCleanly) {
  testing::ExpectEveryRequestPrefixFails<ApiVersionsApi>(MakeRequest);
}

TEST(ApiVersionsCodecTest, EveryResponsePrefixFailsCleanly) {
  testing::ExpectEveryResponsePrefixFails<ApiVersionsApi>(MakeResponse);
}

TEST(ApiVersionsCodecTest, CorruptRequestsDecodeOrFailCleanly) {
  testing::ExpectCorruptRequestsDecodeSafely<ApiVersionsApi>(MakeRequest);
}

// The first request librdkafka 2.0.2 sends on every connection (MINIMUM.md
// section 2): ApiVersions v3 with request header v2, body of two compact strings
// and empty tag sections. Hand-assembled; real captures go to tests/data/.
TEST(ApiVersionsCodecTest, GoldenLibrdkafkaRequestV3Decodes) {
  // clang-format off
  auto frame = Bytes({
      0x00, 0x12,                                              // api_key 18 (ApiVersions)
      0x00, 0x03,                                              // api_version 3
      0x00, 0x00, 0x00, 0x01,                                  // correlation_id 1
      0x00, 0x07, 'r', 'd', 'k', 'a', 'f', 'k', 'a',           // client_id: classic string
      0x00,                                                    // header tagged fields: none
      0x0b, 'l', 'i', 'b', 'r', 'd', 'k', 'a', 'f', 'k', 'a',  // compact "librdkafka"
      0x06, '2', '.', '0', '.', '2',                           // compact "2.0.2"
      0x00,                                                    // body tagged fields: none
  });
  // clang-format on
  auto decoded = DecodeRequest<ApiVersionsApi>(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->header.api_key, ApiKey::kApiVersions);
  EXPECT_EQ(decoded->header.api_version, 3);
  EXPECT_EQ(decoded->header.correlation_id, 1);
  EXPECT_EQ(decoded->header.client_id, "rdkafka");
  EXPECT_EQ(decoded->body.client_software_name, "librdkafka");
  EXPECT_EQ(decoded->body.client_software_version, "2.0.2");

  auto reencoded = EncodeRequest<ApiVersionsApi>(decoded->header, decoded->body);
  ASSERT_TRUE(reencoded.ok());
  EXPECT_EQ(std::vector<std::byte>(reencoded->begin() + 4, reencoded->end()), frame);
}

// kafka-python 2.0.2 sends v0: header v1 and an empty body.
TEST(ApiVersionsCodecTest, GoldenVersion0RequestHasEmptyBody) {
  // clang-format off
  auto frame = Bytes({0x00, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
                      0x00, 0x0c, 'k', 'a', 'f', 'k', 'a', '-', 'p', 'y', 't', 'h', 'o', 'n'});
  // clang-format on
  auto decoded = DecodeRequest<ApiVersionsApi>(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->header.client_id, "kafka-python");
  EXPECT_TRUE(decoded->body.client_software_name.empty());
}

// The v3 response keeps response header v0 (no tag byte after the correlation
// id), while the body itself is flexible.
TEST(ApiVersionsCodecTest, Version3ResponseUsesHeaderV0AndCompactBody) {
  ApiVersionsResponse r;
  r.api_keys = {{18, 0, 3}};
  auto frame = EncodeResponse<ApiVersionsApi>(9, 3, r);
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  // clang-format off
  EXPECT_EQ(*frame, Bytes({
                        0x00, 0x00, 0x00, 0x13,              // size 19
                        0x00, 0x00, 0x00, 0x09,              // correlation_id, no header tags
                        0x00, 0x00,                          // error_code
                        0x02,                                // compact array: 1 element
                        0x00, 0x12, 0x00, 0x00, 0x00, 0x03,  // ApiVersions 0..3
                        0x00,                                // element tags
                        0x00, 0x00, 0x00, 0x00,              // throttle_time_ms
                        0x00,                                // body tags
                    }));
  // clang-format on
}

// What the broker answers to a version it does not support (KIP-511): a v0
// body, which every client can read.
TEST(ApiVersionsCodecTest, Version0ResponseIsClassic) {
  ApiVersionsResponse r;
  r.error_code = 35;  // UNSUPPORTED_VERSION
  r.api_keys = {{18, 0, 3}};
  auto frame = EncodeResponse<ApiVersionsApi>(9, 0, r);
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  // clang-format off
  EXPECT_EQ(*frame, Bytes({0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x09, 0x00, 0x23,
                           0x00, 0x00, 0x00, 0x01, 0x00, 0x12, 0x00, 0x00, 0x00, 0x03}));
  // clang-format on
}

TEST(ApiVersionsCodecTest, UnsupportedVersionIsRefusedBeforeTheBodyIsRead) {
  auto decoded = DecodeRequestBody<ApiVersionsApi>(4, {});
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().message().find("ApiVersions v4 request: unsupported version"),
            std::string::npos)
      << decoded.status().ToString();
}

}  // namespace
}  // namespace millstream::net::kafka
