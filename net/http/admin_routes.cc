// The admin API: topics (list, describe, create, delete, change settings) and
// consumer groups (list, describe with lag). Every call is one engine call run on
// a shard; the JSON shapes are in docs/http-api.md.
#include <nlohmann/json.hpp>

#include "net/http/json_reply.h"
#include "net/http/routes.h"

namespace millstream::net::http {

namespace {

using nlohmann::json;

const char* const kTopicPath = "/api/v1/topics/([^/]+)";
const char* const kGroupPath = "/api/v1/groups/([^/]+)";

json ConfigJson(const engine::TopicConfig& config) {
  json out = json::object();
  for (const auto& [key, value] : config.ToMap()) out[key] = value;
  return out;
}

// A JSON object of settings ({"retention.ms": "3600000"} or 3600000) as Kafka's
// key=value strings; null values are collected in `reset`.
Status SettingsFrom(const json& body, std::map<std::string, std::string>& set, std::vector<std::string>* reset) {
  if (!body.is_object()) return InvalidArgument("settings must be a JSON object of key: value");
  for (const auto& [key, value] : body.items()) {
    if (value.is_string()) {
      set[key] = value.get<std::string>();
    } else if (value.is_number_integer() || value.is_boolean()) {
      set[key] = value.dump();
    } else if (value.is_null() && reset != nullptr) {
      reset->push_back(key);
    } else {
      return InvalidArgument("setting " + key + " must be a string or an integer");
    }
  }
  return Status::Ok();
}

Result<json> ParseBody(const httplib::Request& req) {
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return InvalidArgument("the body is not valid JSON");
  return body;
}

Task<Status> CreateHere(engine::Broker* broker, engine::Shard* shard, std::string name, engine::TopicConfig config) {
  co_return co_await broker->CreateTopic(*shard, std::move(name), std::move(config));
}

Task<Status> DeleteHere(engine::Broker* broker, engine::Shard* shard, std::string name) {
  co_return co_await broker->DeleteTopic(*shard, std::move(name));
}

Task<Status> AlterHere(engine::Broker* broker, engine::Shard* shard, std::string name,
                       std::map<std::string, std::string> settings) {
  co_return co_await broker->AlterTopicConfig(*shard, std::move(name), std::move(settings), false);
}

json DescribeTopic(ApiContext& context, const engine::Broker::TopicInfo& topic) {
  json partitions = json::array();
  std::vector<engine::PartitionStats> mine;
  for (engine::PartitionStats& p : context.PartitionStatsOfAllShards()) {
    if (p.topic == topic.name) mine.push_back(std::move(p));
  }
  std::sort(mine.begin(), mine.end(), [](const auto& a, const auto& b) { return a.partition < b.partition; });
  for (const engine::PartitionStats& p : mine) {
    partitions.push_back({{"partition", p.partition},
                          {"log_start_offset", p.log_start},
                          {"high_watermark", p.high_watermark},
                          {"durable_end_offset", p.durable_end},
                          {"size_bytes", p.disk_bytes},
                          {"segments", p.segments}});
  }
  return {{"name", topic.name}, {"partition_count", topic.config.partitions},
          {"partitions", partitions}, {"config", ConfigJson(topic.config)}};
}

void ListTopics(ApiContext& context, httplib::Response& res) {
  json topics = json::array();
  for (const engine::Broker::TopicInfo& t : context.broker.Topics()) {
    topics.push_back({{"name", t.name}, {"partition_count", t.config.partitions}, {"config", ConfigJson(t.config)}});
  }
  ReplyJson(res, 200, {{"topics", topics}});
}

void CreateTopic(ApiContext& context, const httplib::Request& req, httplib::Response& res) {
  Result<json> body = ParseBody(req);
  if (!body.ok()) return ReplyError(res, 400, "invalid_json", body.status().message());
  if (!body->is_object() || !body->contains("name") || !(*body)["name"].is_string()) {
    return ReplyError(res, 400, "invalid_argument", "the body needs \"name\": a string");
  }
  std::string name = (*body)["name"].get<std::string>();
  engine::TopicConfig config = context.broker.config().topic_defaults;
  config.partitions = context.broker.config().default_partitions;
  if (body->contains("partitions")) {
    const json& n = (*body)["partitions"];
    if (!n.is_number_integer() || n.get<int64_t>() < 1 || n.get<int64_t>() > 10000) {
      return ReplyError(res, 400, "invalid_argument", "\"partitions\" must be an integer from 1 to 10000");
    }
    config.partitions = n.get<int32_t>();
  }
  if (body->contains("config")) {
    std::map<std::string, std::string> settings;
    Status parsed = SettingsFrom((*body)["config"], settings, nullptr);
    if (parsed.ok()) parsed = config.Apply(settings);
    if (!parsed.ok()) return ReplyError(res, 400, "invalid_config", parsed.message());
  }
  engine::Broker* broker = &context.broker;
  std::function<Task<Status>(engine::Shard&)> create = [broker, name, config](engine::Shard& shard) {
    return CreateHere(broker, &shard, name, config);
  };
  std::optional<Status> created = context.OnShard(std::move(create));
  if (!created) return ReplyError(res, 503, "stopping", "the broker is stopping");
  if (created->code() == StatusCode::kBusy) {
    return ReplyError(res, 409, "topic_exists", "topic " + name + " already exists");
  }
  if (!created->ok()) return ReplyStatus(res, *created);
  std::optional<engine::Broker::TopicInfo> info = context.broker.FindTopic(name);
  if (!info) return ReplyError(res, 409, "conflict", "topic " + name + " was deleted meanwhile");
  ReplyJson(res, 201, DescribeTopic(context, *info));
}

void DeleteTopic(ApiContext& context, const std::string& name, httplib::Response& res) {
  engine::Broker* broker = &context.broker;
  std::function<Task<Status>(engine::Shard&)> drop = [broker, name](engine::Shard& shard) {
    return DeleteHere(broker, &shard, name);
  };
  std::optional<Status> deleted = context.OnShard(std::move(drop));
  if (!deleted) return ReplyError(res, 503, "stopping", "the broker is stopping");
  if (deleted->code() == StatusCode::kNotFound) {
    return ReplyError(res, 404, "unknown_topic", "no topic " + name);
  }
  if (!deleted->ok()) return ReplyStatus(res, *deleted);
  ReplyJson(res, 200, {{"deleted", name}});
}

// PATCH merges: keys given replace their values, null returns a key to its default,
// keys not given keep theirs (Kafka's AlterConfigs would reset those).
void AlterTopic(ApiContext& context, const std::string& name, const httplib::Request& req, httplib::Response& res) {
  Result<json> body = ParseBody(req);
  if (!body.ok()) return ReplyError(res, 400, "invalid_json", body.status().message());
  std::optional<engine::Broker::TopicInfo> info = context.broker.FindTopic(name);
  if (!info) return ReplyError(res, 404, "unknown_topic", "no topic " + name);
  std::map<std::string, std::string> changes;
  std::vector<std::string> reset;
  Status parsed = SettingsFrom(*body, changes, &reset);
  if (!parsed.ok()) return ReplyError(res, 400, "invalid_config", parsed.message());
  std::map<std::string, std::string> settings = info->config.ToMap();
  settings.erase("partitions");  // not a setting AlterConfigs changes
  for (const std::string& key : reset) settings.erase(key);
  for (auto& [key, value] : changes) settings[key] = value;
  engine::Broker* broker = &context.broker;
  std::function<Task<Status>(engine::Shard&)> alter = [broker, name, settings](engine::Shard& shard) {
    return AlterHere(broker, &shard, name, settings);
  };
  std::optional<Status> altered = context.OnShard(std::move(alter));
  if (!altered) return ReplyError(res, 503, "stopping", "the broker is stopping");
  if (altered->code() == StatusCode::kInvalidArgument) {
    return ReplyError(res, 400, "invalid_config", altered->message());
  }
  if (!altered->ok()) return ReplyStatus(res, *altered);
  info = context.broker.FindTopic(name);
  if (!info) return ReplyError(res, 404, "unknown_topic", "no topic " + name);
  ReplyJson(res, 200, {{"name", name}, {"config", ConfigJson(info->config)}});
}

Task<std::vector<engine::GroupListing>> ListGroupsHere(engine::Broker* broker, engine::Shard* shard) {
  co_return co_await broker->groups().List(*shard);
}

struct GroupView {
  Result<engine::GroupDescription> description = NotFound("");
  std::vector<engine::Broker::PartitionLag> lag;
};

Task<GroupView> DescribeGroupHere(engine::Broker* broker, engine::Shard* shard, std::string group) {
  GroupView view;
  view.description = co_await broker->groups().Describe(*shard, group);
  view.lag = co_await broker->GroupLag(*shard, group);
  co_return view;
}

void ListGroups(ApiContext& context, httplib::Response& res) {
  engine::Broker* broker = &context.broker;
  std::function<Task<std::vector<engine::GroupListing>>(engine::Shard&)> list =
      [broker](engine::Shard& shard) { return ListGroupsHere(broker, &shard); };
  std::optional<std::vector<engine::GroupListing>> groups = context.OnShard(std::move(list));
  if (!groups) return ReplyError(res, 503, "stopping", "the broker is stopping");
  json out = json::array();
  for (const engine::GroupListing& g : *groups) {
    out.push_back({{"group_id", g.group_id},
                   {"state", engine::GroupStateName(g.state)},
                   {"protocol_type", g.protocol_type}});
  }
  ReplyJson(res, 200, {{"groups", out}});
}

void DescribeGroup(ApiContext& context, const std::string& group, httplib::Response& res) {
  engine::Broker* broker = &context.broker;
  std::function<Task<GroupView>(engine::Shard&)> describe = [broker, group](engine::Shard& shard) {
    return DescribeGroupHere(broker, &shard, group);
  };
  std::optional<GroupView> view = context.OnShard(std::move(describe));
  if (!view) return ReplyError(res, 503, "stopping", "the broker is stopping");
  // A group with committed offsets but no live state is still a group to Kafka's tools.
  if (!view->description.ok() && view->lag.empty()) {
    return ReplyError(res, 404, "unknown_group", "no group " + group);
  }
  json members = json::array();
  json out = {{"group_id", group}};
  if (view->description.ok()) {
    const engine::GroupDescription& d = *view->description;
    for (const engine::MemberDescription& m : d.members) {
      members.push_back({{"member_id", m.member_id},
                         {"group_instance_id", m.group_instance_id ? json(*m.group_instance_id) : json(nullptr)},
                         {"client_id", m.client_id},
                         {"client_host", m.client_host}});
    }
    out["state"] = engine::GroupStateName(d.state);
    out["protocol_type"] = d.protocol_type;
    out["protocol"] = d.protocol_name;
    out["generation"] = d.generation;
  } else {
    out["state"] = engine::GroupStateName(engine::GroupState::kEmpty);
  }
  json offsets = json::array();
  int64_t total = 0;
  for (const engine::Broker::PartitionLag& l : view->lag) {
    offsets.push_back({{"topic", l.topic}, {"partition", l.partition}, {"committed_offset", l.committed},
                       {"high_watermark", l.end}, {"lag", l.lag}});
    total += l.lag;
  }
  out["members"] = members;
  out["offsets"] = offsets;
  out["total_lag"] = total;
  ReplyJson(res, 200, out);
}

}  // namespace

void AddAdminRoutes(Routes& routes, ApiContext& context) {
  routes.Add("GET", "/api/v1/topics", [&context](const httplib::Request&, httplib::Response& res) {
    ListTopics(context, res);
  });
  routes.Add("POST", "/api/v1/topics", [&context](const httplib::Request& req, httplib::Response& res) {
    CreateTopic(context, req, res);
  });
  routes.Add("GET", kTopicPath, [&context](const httplib::Request& req, httplib::Response& res) {
    std::optional<engine::Broker::TopicInfo> info = context.broker.FindTopic(req.matches[1]);
    if (!info) return ReplyError(res, 404, "unknown_topic", "no topic " + std::string(req.matches[1]));
    ReplyJson(res, 200, DescribeTopic(context, *info));
  });
  routes.Add("DELETE", kTopicPath, [&context](const httplib::Request& req, httplib::Response& res) {
    DeleteTopic(context, req.matches[1], res);
  });
  routes.Add("PATCH", std::string(kTopicPath) + "/config",
             [&context](const httplib::Request& req, httplib::Response& res) {
               AlterTopic(context, req.matches[1], req, res);
             });
  routes.Add("GET", "/api/v1/groups", [&context](const httplib::Request&, httplib::Response& res) {
    ListGroups(context, res);
  });
  routes.Add("GET", kGroupPath, [&context](const httplib::Request& req, httplib::Response& res) {
    DescribeGroup(context, req.matches[1], res);
  });
}

}  // namespace millstream::net::http
