// `millstream checkpoint create|list|show|delete|release`: named checkpoints
// through the broker's HTTP admin API (docs/checkpoints.md). Output (stdout,
// tab-separated):
//   create    "created checkpoint NAME (N partitions)"
//   list      "NAME<TAB>CREATED_MS<TAB>pinned|unpinned<TAB>PARTITIONS<TAB>NOTE" per checkpoint
//   show      "checkpoint<TAB>NAME<TAB>CREATED_MS<TAB>pinned|unpinned<TAB>PINNED_BYTES<TAB>NOTE",
//             "cut<TAB>TOPIC<TAB>PARTITION<TAB>LOG_START<TAB>END<TAB>NEWEST_TS" per partition,
//             "group<TAB>GROUP<TAB>TOPIC<TAB>PARTITION<TAB>OFFSET" per committed offset
//   delete    "deleted checkpoint NAME";  release  "released checkpoint NAME"
// Exit 0 on success, 1 with "checkpoint VERB: <reason>" on stderr otherwise.
#include <cstdio>
#include <sstream>

#include "tools/admin_client.h"
#include "tools/commands.h"

namespace millstream::tools {

namespace {

struct CheckpointOptions {
  AdminOptions admin;
  std::string name;
  std::string topics;  // comma-separated
  bool pin = false;
  std::string note;
};

Status Create(AdminClient& admin, const CheckpointOptions& o) {
  nlohmann::json body = {{"name", o.name}, {"pin", o.pin}, {"note", o.note}};
  if (!o.topics.empty()) {
    body["topics"] = nlohmann::json::array();
    std::istringstream in(o.topics);
    for (std::string t; std::getline(in, t, ',');) {
      if (!t.empty()) body["topics"].push_back(t);
    }
  }
  ASSIGN_OR_RETURN(nlohmann::json c, admin.Send("POST", "/api/v1/checkpoints", body));
  std::printf("created checkpoint %s (%zu partitions)\n", o.name.c_str(), c["partitions"].size());
  return Status::Ok();
}

Status List(AdminClient& admin) {
  ASSIGN_OR_RETURN(nlohmann::json all, admin.Get("/api/v1/checkpoints"));
  for (const nlohmann::json& c : all["checkpoints"]) {
    std::printf("%s\t%lld\t%s\t%d\t%s\n", c["name"].get<std::string>().c_str(),
                static_cast<long long>(c["created_ms"].get<int64_t>()), c["pinned"].get<bool>() ? "pinned" : "unpinned",
                c["partition_count"].get<int>(), c["note"].get<std::string>().c_str());
  }
  return Status::Ok();
}

Status Show(AdminClient& admin, const std::string& name) {
  ASSIGN_OR_RETURN(nlohmann::json c, admin.Get("/api/v1/checkpoints/" + name));
  std::printf("checkpoint\t%s\t%lld\t%s\t%llu\t%s\n", name.c_str(),
              static_cast<long long>(c["created_ms"].get<int64_t>()), c["pinned"].get<bool>() ? "pinned" : "unpinned",
              static_cast<unsigned long long>(c["pinned_bytes"].get<uint64_t>()), c["note"].get<std::string>().c_str());
  for (const nlohmann::json& p : c["partitions"]) {
    std::printf("cut\t%s\t%d\t%lld\t%lld\t%lld\n", p["topic"].get<std::string>().c_str(), p["partition"].get<int>(),
                static_cast<long long>(p["log_start_offset"].get<int64_t>()),
                static_cast<long long>(p["end_offset"].get<int64_t>()),
                static_cast<long long>(p["newest_timestamp_ms"].get<int64_t>()));
  }
  for (const nlohmann::json& g : c["group_offsets"]) {
    std::printf("group\t%s\t%s\t%d\t%lld\n", g["group"].get<std::string>().c_str(),
                g["topic"].get<std::string>().c_str(), g["partition"].get<int>(),
                static_cast<long long>(g["offset"].get<int64_t>()));
  }
  return Status::Ok();
}

}  // namespace

CommandRunner RegisterCheckpoint(CLI::App& app) {
  auto o = std::make_shared<CheckpointOptions>();
  auto verb = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("checkpoint", "Named consistent cuts across partitions (HTTP admin API)");
  cmd->require_subcommand(1);
  CLI::App* create = cmd->add_subcommand("create", "Take a checkpoint now");
  create->add_option("NAME", o->name, "Checkpoint name ([a-zA-Z0-9._-])")->required();
  create->add_option("--topics", o->topics, "Comma-separated topics (default: all)");
  create->add_flag("--pin", o->pin, "Hold retention: keep every segment at or after the cut");
  create->add_option("--note", o->note, "Free text kept with the checkpoint");
  CLI::App* list = cmd->add_subcommand("list", "Every checkpoint");
  CLI::App* show = cmd->add_subcommand("show", "A checkpoint's cut and group offsets");
  show->add_option("NAME", o->name, "Checkpoint name")->required();
  CLI::App* remove = cmd->add_subcommand("delete", "Forget a checkpoint (and its pin)");
  remove->add_option("NAME", o->name, "Checkpoint name")->required();
  CLI::App* release = cmd->add_subcommand("release", "Lift a checkpoint's pin");
  release->add_option("NAME", o->name, "Checkpoint name")->required();
  for (CLI::App* sub : {create, list, show, remove, release}) {
    AddAdminOptions(*sub, o->admin);
    sub->callback([verb, sub] { *verb = sub->get_name(); });
  }
  return [o, verb] {
    Result<std::unique_ptr<AdminClient>> admin = AdminClient::Connect(o->admin);
    Status status = admin.status();
    // nlohmann throws on an answer of an unexpected shape; nothing else here does.
    try {
      if (admin.ok()) {
        AdminClient& a = **admin;
        if (*verb == "create") {
          status = Create(a, *o);
        } else if (*verb == "list") {
          status = List(a);
        } else if (*verb == "show") {
          status = Show(a, o->name);
        } else if (*verb == "delete") {
          status = a.Send("DELETE", "/api/v1/checkpoints/" + o->name, nlohmann::json::object()).status();
          if (status.ok()) std::printf("deleted checkpoint %s\n", o->name.c_str());
        } else {
          status = a.Send("POST", "/api/v1/checkpoints/" + o->name + "/release", nlohmann::json::object()).status();
          if (status.ok()) std::printf("released checkpoint %s\n", o->name.c_str());
        }
      }
    } catch (const nlohmann::json::exception& e) {
      status = InvalidArgument(std::string("unexpected answer from the admin API: ") + e.what());
    }
    if (!status.ok()) {
      std::fprintf(stderr, "checkpoint %s: %s\n", verb->c_str(), status.message().c_str());
      return 1;
    }
    return 0;
  };
}

}  // namespace millstream::tools
