// Webhook produce: POST /api/v1/topics/{topic}/records with a JSON body of
// records appends them durably (acks=all) and answers their partitions and
// offsets. With an Idempotency-Key header, a repeat of the same request within
// the window is answered from the IdempotencyStore and appends nothing.
//
// The whole body is checked before anything is appended (its shape here; the
// partitions and batch sizes by engine::ProducePlainRecords), so bad input never
// leaves half a request in the log. The request is coordinated on shard 0, which
// owns the idempotency keys; its appends hop to the partitions' shards like any
// produce. docs/http-api.md has the format.
#include <spdlog/spdlog.h>
#include <xxhash.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "net/http/json_reply.h"
#include "net/http/routes.h"
#include "engine/plain_records.h"

namespace millstream::net::http {

namespace {

using nlohmann::json;

struct Answer {
  int status = 200;
  std::string body;
  bool replayed = false;
  uint64_t records = 0;        // appended by this request
  bool appended_some = false;  // a failure after some records became durable
  bool key_lost = false;       // the idempotency key could not be stored
};

// At most this many records per request, so that the answer (about 50 bytes per
// record) always fits one record of the idempotency keys' log.
constexpr size_t kMaxRecordsPerRequest = 10000;

Answer ErrorAnswer(int status, const std::string& code, const std::string& message) {
  return {status, DumpJson({{"error", {{"status", status}, {"code", code}, {"message", message}}}}) + "\n"};
}

// A JSON string is stored as its text; any other JSON value as its compact JSON.
std::optional<std::string> Payload(const json& v) {
  if (v.is_null()) return std::nullopt;
  if (v.is_string()) return v.get<std::string>();
  return DumpJson(v);
}

Result<engine::PlainRecord> ParseRecord(const json& r, size_t index) {
  std::string where = "records[" + std::to_string(index) + "]";
  if (!r.is_object()) return InvalidArgument(where + " must be an object");
  engine::PlainRecord out;
  for (const auto& [field, v] : r.items()) {
    if (field == "key") {
      if (!v.is_null() && !v.is_string()) return InvalidArgument(where + ".key must be a string or null");
      if (v.is_string()) out.key = v.get<std::string>();
    } else if (field == "value") {
      out.value = Payload(v);
    } else if (field == "headers") {
      if (!v.is_object()) return InvalidArgument(where + ".headers must be an object of name: string");
      for (const auto& [name, hv] : v.items()) {
        if (!hv.is_string() && !hv.is_null()) {
          return InvalidArgument(where + ".headers." + name + " must be a string or null");
        }
        out.headers.emplace_back(name, hv.is_string() ? std::optional<std::string>(hv.get<std::string>())
                                                       : std::nullopt);
      }
    } else if (field == "partition") {
      if (!v.is_number_integer()) return InvalidArgument(where + ".partition must be an integer");
      out.partition = v.get<int64_t>();
    } else if (field == "timestamp") {
      if (!v.is_number_integer() || v.get<int64_t>() < 0) {
        return InvalidArgument(where + ".timestamp must be milliseconds since the epoch");
      }
      out.timestamp_ms = v.get<int64_t>();
    } else {
      return InvalidArgument(where + " has an unknown field \"" + field +
                             "\" (known: key, value, headers, partition, timestamp)");
    }
  }
  return out;
}

Result<std::vector<engine::PlainRecord>> ParseRecords(const std::string& body) {
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return InvalidArgument("the body is not valid JSON");
  if (!parsed.is_object() || !parsed.contains("records") || !parsed["records"].is_array()) {
    return InvalidArgument("the body must be {\"records\": [ ... ]}");
  }
  if (parsed.size() != 1) return InvalidArgument("the body has fields other than \"records\"");
  const json& list = parsed["records"];
  if (list.empty()) return InvalidArgument("\"records\" is empty");
  if (list.size() > kMaxRecordsPerRequest) {
    return InvalidArgument("\"records\" has " + std::to_string(list.size()) + " records; at most " +
                           std::to_string(kMaxRecordsPerRequest) + " per request");
  }
  std::vector<engine::PlainRecord> records;
  for (size_t i = 0; i < list.size(); ++i) {
    ASSIGN_OR_RETURN(engine::PlainRecord record, ParseRecord(list[i], i));
    records.push_back(std::move(record));
  }
  return records;
}

std::string Digest(const std::string& topic, const std::string& body) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  XXH3_128bits_update(state, topic.data(), topic.size());
  XXH3_128bits_update(state, "\0", 1);
  XXH3_128bits_update(state, body.data(), body.size());
  XXH128_hash_t h = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  char hex[33];
  std::snprintf(hex, sizeof(hex), "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return hex;
}

Answer StorageFailure(const engine::PlainProduceResult& result) {
  const Status& status = result.status;
  int code = status.code() == StatusCode::kNoSpace        ? 507
             : status.code() == StatusCode::kShuttingDown ? 503
                                                          : 500;
  json appended = json::array();
  for (const auto& [p, n] : result.durable) appended.push_back({{"partition", p}, {"records", n}});
  json body = {{"error", {{"status", code}, {"code", code == 507 ? "no_space" : "storage_error"},
                          {"message", status.ToString()}}},
               {"appended", appended}};
  return {code, DumpJson(body) + "\n", false, 0, !result.durable.empty()};
}

Task<Answer> Append(ApiContext* context, engine::Shard* shard, engine::Broker::TopicInfo topic,
                    std::vector<engine::PlainRecord> records) {
  size_t count = records.size();
  // Records without a key of one request stay together, as Kafka's sticky
  // partitioner keeps them; successive requests take turns.
  uint64_t keyless = context->next_sticky_partition.fetch_add(1);
  std::string name = topic.name;
  engine::PlainProduceResult result =
      co_await engine::ProducePlainRecords(context->broker, *shard, std::move(topic), std::move(records), keyless);
  if (result.status.code() == StatusCode::kInvalidArgument) {
    co_return ErrorAnswer(400, "invalid_partition", result.status.message());
  }
  if (result.status.code() == StatusCode::kOutOfRange) {
    co_return ErrorAnswer(413, "batch_too_large", result.status.message());
  }
  if (!result.status.ok()) co_return StorageFailure(result);
  json offsets = json::array();
  for (const auto& [p, offset] : result.offsets) offsets.push_back({{"partition", p}, {"offset", offset}});
  co_return Answer{200, DumpJson({{"topic", name}, {"offsets", offsets}}) + "\n", false, count};
}

// A request checked on the HTTP worker (parsed, hashed), ready for shard 0.
struct Prepared {
  std::string topic;
  std::vector<engine::PlainRecord> records;
  std::optional<std::string> key;
  std::string digest;  // of topic and body, when there is a key
};

// Whether a repeat must get this answer again rather than run again: every
// success, and a failure after which some records are durable (running it again
// would append those a second time).
bool Remembered(const Answer& answer) {
  return answer.status == 200 || answer.appended_some;
}

Task<Answer> ProduceHere(ApiContext* context, engine::Shard* shard, std::shared_ptr<Prepared> request) {
  engine::IdempotencyStore& keys = *context->keys;
  const std::optional<std::string>& key = request->key;
  if (key) {
    if (const engine::IdempotencyStore::Entry* seen = keys.Find(*key)) {
      if (seen->request_digest != request->digest) {
        co_return ErrorAnswer(422, "idempotency_key_reused",
                              "Idempotency-Key " + *key + " was used for a different request");
      }
      co_return Answer{seen->answer_status, seen->answer, true};
    }
    if (!keys.TryClaim(*key)) {
      co_return ErrorAnswer(409, "idempotency_key_in_progress",
                            "a request with Idempotency-Key " + *key + " is still being answered");
    }
  }
  std::optional<engine::Broker::TopicInfo> topic = context->broker.FindTopic(request->topic);
  Answer answer;
  if (!topic) {
    answer = ErrorAnswer(404, "unknown_topic", "no topic " + request->topic);
  } else {
    answer = co_await Append(context, shard, std::move(*topic), std::move(request->records));
  }
  if (key && Remembered(answer)) {
    // Named first: GCC 12 mishandles a braced temporary inside a co_await expression.
    engine::IdempotencyStore::Entry entry{request->digest, answer.status, answer.body,
                                          SystemClock::Instance().Now().value()};
    Status stored = co_await keys.Put(*key, std::move(entry));
    // The records are durable and this answer is true, so it is sent; but a
    // repeat could now append them again: say so loudly and count it.
    if (!stored.ok()) {
      spdlog::error("idempotency key {} not stored: {}", *key, stored.ToString());
      answer.key_lost = true;
    }
  }
  if (key) keys.Release(*key);
  co_return answer;
}

bool ValidKey(const std::string& key) {
  if (key.empty() || key.size() > engine::IdempotencyStore::kMaxKeyBytes) return false;
  for (unsigned char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

void AddWebhookRoutes(Routes& routes, ApiContext& context) {
  routes.Add("POST", "/api/v1/topics/([^/]+)/records", [&context](const httplib::Request& req,
                                                                 httplib::Response& res) {
    std::optional<std::string> key;
    if (req.has_header("Idempotency-Key")) {
      key = req.get_header_value("Idempotency-Key");
      if (!ValidKey(*key)) {
        ++context.webhooks.rejected;
        return ReplyError(res, 400, "invalid_idempotency_key",
                          "Idempotency-Key must be 1 to 255 printable ASCII characters without spaces");
      }
    }
    // Parsed and hashed here, on the HTTP worker: shard 0 only sees records.
    auto request = std::make_shared<Prepared>();
    request->topic = req.matches[1];
    Result<std::vector<engine::PlainRecord>> records = ParseRecords(req.body);
    if (!records.ok()) {
      ++context.webhooks.rejected;
      return ReplyError(res, 400, "invalid_records", records.status().message());
    }
    request->records = std::move(*records);
    request->key = std::move(key);
    if (request->key) request->digest = Digest(request->topic, req.body);
    ApiContext* ctx = &context;
    std::function<Task<Answer>(engine::Shard&)> produce = [ctx, request](engine::Shard& shard) {
      return ProduceHere(ctx, &shard, request);
    };
    std::optional<Answer> answer = context.OnShard(0, std::move(produce));
    if (!answer) return ReplyError(res, 503, "stopping", "the broker is stopping");
    if (answer->replayed) {
      ++context.webhooks.replayed;
      res.set_header("Idempotent-Replayed", "true");
    } else if (answer->status == 200) {
      ++context.webhooks.appended;
      context.webhooks.records += answer->records;
    } else if (answer->status < 500) {
      ++context.webhooks.rejected;
    } else {
      ++context.webhooks.failed;
    }
    if (answer->key_lost) ++context.webhooks.keys_lost;
    res.status = answer->status;
    res.set_content(answer->body, "application/json");
  });
}

}  // namespace millstream::net::http
