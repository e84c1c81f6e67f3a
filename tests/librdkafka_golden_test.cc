// Golden bytes: request frames captured from librdkafka 2.0.2 (tests/data/librdkafka/)
// decode with our codec to the values the client meant, and encode back to the
// very same bytes.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "net/kafka/protocol/api_versions.h"
#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/fetch.h"
#include "net/kafka/protocol/init_producer_id.h"
#include "net/kafka/protocol/list_offsets.h"
#include "net/kafka/protocol/metadata.h"
#include "net/kafka/protocol/produce.h"
#include "storage/record_batch.h"

namespace millstream {
namespace {

namespace kafka = net::kafka;

std::vector<std::byte> Load(const std::string& name) {
  std::ifstream in(std::string(MILLSTREAM_SOURCE_DIR) + "/tests/data/librdkafka/" + name, std::ios::binary);
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(raw.empty()) << name;
  std::vector<std::byte> out(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) out[i] = static_cast<std::byte>(raw[i]);
  return out;
}

// Decodes `name` as Api, checks the re-encoding is byte-identical, returns the request.
template <typename Api>
typename Api::Request DecodeGolden(const std::string& name) {
  std::vector<std::byte> frame = Load(name);
  auto decoded = kafka::DecodeRequest<Api>(frame);
  EXPECT_TRUE(decoded.ok()) << name << ": " << decoded.status().ToString();
  if (!decoded.ok()) return {};
  auto encoded = kafka::EncodeRequest<Api>(decoded->header, decoded->body);
  EXPECT_TRUE(encoded.ok());
  // EncodeRequest adds the size prefix the capture does not hold.
  if (encoded.ok()) {
    EXPECT_EQ(std::vector<std::byte>(encoded->begin() + 4, encoded->end()), frame) << name;
  }
  return decoded->body;
}

TEST(LibrdkafkaGoldenTest, ApiVersionsV3) {
  auto request = DecodeGolden<kafka::ApiVersionsApi>("api_versions_v3.bin");
  EXPECT_EQ(request.client_software_name, "librdkafka");
  EXPECT_EQ(request.client_software_version, "2.0.2");
}

TEST(LibrdkafkaGoldenTest, MetadataV4) { DecodeGolden<kafka::MetadataApi>("metadata_v4.bin"); }

TEST(LibrdkafkaGoldenTest, InitProducerIdV4) {
  auto request = DecodeGolden<kafka::InitProducerIdApi>("init_producer_id_v4.bin");
  EXPECT_FALSE(request.transactional_id.has_value());
}

TEST(LibrdkafkaGoldenTest, ProduceV7CarriesAValidIdempotentBatch) {
  auto request = DecodeGolden<kafka::ProduceApi>("produce_v7.bin");
  ASSERT_EQ(request.topic_data.size(), 1u);
  EXPECT_EQ(request.acks, -1);
  EXPECT_EQ(request.topic_data[0].name, "golden");
  ConstBytes records = request.topic_data[0].partition_data.at(0).records.bytes();
  Result<storage::BatchHeader> batch = storage::ValidateBatch(records);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_GE(batch->producer_id, 0);
  EXPECT_EQ(batch->base_sequence, 0);
}

TEST(LibrdkafkaGoldenTest, ListOffsetsV2) {
  auto request = DecodeGolden<kafka::ListOffsetsApi>("list_offsets_v2.bin");
  EXPECT_EQ(request.topics.at(0).name, "golden");
}

TEST(LibrdkafkaGoldenTest, FetchV11) {
  auto request = DecodeGolden<kafka::FetchApi>("fetch_v11.bin");
  EXPECT_EQ(request.topics.at(0).topic, "golden");
  EXPECT_EQ(request.session_id, 0);
}

}  // namespace
}  // namespace millstream
