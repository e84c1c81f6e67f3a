// /api/v1/checkpoints: create (a consistent cut), list, show, delete, release a
// pin (docs/checkpoints.md, docs/http-api.md). Creating blocks this worker while
// the cut is taken and made durable; it runs here, never on a shard.
#include <nlohmann/json.hpp>
#include <set>

#include "engine/checkpoints.h"
#include "net/http/json_reply.h"
#include "net/http/routes.h"

namespace millstream::net::http {

namespace {

using nlohmann::json;

const char* const kCheckpointPath = "/api/v1/checkpoints/([^/]+)";

// The bytes pinned checkpoints keep past retention on the partitions this one
// covers (as of each partition's last retention run).
uint64_t PinnedBytes(ApiContext& context, const engine::Checkpoint& checkpoint) {
  uint64_t total = 0;
  for (const engine::PartitionStats& p : context.PartitionStatsOfAllShards()) {
    if (checkpoint.Find(p.topic, p.partition) != nullptr) total += p.pinned_bytes;
  }
  return total;
}

json Describe(const engine::Checkpoint& c, bool full) {
  json out = json::parse(c.ToJson());
  out.erase("version");
  if (!full) {
    std::set<std::string> topics;
    for (const engine::CutPartition& p : c.partitions) topics.insert(p.topic);
    out.erase("partitions");
    out.erase("group_offsets");
    out["topics"] = topics;
    out["partition_count"] = c.partitions.size();
  }
  return out;
}

void Create(ApiContext& context, const httplib::Request& req, httplib::Response& res) {
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) return ReplyError(res, 400, "invalid_json", "the body is not a JSON object");
  engine::CheckpointRequest request;
  for (const auto& [field, v] : body.items()) {
    if (field == "name" && v.is_string()) {
      request.name = v.get<std::string>();
    } else if (field == "topics" && v.is_array()) {
      for (const json& t : v) {
        if (!t.is_string()) return ReplyError(res, 400, "invalid_argument", "\"topics\" must be strings");
        request.topics.push_back(t.get<std::string>());
      }
    } else if (field == "pin" && v.is_boolean()) {
      request.pin = v.get<bool>();
    } else if (field == "note" && v.is_string()) {
      request.note = v.get<std::string>();
    } else {
      return ReplyError(res, 400, "invalid_argument",
                        "unknown or mistyped field \"" + field + "\" (name: string, topics: [string], pin: bool, note: string)");
    }
  }
  Result<engine::Checkpoint> created = engine::CreateCheckpoint(context.broker, request);
  if (created.status().code() == StatusCode::kBusy) {
    return ReplyError(res, 409, "checkpoint_exists", created.status().message());
  }
  if (created.status().code() == StatusCode::kNotFound) {
    return ReplyError(res, 404, "unknown_topic", created.status().message());
  }
  if (!created.ok()) return ReplyStatus(res, created.status());
  ReplyJson(res, 201, Describe(*created, true));
}

}  // namespace

void AddCheckpointRoutes(Routes& routes, ApiContext& context) {
  routes.Add("POST", "/api/v1/checkpoints", [&context](const httplib::Request& req, httplib::Response& res) {
    Create(context, req, res);
  });
  routes.Add("GET", "/api/v1/checkpoints", [&context](const httplib::Request&, httplib::Response& res) {
    json list = json::array();
    for (const engine::Checkpoint& c : context.broker.checkpoints().List()) list.push_back(Describe(c, false));
    ReplyJson(res, 200, {{"checkpoints", list}});
  });
  routes.Add("GET", kCheckpointPath, [&context](const httplib::Request& req, httplib::Response& res) {
    std::optional<engine::Checkpoint> c = context.broker.checkpoints().Find(req.matches[1]);
    if (!c) return ReplyError(res, 404, "unknown_checkpoint", "no checkpoint " + std::string(req.matches[1]));
    json out = Describe(*c, true);
    out["pinned_bytes"] = c->pinned ? PinnedBytes(context, *c) : 0;
    ReplyJson(res, 200, out);
  });
  routes.Add("DELETE", kCheckpointPath, [&context](const httplib::Request& req, httplib::Response& res) {
    Status removed = engine::DeleteCheckpoint(context.broker, req.matches[1]);
    if (removed.code() == StatusCode::kNotFound) {
      return ReplyError(res, 404, "unknown_checkpoint", removed.message());
    }
    if (!removed.ok()) return ReplyStatus(res, removed);
    ReplyJson(res, 200, {{"deleted", std::string(req.matches[1])}});
  });
  routes.Add("POST", std::string(kCheckpointPath) + "/release",
             [&context](const httplib::Request& req, httplib::Response& res) {
               Result<engine::Checkpoint> released = engine::ReleaseCheckpoint(context.broker, req.matches[1]);
               if (released.status().code() == StatusCode::kNotFound) {
                 return ReplyError(res, 404, "unknown_checkpoint", released.status().message());
               }
               if (!released.ok()) return ReplyStatus(res, released.status());
               ReplyJson(res, 200, Describe(*released, false));
             });
}

}  // namespace millstream::net::http
