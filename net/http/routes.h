// Routes: the table of endpoints, registered with cpp-httplib per method, that
// also answers every other method on a known path with 405 and an Allow header
// (cpp-httplib alone would answer 404, as if the path did not exist).
// Each route file registers its endpoints with one function below.
#pragma once

#include <httplib.h>

#include <map>
#include <set>
#include <string>

#include "net/http/api_context.h"

namespace millstream::net::http {

class Routes {
 public:
  explicit Routes(httplib::Server& server) : server_(server) {}
  // `pattern` is a cpp-httplib regex ("/api/v1/topics/([^/]+)").
  void Add(const std::string& method, const std::string& pattern, httplib::Server::Handler handler);
  // Registers the 405 answers; call once, after every Add.
  void RefuseOtherMethods();

 private:
  httplib::Server& server_;
  std::map<std::string, std::set<std::string>> methods_;  // pattern → methods served
};

// GET /metrics, /api/v1/health, /api/v1/ready, /api/v1/config.
void AddStatusRoutes(Routes& routes, ApiContext& context);
// /api/v1/topics... and /api/v1/groups...
void AddAdminRoutes(Routes& routes, ApiContext& context);
// POST /api/v1/topics/{topic}/records.
void AddWebhookRoutes(Routes& routes, ApiContext& context);
// /api/v1/checkpoints...
void AddCheckpointRoutes(Routes& routes, ApiContext& context);

}  // namespace millstream::net::http
