#include "net/http/metrics_page.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <sstream>

namespace millstream::net::http {
namespace {

MetricsSnapshot Sample() {
  MetricsSnapshot s;
  engine::PartitionStats p;
  p.topic = "asn\"quoted";
  p.partition = 2;
  p.disk_bytes = 4096;
  p.traffic.produce_records = 7;
  p.sync.Record(300'000, 8192);  // 0.3 ms, 8 KiB
  s.partitions.push_back(p);
  s.requests.errors[3] = 2;
  s.requests.produce_ack_seconds[2].Record(0.004);
  s.group_lag.push_back({"wms", {"orders", 0, 5, 9, 4}});
  return s;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool Has(const std::string& text, const std::string& line) {
  for (const std::string& l : Lines(text)) {
    if (l == line) return true;
  }
  return false;
}

TEST(MetricsPageTest, LabelValuesAreEscaped) {
  std::string text = RenderMetrics(Sample());
  EXPECT_TRUE(Has(text, "millstream_produce_records_total{topic=\"asn\\\"quoted\"} 7")) << text;
  EXPECT_TRUE(Has(text, "millstream_log_size_bytes{topic=\"asn\\\"quoted\",partition=\"2\"} 4096"));
}

TEST(MetricsPageTest, LabelValuesThatAreNotUtf8GetReplacementCharacters) {
  MetricsSnapshot s;
  s.group_lag.push_back({"caf\xC3\xA9-\xFF\xC3", {"t", 0, 1, 2, 1}});
  std::string text = RenderMetrics(s);
  EXPECT_TRUE(Has(text, "millstream_consumer_group_lag{group=\"caf\xC3\xA9-\xEF\xBF\xBD\xEF\xBF\xBD\","
                        "topic=\"t\",partition=\"0\"} 1"))
      << text;
}

TEST(MetricsPageTest, HistogramsHaveCumulativeBucketsSumAndCount) {
  std::string text = RenderMetrics(Sample());
  EXPECT_TRUE(Has(text, "# TYPE millstream_fdatasync_duration_seconds histogram"));
  EXPECT_TRUE(Has(text, "millstream_fdatasync_duration_seconds_bucket{le=\"0.00025\"} 0"));
  EXPECT_TRUE(Has(text, "millstream_fdatasync_duration_seconds_bucket{le=\"0.0005\"} 1"));
  EXPECT_TRUE(Has(text, "millstream_fdatasync_duration_seconds_bucket{le=\"+Inf\"} 1"));
  EXPECT_TRUE(Has(text, "millstream_fdatasync_duration_seconds_count 1"));
  EXPECT_TRUE(Has(text, "millstream_fdatasync_bytes_bucket{le=\"16384\"} 1"));
  EXPECT_TRUE(Has(text, "millstream_produce_ack_duration_seconds_bucket{acks=\"all\",le=\"0.005\"} 1"));
  EXPECT_TRUE(Has(text, "millstream_produce_ack_duration_seconds_count{acks=\"1\"} 0"));
}

TEST(MetricsPageTest, ErrorsCarryTheirCodeAndKafkaName) {
  std::string text = RenderMetrics(Sample());
  EXPECT_TRUE(Has(text, "millstream_kafka_errors_total{code=\"3\",error=\"UNKNOWN_TOPIC_OR_PARTITION\"} 2"));
  EXPECT_TRUE(Has(text, "millstream_consumer_group_lag{group=\"wms\",topic=\"orders\",partition=\"0\"} 4"));
}

TEST(MetricsPageTest, EveryFamilyIsDeclaredOnceBeforeItsSamples) {
  std::set<std::string> declared;
  for (const std::string& line : Lines(RenderMetrics(Sample()))) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(declared.insert(name).second) << "declared twice: " << name;
      continue;
    }
    if (line.rfind("#", 0) == 0) continue;
    std::string name = line.substr(0, line.find_first_of("{ "));
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string base = name.size() > strlen(suffix) && name.ends_with(suffix)
                             ? name.substr(0, name.size() - strlen(suffix))
                             : name;
      if (declared.count(base)) name = base;
    }
    EXPECT_TRUE(declared.count(name)) << "sample before its TYPE: " << line;
  }
}

}  // namespace
}  // namespace millstream::net::http
