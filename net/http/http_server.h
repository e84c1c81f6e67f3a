// HttpServer: the HTTP listener beside the Kafka one (DESIGN.md, "Interfaces"):
// Prometheus /metrics, the JSON admin API under /api/v1 and webhook produce.
// Built on cpp-httplib, whose own worker threads serve it: a slow scrape or a
// large webhook body never occupies a shard; only the engine work of a request
// runs on the shards (ApiContext::OnShard). docs/http-api.md documents every
// endpoint.
//
// Lifecycle: Start() (binds; opens the idempotency keys on shard 0) → Stop()
// (stops accepting, waits for the requests in progress, closes the keys). Stop
// before the broker shuts down: requests in progress wait on its shards. The
// broker and the Kafka server (optional) outlive it.
#pragma once

#include <memory>
#include <thread>

#include "net/http/api_context.h"

namespace httplib {
class Server;
}

namespace millstream::net::http {

class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> Start(engine::Broker& broker, KafkaServer* kafka,
                                                   HttpConfig config);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  void Stop();

 private:
  HttpServer(engine::Broker& broker, KafkaServer* kafka, HttpConfig config);
  void Route();

  HttpConfig config_;
  ApiContext context_;
  std::unique_ptr<engine::IdempotencyStore> keys_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  bool stopped_ = false;
};

}  // namespace millstream::net::http
