#include "net/http/http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <exception>

#include "net/http/json_reply.h"
#include "net/http/routes.h"
#include "storage/io/file_system.h"

namespace millstream::net::http {

namespace {

const char* const kAllMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};

bool ChangesSomething(const std::string& method) { return method != "GET" && method != "HEAD"; }

// Compares without an early exit, so that timing does not reveal how much of a
// guessed token was right.
bool SameSecret(const std::string& given, const std::string& expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < given.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ expected[i % expected.size()]);
  }
  return diff == 0;
}

// The answer to a status cpp-httplib produced itself (no route, a body over the
// limit, a malformed request), in the same JSON shape as every other error.
void DescribeStatus(const httplib::Request& req, httplib::Response& res) {
  if (!res.body.empty()) return;
  switch (res.status) {
    case 404:
      return ReplyError(res, 404, "not_found", "no endpoint " + req.method + " " + req.path);
    case 413:
      return ReplyError(res, 413, "body_too_large", "the request body is over the configured limit");
    case 400:
      return ReplyError(res, 400, "bad_request", "the HTTP request could not be parsed");
    default:
      if (res.status >= 400) {
        ReplyError(res, res.status, "http_error", "HTTP status " + std::to_string(res.status));
      }
  }
}

Task<Result<std::unique_ptr<engine::IdempotencyStore>>> OpenKeys(engine::Shard& shard, std::string dir,
                                                                int64_t window_ms) {
  co_return co_await engine::IdempotencyStore::Open(shard.fs(), shard.loop(), SystemClock::Instance(),
                                                    std::move(dir), window_ms);
}

Task<Status> CloseKeys(engine::IdempotencyStore* keys) { co_return co_await keys->Close(); }

}  // namespace

void Routes::Add(const std::string& method, const std::string& pattern, httplib::Server::Handler handler) {
  methods_[pattern].insert(method);
  if (method == "GET") server_.Get(pattern, std::move(handler));
  if (method == "POST") server_.Post(pattern, std::move(handler));
  if (method == "PUT") server_.Put(pattern, std::move(handler));
  if (method == "PATCH") server_.Patch(pattern, std::move(handler));
  if (method == "DELETE") server_.Delete(pattern, std::move(handler));
}

void Routes::RefuseOtherMethods() {
  for (const auto& [pattern, served] : methods_) {
    std::string allow;
    for (const std::string& m : served) allow += (allow.empty() ? "" : ", ") + m;
    auto refuse = [allow](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Allow", allow);
      ReplyError(res, 405, "method_not_allowed", req.method + " is not allowed here; allowed: " + allow);
    };
    for (const char* method : kAllMethods) {
      if (served.count(method) == 0) Add(method, pattern, refuse);
    }
  }
}

HttpServer::HttpServer(engine::Broker& broker, KafkaServer* kafka, HttpConfig config)
    : config_(std::move(config)), context_{broker, kafka, config_} {}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(engine::Broker& broker, KafkaServer* kafka,
                                                      HttpConfig config) {
  std::unique_ptr<HttpServer> server(new HttpServer(broker, kafka, std::move(config)));
  const HttpConfig& c = server->config_;
  std::string dir = storage::io::JoinPath(broker.config().data_dir, "webhooks/keys");
  std::function<Task<Result<std::unique_ptr<engine::IdempotencyStore>>>(engine::Shard&)> open =
      [dir, window = c.idempotency_window_ms](engine::Shard& shard) { return OpenKeys(shard, dir, window); };
  std::optional<Result<std::unique_ptr<engine::IdempotencyStore>>> keys =
      engine::CallOnShard(broker.shard(0), std::move(open));
  if (!keys) return ShuttingDown("the broker is stopping");
  if (!keys->ok()) return keys->status();
  server->keys_ = std::move(**keys);
  server->context_.keys = server->keys_.get();

  server->server_ = std::make_unique<httplib::Server>();
  httplib::Server& http = *server->server_;
  int threads = c.worker_threads;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  http.set_payload_max_length(c.max_body_bytes);
  // An idle keep-alive connection (Prometheus keeps its own) holds a worker until
  // this runs out, and Stop waits for the workers.
  http.set_keep_alive_timeout(2);
  // cpp-httplib closes a connection after 5 requests by default: a webhook
  // sender or a scraper would reconnect every 5 requests.
  http.set_keep_alive_max_count(1000);
  // cpp-httplib writes a response's headers and body apart: with Nagle's
  // algorithm the body would wait for the client's delayed ACK (40 ms).
  http.set_tcp_nodelay(true);
  http.set_pre_routing_handler([token = c.admin_token](const httplib::Request& req, httplib::Response& res) {
    // cpp-httplib 0.11 applies the body limit only to a Content-Length: a chunked
    // body would be read whole, however large. This runs before the body is read.
    if (req.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos) {
      ReplyError(res, 411, "length_required", "send the body with a Content-Length, not chunked");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (token.empty() || !ChangesSomething(req.method)) return httplib::Server::HandlerResponse::Unhandled;
    const std::string prefix = "Bearer ";
    std::string given = req.get_header_value("Authorization");
    if (given.rfind(prefix, 0) == 0 && SameSecret(given.substr(prefix.size()), token)) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    res.set_header("WWW-Authenticate", "Bearer realm=\"millstream\"");
    ReplyError(res, 401, "unauthorized",
               "this request changes the broker and needs 'Authorization: Bearer <token>'");
    return httplib::Server::HandlerResponse::Handled;
  });
  http.set_error_handler(DescribeStatus);
  http.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr e) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      what = ex.what();
    } catch (...) {
    }
    spdlog::error("HTTP {} {} failed: {}", req.method, req.path, what);
    ReplyError(res, 500, "internal_error", what);
  });
  server->Route();

  if (c.port == 0) {
    server->port_ = http.bind_to_any_port(c.host);
  } else if (http.bind_to_port(c.host, c.port)) {
    server->port_ = c.port;
  } else {
    server->port_ = -1;
  }
  if (server->port_ <= 0) {
    server->Stop();
    return IoError("cannot listen for HTTP on " + c.host + ":" + std::to_string(c.port));
  }
  auto ended = std::make_shared<std::atomic<bool>>(false);
  server->thread_ = std::thread([&http, ended] {
    http.listen_after_bind();
    *ended = true;
  });
  // stop() does nothing to a server whose loop has not started yet, and the loop
  // would then run for ever: wait until it runs (cpp-httplib 0.11 has no
  // wait_until_ready).
  while (!http.is_running() && !*ended) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  spdlog::info("HTTP listener on {}:{} (metrics, admin API, webhooks)", c.host, server->port_);
  return server;
}

void HttpServer::Route() {
  Routes routes(*server_);
  AddStatusRoutes(routes, context_);
  AddAdminRoutes(routes, context_);
  AddWebhookRoutes(routes, context_);
  AddCheckpointRoutes(routes, context_);
  routes.RefuseOtherMethods();
}

void HttpServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  // stop() ends listen_after_bind once the workers finished their requests.
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
  if (keys_) {
    engine::IdempotencyStore* keys = keys_.get();
    std::function<Task<Status>(engine::Shard&)> close = [keys](engine::Shard&) { return CloseKeys(keys); };
    std::optional<Status> closed = engine::CallOnShard(context_.broker.shard(0), std::move(close));
    if (closed && !closed->ok()) spdlog::error("closing idempotency keys: {}", closed->ToString());
  }
}

HttpServer::~HttpServer() {
  Stop();
  // The keys belong to shard 0's thread; by now they are closed and nothing runs on them.
}

}  // namespace millstream::net::http
