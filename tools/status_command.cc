// `millstream status`: the broker at a glance, from its HTTP admin API (Kafka
// cannot tell sizes on disk or lag in one call). Output (stdout, tab-separated):
//   broker<TAB>ready<TAB>SHARDS
//   topic<TAB>NAME<TAB>PARTITIONS<TAB>RECORDS<TAB>BYTES     (records: sum of high
//                                                           watermarks minus log starts)
//   group<TAB>ID<TAB>STATE<TAB>LAG
// Exit 0 when the broker is ready, 1 with "status: <reason>" on stderr otherwise.
#include <cctype>
#include <cstdio>

#include "tools/admin_client.h"
#include "tools/commands.h"

namespace millstream::tools {

namespace {

// A path segment as a URL carries it: everything but unreserved characters
// percent-encoded (group ids may hold any byte).
std::string Escape(const std::string& segment) {
  std::string out;
  for (unsigned char c : segment) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof(hex), "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

Status PrintStatus(AdminClient& admin) {
  ASSIGN_OR_RETURN(nlohmann::json ready, admin.Get("/api/v1/ready"));
  std::printf("broker\tready\t%d\n", ready.value("shards", 0));
  ASSIGN_OR_RETURN(nlohmann::json topics, admin.Get("/api/v1/topics"));
  for (const nlohmann::json& t : topics["topics"]) {
    std::string name = t["name"];
    Result<nlohmann::json> found = admin.Get("/api/v1/topics/" + Escape(name));
    if (found.status().code() == StatusCode::kNotFound) continue;  // deleted since the listing
    ASSIGN_OR_RETURN(nlohmann::json described, std::move(found));
    int64_t records = 0, bytes = 0;
    for (const nlohmann::json& p : described["partitions"]) {
      records += p["high_watermark"].get<int64_t>() - p["log_start_offset"].get<int64_t>();
      bytes += p["size_bytes"].get<int64_t>();
    }
    std::printf("topic\t%s\t%d\t%lld\t%lld\n", name.c_str(), described["partition_count"].get<int>(),
                static_cast<long long>(records), static_cast<long long>(bytes));
  }
  ASSIGN_OR_RETURN(nlohmann::json groups, admin.Get("/api/v1/groups"));
  for (const nlohmann::json& g : groups["groups"]) {
    std::string id = g["group_id"];
    Result<nlohmann::json> found = admin.Get("/api/v1/groups/" + Escape(id));
    if (found.status().code() == StatusCode::kNotFound) continue;  // deleted since the listing
    ASSIGN_OR_RETURN(nlohmann::json described, std::move(found));
    std::printf("group\t%s\t%s\t%lld\n", id.c_str(), described["state"].get<std::string>().c_str(),
                static_cast<long long>(described["total_lag"].get<int64_t>()));
  }
  return Status::Ok();
}

}  // namespace

CommandRunner RegisterStatus(CLI::App& app) {
  auto options = std::make_shared<AdminOptions>();
  CLI::App* cmd = app.add_subcommand("status", "The broker, its topics (records, bytes) and groups (lag), "
                                               "from the HTTP admin API");
  AddAdminOptions(*cmd, *options);
  return [options] {
    Result<std::unique_ptr<AdminClient>> admin = AdminClient::Connect(*options);
    Status status = admin.status();
    // nlohmann throws on an answer of an unexpected shape; nothing else here does.
    try {
      if (admin.ok()) status = PrintStatus(**admin);
    } catch (const nlohmann::json::exception& e) {
      status = InvalidArgument(std::string("unexpected answer from the admin API: ") + e.what());
    }
    if (!status.ok()) {
      std::fprintf(stderr, "status: %s\n", status.message().c_str());
      return 1;
    }
    return 0;
  };
}

}  // namespace millstream::tools
