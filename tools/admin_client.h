// AdminClient: the verbs' side of the broker's HTTP admin API (docs/http-api.md),
// for what the Kafka protocol cannot tell or do (sizes on disk, lag in one call,
// checkpoints). Every verb that uses it takes `--admin URL` (default
// http://127.0.0.1:9644) and `--token` (or MILLSTREAM_HTTP_TOKEN) for calls that
// change something. Blocking, one request at a time.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "base/status.h"

namespace httplib {
class Client;
}

namespace millstream::tools {

struct AdminOptions {
  std::string url = "http://127.0.0.1:9644";
  std::string token;
  int timeout_ms = 30000;
};

// Adds --admin, --token and --timeout-ms to a verb.
void AddAdminOptions(CLI::App& cmd, AdminOptions& options);

class AdminClient {
 public:
  // InvalidArgument for a URL that is not http://HOST[:PORT].
  static Result<std::unique_ptr<AdminClient>> Connect(const AdminOptions& options);
  ~AdminClient();

  // The JSON answer of a 2xx response. Otherwise: NotFound for 404, InvalidArgument
  // for other 4xx, IoError for 5xx or no answer; the message is the API's
  // ("... : no topic orders (unknown_topic)").
  Result<nlohmann::json> Get(const std::string& path);
  Result<nlohmann::json> Send(const std::string& method, const std::string& path, const nlohmann::json& body);
  // The body of a 2xx answer that is not JSON (/metrics). IoError otherwise.
  Result<std::string> GetText(const std::string& path);

 private:
  AdminClient(std::unique_ptr<httplib::Client> client, AdminOptions options);
  std::unique_ptr<httplib::Client> client_;
  AdminOptions options_;
};

}  // namespace millstream::tools
