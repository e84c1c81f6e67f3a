// The HTTP listener of a real `millstream serve`: /metrics parsed as Prometheus
// text, the admin API, webhook produce read back with kcat, idempotency keys
// across a clean stop and a SIGKILL, the bearer token, and bad input.
#include <gtest/gtest.h>

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "net/kafka/protocol/metadata.h"
#include "tests/support/broker_process.h"
#include "tests/support/http_client.h"
#include "tests/support/kafka_client.h"

namespace millstream {
namespace {

using nlohmann::json;
using testing::Http;
using testing::HttpReply;

class HttpApiTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags = {}) {
    broker_ = std::make_unique<testing::BrokerProcess>(std::move(flags));
    ASSERT_TRUE(broker_->Start()) << broker_->output();
    ASSERT_GT(broker_->http_port(), 0) << broker_->output();
  }
  HttpReply Get(const std::string& path) { return Http(broker_->http_port(), "GET", path); }
  HttpReply Send(const std::string& method, const std::string& path, const std::string& body,
                 const std::map<std::string, std::string>& headers = {}) {
    return Http(broker_->http_port(), method, path, body, headers);
  }
  void CreateTopic(const std::string& name, int partitions, const json& config = json::object()) {
    HttpReply r = Send("POST", "/api/v1/topics",
                       json{{"name", name}, {"partitions", partitions}, {"config", config}}.dump());
    ASSERT_EQ(r.status, 201) << r.body;
  }
  // The sum of the high watermarks of the topic's partitions.
  int64_t RecordsIn(const std::string& topic) {
    HttpReply r = Get("/api/v1/topics/" + topic);
    EXPECT_EQ(r.status, 200) << r.body;
    int64_t total = 0;
    json described = json::parse(r.body);  // named: a range-for over a temporary's member dangles
    for (const json& p : described["partitions"]) total += p["high_watermark"].get<int64_t>();
    return total;
  }
  static std::string ErrorCode(const HttpReply& r) {
    json body = json::parse(r.body, nullptr, false);
    if (body.is_discarded() || !body.contains("error")) return "(no error in " + r.body + ")";
    return body["error"]["code"].get<std::string>();
  }

  std::unique_ptr<testing::BrokerProcess> broker_;
};

TEST_F(HttpApiTest, MetricsParseAndHoldEveryFamily) {
  Start();
  CreateTopic("orders", 2);
  testing::CommandResult produced = testing::Kcat(
      {"-b", broker_->bootstrap(), "-P", "-t", "orders", "-p", "0", "-X", "acks=all"}, "a\nb\nc\n");
  ASSERT_EQ(produced.exit_code, 0) << produced.out;
  testing::CommandResult consumed =
      testing::Kcat({"-b", broker_->bootstrap(), "-C", "-t", "orders", "-p", "0", "-e", "-q"});
  ASSERT_EQ(consumed.out, "a\nb\nc\n");
  // An invalid topic name: Metadata answers INVALID_TOPIC_EXCEPTION (17).
  auto client = testing::KafkaClient::Connect(broker_->bootstrap());
  ASSERT_TRUE(client.ok());
  net::kafka::MetadataRequest bad;
  bad.topics = std::vector<net::kafka::MetadataRequest::Topic>{{"no spaces allowed"}};
  ASSERT_TRUE((*client)->Call<net::kafka::MetadataApi>(4, bad).ok());

  HttpReply r = Get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.headers.find("Content-Type")->second.find("text/plain"), std::string::npos);
  testing::MetricsPage page = testing::ParseMetrics(r.body);
  ASSERT_EQ(page.error, "") << r.body;
  const std::map<std::string, std::string> families = {
      {"millstream_produce_records_total", "counter"},   {"millstream_produce_bytes_total", "counter"},
      {"millstream_produce_batches_total", "counter"},   {"millstream_fetch_records_total", "counter"},
      {"millstream_fetch_bytes_total", "counter"},       {"millstream_fetch_partitions_total", "counter"},
      {"millstream_produce_ack_duration_seconds", "histogram"},
      {"millstream_fdatasync_duration_seconds", "histogram"},
      {"millstream_fdatasync_bytes", "histogram"},       {"millstream_consumer_group_lag", "gauge"},
      {"millstream_log_size_bytes", "gauge"},            {"millstream_log_segments", "gauge"},
      {"millstream_kafka_connections", "gauge"},         {"millstream_kafka_errors_total", "counter"},
      {"millstream_kafka_requests_total", "counter"},    {"process_resident_memory_bytes", "gauge"},
      {"millstream_webhook_requests_total", "counter"},
  };
  for (const auto& [name, type] : families) EXPECT_EQ(page.types[name], type) << name;
  EXPECT_EQ(page.samples["millstream_produce_records_total{topic=\"orders\"}"], 3);
  EXPECT_EQ(page.samples["millstream_fetch_records_total{topic=\"orders\"}"], 3);
  EXPECT_GE(page.samples["millstream_produce_ack_duration_seconds_count{acks=\"all\"}"], 1);
  EXPECT_GE(page.samples["millstream_fdatasync_duration_seconds_count"], 1);
  EXPECT_GT(page.samples["millstream_log_size_bytes{topic=\"orders\",partition=\"0\"}"], 0);
  EXPECT_EQ(page.samples["millstream_log_size_bytes{topic=\"orders\",partition=\"1\"}"], 0);
  EXPECT_GE(page.samples["millstream_kafka_connections"], 1);  // the client above
  EXPECT_EQ(page.samples["millstream_kafka_errors_total{code=\"17\",error=\"INVALID_TOPIC_EXCEPTION\"}"], 1);
  EXPECT_GT(page.samples["process_resident_memory_bytes"], 1 << 20);
}

TEST_F(HttpApiTest, AdminApiCreatesDescribesChangesAndDeletesTopics) {
  Start();
  EXPECT_EQ(Get("/api/v1/health").status, 200);
  EXPECT_EQ(Get("/api/v1/ready").status, 200);
  CreateTopic("receipts", 3, {{"retention.ms", "3600000"}});
  EXPECT_EQ(ErrorCode(Send("POST", "/api/v1/topics", R"({"name":"receipts"})")), "topic_exists");

  json list = json::parse(Get("/api/v1/topics").body);
  ASSERT_EQ(list["topics"].size(), 1u);
  EXPECT_EQ(list["topics"][0]["name"], "receipts");
  json described = json::parse(Get("/api/v1/topics/receipts").body);
  EXPECT_EQ(described["partitions"].size(), 3u);
  EXPECT_EQ(described["config"]["retention.ms"], "3600000");

  HttpReply patched = Send("PATCH", "/api/v1/topics/receipts/config", R"({"retention.bytes": 1048576})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  described = json::parse(Get("/api/v1/topics/receipts").body);
  EXPECT_EQ(described["config"]["retention.bytes"], "1048576");
  EXPECT_EQ(described["config"]["retention.ms"], "3600000");  // a merge: kept
  patched = Send("PATCH", "/api/v1/topics/receipts/config", R"({"retention.ms": null})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(json::parse(patched.body)["config"]["retention.ms"], "604800000");  // back to the default
  EXPECT_EQ(ErrorCode(Send("PATCH", "/api/v1/topics/receipts/config", R"({"no.such.key": "1"})")),
            "invalid_config");
  EXPECT_EQ(described["config"]["priority.class"], "standard");
  patched = Send("PATCH", "/api/v1/topics/receipts/config", R"({"priority.class": "critical"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(json::parse(patched.body)["config"]["priority.class"], "critical");
  EXPECT_EQ(ErrorCode(Send("PATCH", "/api/v1/topics/receipts/config", R"({"priority.class": "urgent"})")),
            "invalid_config");

  json config = json::parse(Get("/api/v1/config").body);
  EXPECT_EQ(config["settings"]["data-dir"], broker_->data_dir());

  EXPECT_EQ(Send("DELETE", "/api/v1/topics/receipts", "").status, 200);
  EXPECT_EQ(ErrorCode(Get("/api/v1/topics/receipts")), "unknown_topic");
  EXPECT_EQ(ErrorCode(Send("DELETE", "/api/v1/topics/receipts", "")), "unknown_topic");
}

TEST_F(HttpApiTest, StatusVerbShowsTopicsWithSizesAndGroupsFromTheAdminApi) {
  Start();
  CreateTopic("orders", 2);
  ASSERT_EQ(Send("POST", "/api/v1/topics/orders/records", R"({"records": [{"value": 1}, {"value": 2}]})").status,
            200);
  testing::CommandResult r = testing::RunCommand(
      testing::MillstreamBinary(),
      {"status", "--admin", "http://127.0.0.1:" + std::to_string(broker_->http_port())});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("broker\tready\t"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("topic\torders\t2\t2\t"), std::string::npos) << r.out;
  testing::CommandResult down = testing::RunCommand(
      testing::MillstreamBinary(), {"status", "--admin", "http://127.0.0.1:1", "--timeout-ms", "2000"});
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.out.find("status: GET /api/v1/ready: no answer"), std::string::npos) << down.out;
}

TEST_F(HttpApiTest, WebhookRecordsAreReadByKafkaClientsWithKeysValuesAndHeaders) {
  Start();
  CreateTopic("asn", 4);
  HttpReply r = Send("POST", "/api/v1/topics/asn/records", R"({"records": [
      {"key": "SUP-7", "value": {"asn": "A-1", "lines": 3}, "headers": {"source": "portal"}},
      {"key": "SUP-7", "value": "plain text"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  json answer = json::parse(r.body);
  ASSERT_EQ(answer["offsets"].size(), 2u);
  int partition = answer["offsets"][0]["partition"];
  EXPECT_EQ(answer["offsets"][1]["partition"], partition);  // same key, same partition
  EXPECT_EQ(answer["offsets"][0]["offset"], 0);
  EXPECT_EQ(answer["offsets"][1]["offset"], 1);
  testing::CommandResult read = testing::Kcat({"-b", broker_->bootstrap(), "-C", "-t", "asn", "-p",
                                               std::to_string(partition), "-e", "-q", "-f", "%k|%s|%h\n"});
  EXPECT_EQ(read.out, "SUP-7|{\"asn\":\"A-1\",\"lines\":3}|source=portal\nSUP-7|plain text|\n");
}

TEST_F(HttpApiTest, ARepeatedIdempotentWebhookAppendsOnceAlsoAcrossARestartAndAKill) {
  Start();
  CreateTopic("shipments", 2);
  const std::string body = R"({"records": [{"key": "TMS-1", "value": {"status": "loaded"}},
                                          {"key": "TMS-2", "value": {"status": "departed"}}]})";
  const std::map<std::string, std::string> key = {{"Idempotency-Key", "carrier-42-evt-9"}};
  HttpReply first = Send("POST", "/api/v1/topics/shipments/records", body, key);
  ASSERT_EQ(first.status, 200) << first.body;
  auto again = [&] {
    HttpReply r = Send("POST", "/api/v1/topics/shipments/records", body, key);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, first.body);
    auto replayed = r.headers.find("Idempotent-Replayed");
    EXPECT_TRUE(replayed != r.headers.end() && replayed->second == "true");
    EXPECT_EQ(RecordsIn("shipments"), 2);
  };
  again();
  ASSERT_TRUE(broker_->Restart());
  again();
  broker_->Kill();
  ASSERT_TRUE(broker_->Start()) << broker_->output();
  again();
  // The same key with another body is a client bug, not a repeat.
  HttpReply other = Send("POST", "/api/v1/topics/shipments/records", R"({"records": [{"value": 1}]})", key);
  EXPECT_EQ(other.status, 422);
  EXPECT_EQ(ErrorCode(other), "idempotency_key_reused");
  // Without a key every request appends.
  ASSERT_EQ(Send("POST", "/api/v1/topics/shipments/records", body).status, 200);
  ASSERT_EQ(Send("POST", "/api/v1/topics/shipments/records", body).status, 200);
  EXPECT_EQ(RecordsIn("shipments"), 6);
}

TEST_F(HttpApiTest, ChangesNeedTheBearerTokenWhenOneIsSet) {
  Start({"--http-token", "s3cret"});
  HttpReply none = Send("POST", "/api/v1/topics", R"({"name":"orders"})");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(ErrorCode(none), "unauthorized");
  EXPECT_NE(none.headers.find("WWW-Authenticate"), none.headers.end());
  EXPECT_EQ(Send("POST", "/api/v1/topics", R"({"name":"orders"})", {{"Authorization", "Bearer wrong"}}).status,
            401);
  EXPECT_EQ(Send("POST", "/api/v1/topics", R"({"name":"orders"})", {{"Authorization", "Bearer s3cret"}}).status,
            201);
  EXPECT_EQ(Send("POST", "/api/v1/topics/orders/records", R"({"records":[{"value":1}]})").status, 401);
  EXPECT_EQ(Send("DELETE", "/api/v1/topics/orders", "").status, 401);
  // Reading needs no token.
  EXPECT_EQ(Get("/api/v1/topics/orders").status, 200);
  EXPECT_EQ(Get("/metrics").status, 200);
  EXPECT_EQ(RecordsIn("orders"), 0);
}

TEST_F(HttpApiTest, BadInputGetsAClearErrorAndAppendsNothing) {
  Start({"--http-max-body-bytes", "4096"});
  CreateTopic("moves", 2, {{"max.message.bytes", "1024"}});
  const std::string path = "/api/v1/topics/moves/records";
  EXPECT_EQ(ErrorCode(Send("POST", path, "{\"records\": [")), "invalid_records");
  EXPECT_EQ(ErrorCode(Send("POST", path, R"({"records": []})")), "invalid_records");
  EXPECT_EQ(ErrorCode(Send("POST", path, R"({"records": [{"value": 1}, {"vlaue": 2}]})")), "invalid_records");
  EXPECT_EQ(ErrorCode(Send("POST", path, R"({"records": [{"value": 1}, {"partition": 2, "value": 2}]})")),
            "invalid_partition");
  EXPECT_EQ(ErrorCode(Send("POST", "/api/v1/topics/nope/records", R"({"records": [{"value": 1}]})")),
            "unknown_topic");
  std::string big(3000, 'x');  // under the body limit, over the topic's max.message.bytes
  HttpReply too_large = Send("POST", path, json{{"records", {{{"value", big}}}}}.dump());
  EXPECT_EQ(too_large.status, 413);
  EXPECT_EQ(ErrorCode(too_large), "batch_too_large");
  HttpReply body_too_large = Send("POST", path, json{{"records", {{{"value", std::string(8192, 'y')}}}}}.dump());
  EXPECT_EQ(body_too_large.status, 413);
  EXPECT_EQ(ErrorCode(body_too_large), "body_too_large");
  HttpReply wrong_method = Send("PUT", path, "{}");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.headers.find("Allow")->second, "POST");
  EXPECT_EQ(ErrorCode(Send("POST", path, R"({"records": [{"value": 1}]})", {{"Idempotency-Key", "has space"}})),
            "invalid_idempotency_key");
  EXPECT_EQ(ErrorCode(Get("/api/v1/nothing-here")), "not_found");
  EXPECT_EQ(RecordsIn("moves"), 0);
  // The broker is still serving.
  EXPECT_EQ(Send("POST", path, R"({"records": [{"value": 1}]})").status, 200);
  EXPECT_EQ(RecordsIn("moves"), 1);
}

TEST_F(HttpApiTest, TooManyRecordsOrAChunkedBodyAreRefusedWhole) {
  Start();
  CreateTopic("bulk", 1);
  json many = {{"records", json::array()}};
  for (int i = 0; i < 10001; ++i) many["records"].push_back(json::object());
  HttpReply r = Send("POST", "/api/v1/topics/bulk/records", many.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("at most 10000 per request"), std::string::npos) << r.body;
  many["records"].erase(many["records"].begin());
  EXPECT_EQ(Send("POST", "/api/v1/topics/bulk/records", many.dump()).status, 200);
  EXPECT_EQ(RecordsIn("bulk"), 10000);

  // A body without a Content-Length (chunked) could be of any size: refused.
  testing::IgnoreSigpipe();  // the refusal may come before the whole body was sent
  httplib::Client client("127.0.0.1", broker_->http_port());
  httplib::Result chunked = client.Post(
      "/api/v1/topics/bulk/records",
      [](size_t, httplib::DataSink& sink) {
        const std::string part = R"({"records": [{"value": 1}]})";
        sink.write(part.data(), part.size());
        sink.done();
        return true;
      },
      "application/json");
  // The broker answers 411 before reading the body; the client sees the answer,
  // or (when it was still sending) a connection closed under it.
  if (chunked) {
    EXPECT_EQ(chunked->status, 411);
  }
  EXPECT_EQ(RecordsIn("bulk"), 10000);
}

}  // namespace
}  // namespace millstream
