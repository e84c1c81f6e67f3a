#include "engine/topic_config.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace millstream::engine {

namespace {

Status ParseInt(const std::string& key, const std::string& value, int64_t min, int64_t& out) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || ptr != value.data() + value.size() || v < min) {
    return InvalidArgument("invalid value '" + value + "' for " + key);
  }
  out = v;
  return Status::Ok();
}

}  // namespace

const std::vector<std::string>& TopicConfigKeys() {
  static const std::vector<std::string> keys = {
      "cleanup.policy",  "max.message.bytes", "message.timestamp.type", "priority.class",
      "retention.bytes", "retention.ms",      "segment.bytes"};
  return keys;
}

Status TopicConfig::Apply(const std::map<std::string, std::string>& settings) {
  TopicConfig next = *this;
  for (const auto& [key, value] : settings) {
    int64_t v = 0;
    if (key == "retention.ms") {
      RETURN_IF_ERROR(ParseInt(key, value, -1, v));
      next.retention_ms = v;
    } else if (key == "retention.bytes") {
      RETURN_IF_ERROR(ParseInt(key, value, -1, v));
      next.retention_bytes = v;
    } else if (key == "segment.bytes") {
      RETURN_IF_ERROR(ParseInt(key, value, 14, v));
      if (v > (1ll << 30)) return InvalidArgument("segment.bytes above 1 GiB is not supported");
      next.segment_bytes = v;
    } else if (key == "max.message.bytes") {
      RETURN_IF_ERROR(ParseInt(key, value, 0, v));
      if (v > (8 << 20) - 8192) return InvalidArgument("max.message.bytes above 8 MiB is not supported");
      next.max_message_bytes = static_cast<int32_t>(v);
    } else if (key == "message.timestamp.type") {
      if (value == "CreateTime") {
        next.timestamp_type = TimestampType::kCreateTime;
      } else if (value == "LogAppendTime") {
        next.timestamp_type = TimestampType::kLogAppendTime;
      } else {
        return InvalidArgument("invalid value '" + value + "' for message.timestamp.type");
      }
    } else if (key == "priority.class") {
      Result<storage::IoClass> parsed = ParsePriorityClass(value);
      if (!parsed.ok()) return InvalidArgument("invalid value '" + value + "' for priority.class (critical, standard or bulk)");
      next.priority_class = *parsed;
    } else if (key == "cleanup.policy") {
      if (value != "delete") return InvalidArgument("cleanup.policy " + value + " is not supported (only delete)");
      next.cleanup_policy = value;
    } else {
      return InvalidArgument("unknown topic config " + key);
    }
  }
  *this = next;
  return Status::Ok();
}

std::map<std::string, std::string> TopicConfig::ToMap() const {
  return {{"cleanup.policy", cleanup_policy},
          {"max.message.bytes", std::to_string(max_message_bytes)},
          {"message.timestamp.type",
           timestamp_type == TimestampType::kCreateTime ? "CreateTime" : "LogAppendTime"},
          {"priority.class", PriorityClassName(priority_class)},
          {"retention.bytes", std::to_string(retention_bytes)},
          {"retention.ms", std::to_string(retention_ms)},
          {"segment.bytes", std::to_string(segment_bytes)}};
}

std::string TopicConfig::ToJson() const {
  nlohmann::json j = {{"partitions", partitions}};
  for (const auto& [key, value] : ToMap()) j["config"][key] = value;
  return j.dump(2) + "\n";
}

Result<TopicConfig> TopicConfig::FromJson(const std::string& text) {
  // nlohmann throws on bad input; the non-throwing parse returns a discarded value.
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("partitions") ||
      !j["partitions"].is_number_integer()) {
    return Corruption("topic.json is not a topic description");
  }
  TopicConfig config;
  config.partitions = j["partitions"].get<int32_t>();
  if (config.partitions < 1) return Corruption("topic.json has no partitions");
  std::map<std::string, std::string> settings;
  if (j.contains("config") && j["config"].is_object()) {
    for (const auto& [key, value] : j["config"].items()) {
      if (!value.is_string()) return Corruption("topic.json: " + key + " is not a string");
      settings[key] = value.get<std::string>();
    }
  }
  Status applied = config.Apply(settings);
  if (!applied.ok()) return Corruption("topic.json: " + applied.message());
  return config;
}

const char* PriorityClassName(storage::IoClass io_class) {
  switch (io_class) {
    case storage::IoClass::kCritical:
      return "critical";
    case storage::IoClass::kStandard:
      return "standard";
    case storage::IoClass::kBulk:
      return "bulk";
  }
  return "standard";
}

Result<storage::IoClass> ParsePriorityClass(const std::string& name) {
  for (storage::IoClass c : {storage::IoClass::kCritical, storage::IoClass::kStandard, storage::IoClass::kBulk}) {
    if (name == PriorityClassName(c)) return c;
  }
  return InvalidArgument("no priority class " + name);
}

Status ValidateTopicName(const std::string& name) {
  if (name.empty() || name.size() > 249) return InvalidArgument("topic name must have 1 to 249 characters");
  if (name == "." || name == "..") return InvalidArgument("topic name cannot be . or ..");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return InvalidArgument("topic name '" + name + "' has characters other than [a-zA-Z0-9._-]");
  }
  return Status::Ok();
}

}  // namespace millstream::engine
