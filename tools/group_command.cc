// `millstream group list|describe|reset|delete`: consumer groups over the Kafka
// protocol (ListGroups, DescribeGroups, OffsetFetch, OffsetCommit, DeleteGroups,
// ListOffsets) through librdkafka's admin API. Output (stdout, tab-separated):
//   list      "GROUP<TAB>STATE<TAB>MEMBERS" per group, sorted
//   describe  "group<TAB>NAME<TAB>STATE<TAB>ASSIGNOR<TAB>MEMBERS", then
//             "member<TAB>MEMBER_ID<TAB>CLIENT_ID<TAB>HOST<TAB>TOPIC:P,P;..." per member,
//             then "offset<TAB>TOPIC<TAB>PARTITION<TAB>COMMITTED<TAB>END<TAB>LAG<TAB>MEMBER"
//             per partition that has a committed offset or an owner (COMMITTED and
//             LAG are "-" without a commit; MEMBER is "-" when nobody owns it)
//   reset     "offset<TAB>TOPIC<TAB>PARTITION<TAB>NEW_OFFSET" per partition moved;
//             --to-checkpoint NAME moves to a checkpoint's cut (read through the
//             HTTP admin API, --admin URL), or with --group-offsets to the group's
//             own committed offsets recorded in it
//   delete    "deleted group NAME"
// reset refuses a group that has members: their positions would overwrite it.
// Exit 0 on success, 1 with "group VERB: <reason>" on stderr otherwise.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "tools/admin_client.h"
#include "tools/commands.h"
#include "tools/kafka_admin.h"
#include "tools/kafka_client_config.h"

namespace millstream::tools {

namespace {

struct GroupOptions {
  ClientOptions client;
  std::string name;
  std::string to;                   // reset: earliest, latest, OFFSET or @TIMESTAMP_MS
  std::vector<std::string> topics;  // reset: the topics to move (default: those with commits)
  std::string checkpoint;           // reset --to-checkpoint
  bool group_offsets = false;       // ... to the group's offsets recorded in it, not the cut
  AdminOptions admin;
};

using TargetOffsets = std::map<std::pair<std::string, int32_t>, int64_t>;

// The offsets a checkpoint gives: its cut per partition, or (group_offsets) the
// group's committed offsets it recorded.
Result<TargetOffsets> CheckpointTargets(const GroupOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<AdminClient> admin, AdminClient::Connect(options.admin));
  ASSIGN_OR_RETURN(nlohmann::json c, admin->Get("/api/v1/checkpoints/" + options.checkpoint));
  TargetOffsets out;
  if (options.group_offsets) {
    for (const nlohmann::json& g : c["group_offsets"]) {
      if (g["group"].get<std::string>() == options.name) {
        out[{g["topic"].get<std::string>(), g["partition"].get<int32_t>()}] = g["offset"].get<int64_t>();
      }
    }
    if (out.empty()) {
      return InvalidArgument("checkpoint " + options.checkpoint + " recorded no offsets of group " + options.name);
    }
  } else {
    for (const nlohmann::json& p : c["partitions"]) {
      out[{p["topic"].get<std::string>(), p["partition"].get<int32_t>()}] = p["end_offset"].get<int64_t>();
    }
  }
  return out;
}

using TopicPartitionList = RdPtr<rd_kafka_topic_partition_list_t>;

struct MemberInfo {
  std::string id;
  std::string client_id;
  std::string host;
  std::vector<std::pair<std::string, int32_t>> partitions;
};

struct GroupInfo {
  std::string state;
  std::string assignor;
  std::vector<MemberInfo> members;
};

Status AdminError(const rd_kafka_error_t* error, std::string_view what) {
  if (error == nullptr) return Status::Ok();
  return KafkaStatus(rd_kafka_error_code(error), what, rd_kafka_error_string(error));
}

Result<std::vector<std::string>> ListGroupIds(rd_kafka_t* client, int timeout_ms) {
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_event_t> event,
                   AdminCall(client, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout_ms, "ListGroups",
                             [client](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
                               rd_kafka_ListConsumerGroups(client, o, q);
                             }));
  const rd_kafka_ListConsumerGroups_result_t* result = rd_kafka_event_ListConsumerGroups_result(event.get());
  if (result == nullptr) return IoError("ListGroups: unexpected answer");
  size_t error_count = 0;
  const rd_kafka_error_t** errors = rd_kafka_ListConsumerGroups_result_errors(result, &error_count);
  if (error_count > 0) return AdminError(errors[0], "ListGroups");
  size_t count = 0;
  const rd_kafka_ConsumerGroupListing_t** listed = rd_kafka_ListConsumerGroups_result_valid(result, &count);
  std::vector<std::string> ids;
  for (size_t i = 0; i < count; ++i) ids.emplace_back(rd_kafka_ConsumerGroupListing_group_id(listed[i]));
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<GroupInfo> DescribeGroup(rd_kafka_t* client, const std::string& name, int timeout_ms) {
  const char* names[] = {name.c_str()};
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_event_t> event,
                   AdminCall(client, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout_ms, name,
                             [client, &names](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
                               rd_kafka_DescribeConsumerGroups(client, names, 1, o, q);
                             }));
  const rd_kafka_DescribeConsumerGroups_result_t* result =
      rd_kafka_event_DescribeConsumerGroups_result(event.get());
  size_t count = 0;
  const rd_kafka_ConsumerGroupDescription_t** groups =
      result != nullptr ? rd_kafka_DescribeConsumerGroups_result_groups(result, &count) : nullptr;
  if (count != 1) return IoError(name + ": unexpected answer to DescribeGroups");
  const rd_kafka_ConsumerGroupDescription_t* g = groups[0];
  RETURN_IF_ERROR(AdminError(rd_kafka_ConsumerGroupDescription_error(g), name));
  GroupInfo info;
  info.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(g));
  const char* assignor = rd_kafka_ConsumerGroupDescription_partition_assignor(g);
  info.assignor = assignor != nullptr && *assignor != '\0' ? assignor : "-";
  for (size_t i = 0; i < rd_kafka_ConsumerGroupDescription_member_count(g); ++i) {
    const rd_kafka_MemberDescription_t* m = rd_kafka_ConsumerGroupDescription_member(g, i);
    MemberInfo member{rd_kafka_MemberDescription_consumer_id(m), rd_kafka_MemberDescription_client_id(m),
                      rd_kafka_MemberDescription_host(m), {}};
    const rd_kafka_topic_partition_list_t* assigned =
        rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(m));
    for (int p = 0; assigned != nullptr && p < assigned->cnt; ++p) {
      member.partitions.emplace_back(assigned->elems[p].topic, assigned->elems[p].partition);
    }
    info.members.push_back(std::move(member));
  }
  return info;
}

// The group's committed offsets: every partition it has one for.
Result<TopicPartitionList> CommittedOffsets(rd_kafka_t* client, const std::string& name, int timeout_ms) {
  RdPtr<rd_kafka_ListConsumerGroupOffsets_t> request(rd_kafka_ListConsumerGroupOffsets_new(name.c_str(), nullptr));
  rd_kafka_ListConsumerGroupOffsets_t* requests[] = {request.get()};
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_event_t> event,
                   AdminCall(client, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout_ms, name,
                             [client, &requests](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
                               rd_kafka_ListConsumerGroupOffsets(client, requests, 1, o, q);
                             }));
  const rd_kafka_ListConsumerGroupOffsets_result_t* result =
      rd_kafka_event_ListConsumerGroupOffsets_result(event.get());
  size_t count = 0;
  const rd_kafka_group_result_t** groups =
      result != nullptr ? rd_kafka_ListConsumerGroupOffsets_result_groups(result, &count) : nullptr;
  if (count != 1) return IoError(name + ": unexpected answer to OffsetFetch");
  RETURN_IF_ERROR(AdminError(rd_kafka_group_result_error(groups[0]), name));
  const rd_kafka_topic_partition_list_t* partitions = rd_kafka_group_result_partitions(groups[0]);
  return TopicPartitionList(partitions != nullptr ? rd_kafka_topic_partition_list_copy(partitions)
                                                  : rd_kafka_topic_partition_list_new(0));
}

Result<std::pair<int64_t, int64_t>> Watermarks(rd_kafka_t* client, const std::string& topic, int32_t partition,
                                               int timeout_ms) {
  int64_t low = 0;
  int64_t high = 0;
  rd_kafka_resp_err_t err =
      rd_kafka_query_watermark_offsets(client, topic.c_str(), partition, &low, &high, timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaStatus(err, "watermarks of " + topic + "[" + std::to_string(partition) + "]");
  }
  return std::make_pair(low, high);
}

Status ListAll(const GroupOptions& options) {
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_t> client, NewAdminClient(options.client));
  ASSIGN_OR_RETURN(std::vector<std::string> ids, ListGroupIds(client.get(), options.client.timeout_ms));
  for (const std::string& id : ids) {
    ASSIGN_OR_RETURN(GroupInfo info, DescribeGroup(client.get(), id, options.client.timeout_ms));
    std::printf("%s\t%s\t%zu\n", id.c_str(), info.state.c_str(), info.members.size());
  }
  return Status::Ok();
}

Status Describe(const GroupOptions& options) {
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_t> client, NewAdminClient(options.client));
  int timeout = options.client.timeout_ms;
  ASSIGN_OR_RETURN(GroupInfo info, DescribeGroup(client.get(), options.name, timeout));
  ASSIGN_OR_RETURN(TopicPartitionList committed, CommittedOffsets(client.get(), options.name, timeout));
  if (info.state == "Dead" && committed->cnt == 0) return NotFound("no group " + options.name);
  std::printf("group\t%s\t%s\t%s\t%zu\n", options.name.c_str(), info.state.c_str(), info.assignor.c_str(),
              info.members.size());
  // Each partition with a commit or an owner: its commit (or -1) and its owner.
  std::map<std::pair<std::string, int32_t>, std::pair<int64_t, std::string>> rows;
  for (int i = 0; i < committed->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = committed->elems[i];
    if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return KafkaStatus(tp.err, "committed offset of " + std::string(tp.topic) + "[" + std::to_string(tp.partition) + "]");
    }
    rows[{tp.topic, tp.partition}] = {tp.offset, "-"};
  }
  for (const MemberInfo& m : info.members) {
    std::string assigned;
    for (const auto& [topic, partition] : m.partitions) {
      auto [row, inserted] = rows.try_emplace({topic, partition}, -1, m.id);
      row->second.second = m.id;
      assigned += (assigned.empty() ? "" : ",") + topic + ":" + std::to_string(partition);
    }
    std::printf("member\t%s\t%s\t%s\t%s\n", m.id.c_str(), m.client_id.c_str(), m.host.c_str(),
                assigned.empty() ? "-" : assigned.c_str());
  }
  for (const auto& [tp, row] : rows) {
    // A partition whose topic is gone still shows its commit, with "-" for the end.
    Result<std::pair<int64_t, int64_t>> marks = Watermarks(client.get(), tp.first, tp.second, timeout);
    int64_t committed_offset = row.first;
    std::string shown = committed_offset >= 0 ? std::to_string(committed_offset) : "-";
    std::string end = marks.ok() ? std::to_string(marks->second) : "-";
    std::string lag = committed_offset >= 0 && marks.ok()
                          ? std::to_string(std::max<int64_t>(marks->second - committed_offset, 0))
                          : "-";
    std::printf("offset\t%s\t%d\t%s\t%s\t%s\t%s\n", tp.first.c_str(), tp.second, shown.c_str(), end.c_str(),
                lag.c_str(), row.second.c_str());
  }
  return Status::Ok();
}

Result<std::pair<char, int64_t>> ParseTarget(std::string_view text) {
  if (text == "earliest") return std::make_pair('e', int64_t{0});
  if (text == "latest") return std::make_pair('l', int64_t{0});
  char kind = 'o';
  if (!text.empty() && text.front() == '@') {
    kind = 't';
    text.remove_prefix(1);
  }
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return InvalidArgument("--to: expected earliest, latest, OFFSET or @TIMESTAMP_MS");
  }
  return std::make_pair(kind, value);
}

Status Reset(const GroupOptions& options) {
  std::pair<char, int64_t> target{'c', 0};  // 'c': from a checkpoint
  TargetOffsets from_checkpoint;
  if (options.checkpoint.empty()) {
    ASSIGN_OR_RETURN(target, ParseTarget(options.to));
  } else {
    ASSIGN_OR_RETURN(from_checkpoint, CheckpointTargets(options));
  }
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_t> client, NewAdminClient(options.client));
  int timeout = options.client.timeout_ms;
  ASSIGN_OR_RETURN(GroupInfo info, DescribeGroup(client.get(), options.name, timeout));
  if (!info.members.empty()) {
    return InvalidArgument("group " + options.name + " has " + std::to_string(info.members.size()) +
                           " active members (state " + info.state +
                           "); stop its consumers before resetting its offsets");
  }
  // The partitions to move: every partition of the named topics, or those with commits.
  TopicPartitionList moved(rd_kafka_topic_partition_list_new(0));
  if (options.group_offsets) {
    // The partitions the group had offsets for when the checkpoint was taken.
    for (const auto& [tp, offset] : from_checkpoint) {
      bool named = options.topics.empty() ||
                   std::find(options.topics.begin(), options.topics.end(), tp.first) != options.topics.end();
      if (named) rd_kafka_topic_partition_list_add(moved.get(), tp.first.c_str(), tp.second);
    }
  } else if (!options.topics.empty()) {
    for (const std::string& topic : options.topics) {
      ASSIGN_OR_RETURN(int32_t count, TopicPartitionCount(client.get(), topic, timeout));
      for (int32_t p = 0; p < count; ++p) rd_kafka_topic_partition_list_add(moved.get(), topic.c_str(), p);
    }
  } else {
    ASSIGN_OR_RETURN(TopicPartitionList committed, CommittedOffsets(client.get(), options.name, timeout));
    for (int i = 0; i < committed->cnt; ++i) {
      rd_kafka_topic_partition_list_add(moved.get(), committed->elems[i].topic, committed->elems[i].partition);
    }
  }
  if (moved->cnt == 0) {
    return InvalidArgument("group " + options.name + " has no committed offsets; name the topics with --topic");
  }
  if (target.first == 't') {
    for (int i = 0; i < moved->cnt; ++i) moved->elems[i].offset = target.second;
    rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(client.get(), moved.get(), timeout);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaStatus(err, "offsets for " + options.to);
    for (int i = 0; i < moved->cnt; ++i) {
      const rd_kafka_topic_partition_t& tp = moved->elems[i];
      if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return KafkaStatus(tp.err, "offset for " + options.to + " in " + tp.topic + "[" +
                                       std::to_string(tp.partition) + "]");
      }
    }
  }
  for (int i = 0; i < moved->cnt; ++i) {
    rd_kafka_topic_partition_t& tp = moved->elems[i];
    ASSIGN_OR_RETURN(auto marks, Watermarks(client.get(), tp.topic, tp.partition, timeout));
    switch (target.first) {
      case 'e': tp.offset = marks.first; break;
      case 'l': tp.offset = marks.second; break;
      case 'o':
        if (target.second < marks.first || target.second > marks.second) {
          return InvalidArgument("offset " + std::to_string(target.second) + " is outside " + tp.topic + "[" +
                                 std::to_string(tp.partition) + "] (" + std::to_string(marks.first) + ".." +
                                 std::to_string(marks.second) + ")");
        }
        tp.offset = target.second;
        break;
      case 'c': {
        auto it = from_checkpoint.find({tp.topic, tp.partition});
        if (it == from_checkpoint.end()) {
          return InvalidArgument("checkpoint " + options.checkpoint + " does not cover " + tp.topic + "[" +
                                 std::to_string(tp.partition) + "]");
        }
        if (it->second < marks.first) {
          return InvalidArgument(std::string(tp.topic) + "[" + std::to_string(tp.partition) + "]: offset " +
                                 std::to_string(it->second) + " of checkpoint " + options.checkpoint +
                                 " was deleted (the log starts at " + std::to_string(marks.first) + ")");
        }
        tp.offset = it->second;
        break;
      }
      default:  // 't': no record that late means the end
        if (tp.offset < 0) tp.offset = marks.second;
    }
  }
  RdPtr<rd_kafka_AlterConsumerGroupOffsets_t> request(
      rd_kafka_AlterConsumerGroupOffsets_new(options.name.c_str(), moved.get()));
  rd_kafka_AlterConsumerGroupOffsets_t* requests[] = {request.get()};
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_event_t> event,
                   AdminCall(client.get(), RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, timeout, options.name,
                             [&client, &requests](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
                               rd_kafka_AlterConsumerGroupOffsets(client.get(), requests, 1, o, q);
                             }));
  const rd_kafka_AlterConsumerGroupOffsets_result_t* result =
      rd_kafka_event_AlterConsumerGroupOffsets_result(event.get());
  size_t count = 0;
  const rd_kafka_group_result_t** groups =
      result != nullptr ? rd_kafka_AlterConsumerGroupOffsets_result_groups(result, &count) : nullptr;
  if (count != 1) return IoError(options.name + ": unexpected answer to OffsetCommit");
  RETURN_IF_ERROR(AdminError(rd_kafka_group_result_error(groups[0]), options.name));
  const rd_kafka_topic_partition_list_t* done = rd_kafka_group_result_partitions(groups[0]);
  for (int i = 0; done != nullptr && i < done->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = done->elems[i];
    if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return KafkaStatus(tp.err, std::string(tp.topic) + "[" + std::to_string(tp.partition) + "]");
    }
  }
  for (int i = 0; i < moved->cnt; ++i) {
    std::printf("offset\t%s\t%d\t%lld\n", moved->elems[i].topic, moved->elems[i].partition,
                static_cast<long long>(moved->elems[i].offset));
  }
  return Status::Ok();
}

Status Delete(const GroupOptions& options) {
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_t> client, NewAdminClient(options.client));
  RdPtr<rd_kafka_DeleteGroup_t> group(rd_kafka_DeleteGroup_new(options.name.c_str()));
  rd_kafka_DeleteGroup_t* groups[] = {group.get()};
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_event_t> event,
                   AdminCall(client.get(), RD_KAFKA_ADMIN_OP_DELETEGROUPS, options.client.timeout_ms,
                             options.name, [&client, &groups](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
                               rd_kafka_DeleteGroups(client.get(), groups, 1, o, q);
                             }));
  const rd_kafka_DeleteGroups_result_t* result = rd_kafka_event_DeleteGroups_result(event.get());
  size_t count = 0;
  const rd_kafka_group_result_t** results =
      result != nullptr ? rd_kafka_DeleteGroups_result_groups(result, &count) : nullptr;
  if (count != 1) return IoError(options.name + ": unexpected answer to DeleteGroups");
  RETURN_IF_ERROR(AdminError(rd_kafka_group_result_error(results[0]), options.name));
  std::printf("deleted group %s\n", options.name.c_str());
  return Status::Ok();
}

int Report(const char* verb, const Status& status) {
  if (status.ok()) return 0;
  std::fflush(stdout);
  std::fprintf(stderr, "group %s: %s\n", verb, status.message().c_str());
  return 1;
}

}  // namespace

CommandRunner RegisterGroup(CLI::App& app) {
  auto options = std::make_shared<GroupOptions>();
  CLI::App* group = app.add_subcommand("group", "List, describe, reset and delete consumer groups");
  group->require_subcommand(1);

  CLI::App* list = group->add_subcommand("list", "GROUP<TAB>STATE<TAB>MEMBERS per group");
  AddClientOptions(*list, options->client);

  CLI::App* describe =
      group->add_subcommand("describe", "Members, assignments, committed and end offsets, and lag");
  describe->add_option("NAME", options->name, "Group id")->required();
  AddClientOptions(*describe, options->client);

  CLI::App* reset = group->add_subcommand("reset", "Move the committed offsets of a group without members");
  reset->add_option("NAME", options->name, "Group id")->required();
  CLI::Option* to = reset->add_option("--to", options->to, "earliest, latest, OFFSET or @TIMESTAMP_MS");
  to->check(CLI::Validator(
          [](std::string& text) -> std::string {
            auto parsed = ParseTarget(text);
            return parsed.ok() ? std::string() : parsed.status().message();
          },
          "earliest|latest|OFFSET|@TIMESTAMP_MS"));
  reset->add_option("-t,--topic", options->topics,
                    "Topic to move, every partition (repeatable; default: the topics it has offsets for)")
      ->allow_extra_args(false);
  CLI::Option* checkpoint =
      reset->add_option("--to-checkpoint", options->checkpoint, "A checkpoint's cut (or, with --group-offsets, "
                                                                "the group's offsets recorded in it)")
          ->excludes(to);
  reset->add_flag("--group-offsets", options->group_offsets,
                  "With --to-checkpoint: the group's own committed offsets recorded in the checkpoint")
      ->needs(checkpoint);
  reset->add_option("--admin", options->admin.url, "The broker's HTTP admin API (for --to-checkpoint)")
      ->capture_default_str();
  AddClientOptions(*reset, options->client);

  CLI::App* remove = group->add_subcommand("delete", "Delete a group without members and its offsets");
  remove->add_option("NAME", options->name, "Group id")->required();
  AddClientOptions(*remove, options->client);

  return [=] {
    if (list->parsed()) return Report("list", ListAll(*options));
    if (describe->parsed()) return Report("describe", Describe(*options));
    if (reset->parsed()) {
      if (options->to.empty() && options->checkpoint.empty()) {
        std::fprintf(stderr, "group reset: give --to or --to-checkpoint\n");
        return 2;
      }
      // nlohmann throws on an admin answer of an unexpected shape.
      try {
        return Report("reset", Reset(*options));
      } catch (const nlohmann::json::exception& e) {
        return Report("reset", InvalidArgument(std::string("unexpected answer from the admin API: ") + e.what()));
      }
    }
    if (remove->parsed()) return Report("delete", Delete(*options));
    return 2;
  };
}

}  // namespace millstream::tools
