// Connection storms: a real broker with small connection limits refuses the
// connections past them at once, while the clients already connected go on.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "net/kafka/protocol/api_versions.h"
#include "tests/support/broker_process.h"
#include "tests/support/http_client.h"
#include "tests/support/kafka_client.h"

namespace millstream {
namespace {

using testing::KafkaClient;

// Connects and asks ApiVersions; the client when the broker answered, else null.
std::unique_ptr<KafkaClient> Served(const std::string& bootstrap) {
  auto client = KafkaClient::Connect(bootstrap);
  if (!client.ok()) return nullptr;
  auto answer = (*client)->Call<net::kafka::ApiVersionsApi>(0, {});
  return answer.ok() ? std::move(*client) : nullptr;
}

double Refused(const testing::BrokerProcess& broker) {
  testing::MetricsPage page = testing::ParseMetrics(testing::Http(broker.http_port(), "GET", "/metrics").body);
  return page.samples["millstream_kafka_connections_refused_total"];
}

TEST(ConnectionLimitsTest, ConnectionsPastThePerAddressLimitAreRefusedAndEstablishedOnesGoOn) {
  testing::BrokerProcess broker({"--max-connections-per-ip", "3"});
  ASSERT_TRUE(broker.Start()) << broker.output();
  std::vector<std::unique_ptr<KafkaClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(Served(broker.bootstrap()));
    ASSERT_NE(clients.back(), nullptr) << i;
  }
  auto fourth = KafkaClient::Connect(broker.bootstrap());
  ASSERT_TRUE(fourth.ok());
  EXPECT_TRUE((*fourth)->ClosedByPeer(5000));
  EXPECT_TRUE(broker.WaitForLog("refused a connection from 127.0.0.1", 5000)) << broker.output();
  EXPECT_NE(broker.output().find("--max-connections-per-ip 3"), std::string::npos);
  EXPECT_GE(Refused(broker), 1);
  for (auto& c : clients) EXPECT_TRUE(c->Call<net::kafka::ApiVersionsApi>(0, {}).ok());
  // One leaves: a new connection is served again.
  clients.pop_back();
  std::unique_ptr<KafkaClient> again;
  for (int i = 0; i < 50 && !again; ++i) {
    again = Served(broker.bootstrap());
    if (!again) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(again, nullptr);
}

TEST(ConnectionLimitsTest, ConnectionsPastTheTotalLimitAreRefused) {
  testing::BrokerProcess broker({"--max-connections", "2"});
  ASSERT_TRUE(broker.Start()) << broker.output();
  std::unique_ptr<KafkaClient> a = Served(broker.bootstrap()), b = Served(broker.bootstrap());
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  auto third = KafkaClient::Connect(broker.bootstrap());
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE((*third)->ClosedByPeer(5000));
  EXPECT_TRUE(broker.WaitForLog("(--max-connections 2)", 5000)) << broker.output();
  EXPECT_TRUE(a->Call<net::kafka::ApiVersionsApi>(0, {}).ok());
}

}  // namespace
}  // namespace millstream
