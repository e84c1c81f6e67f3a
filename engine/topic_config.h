// TopicConfig: the per-topic settings Millstream has, by their Kafka names, with
// validation and the on-disk form (DIR/topics/<topic>/topic.json, written through
// the file-system seam). docs/protocol.md lists the keys and their defaults.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "storage/flush_scheduler.h"

namespace millstream::engine {

enum class TimestampType { kCreateTime, kLogAppendTime };

struct TopicConfig {
  int32_t partitions = 1;
  int64_t retention_ms = 7ll * 24 * 3600 * 1000;  // retention.ms; -1 keeps forever
  int64_t retention_bytes = -1;                    // retention.bytes per partition; -1 no limit
  int64_t segment_bytes = 1ll << 30;               // segment.bytes
  int32_t max_message_bytes = 1048588;             // max.message.bytes (Kafka's default)
  TimestampType timestamp_type = TimestampType::kCreateTime;  // message.timestamp.type
  std::string cleanup_policy = "delete";           // cleanup.policy: only delete is supported
  // priority.class: critical, standard or bulk; the order in which each shard
  // starts its partitions' flushes (storage/flush_scheduler.h).
  storage::IoClass priority_class = storage::IoClass::kStandard;

  // Applies `key=value` settings (Kafka names) on top of this config. Unknown keys
  // and bad values are InvalidArgument naming the key.
  Status Apply(const std::map<std::string, std::string>& settings);
  // Every setting as Kafka names it, with its value as text (DescribeConfigs).
  std::map<std::string, std::string> ToMap() const;

  std::string ToJson() const;
  static Result<TopicConfig> FromJson(const std::string& json);
};

// The settings keys Millstream understands (for DescribeConfigs and errors).
const std::vector<std::string>& TopicConfigKeys();

// "critical", "standard", "bulk", and back; InvalidArgument for any other name.
const char* PriorityClassName(storage::IoClass io_class);
Result<storage::IoClass> ParsePriorityClass(const std::string& name);

// Kafka's rule: 1 to 249 characters of [a-zA-Z0-9._-], not "." or "..".
Status ValidateTopicName(const std::string& name);

}  // namespace millstream::engine
