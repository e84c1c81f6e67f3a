#include "net/server/kafka_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <thread>

#include "base/buffer_ring.h"
#include "base/check.h"
#include "base/clock.h"
#include "base/multishot_op.h"
#include "base/timed_wait.h"

namespace millstream::net {

namespace {

// The receive buffers of each shard (provided buffers, shared by its connections).
constexpr uint16_t kReceiveBufferGroup = 1;
constexpr uint16_t kReceiveBuffers = 256;
constexpr size_t kReceiveBufferBytes = 64 * 1024;

Result<int> Listen(const std::string& host, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return InvalidArgument("listen address " + host + " is not an IPv4 address");
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return StatusFromErrno(errno, "socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 1024) != 0) {
    Status s = StatusFromErrno(errno, "listen on " + host + ":" + std::to_string(port));
    close(fd);
    return s;
  }
  return fd;
}

int BoundPort(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

std::string PeerName(const sockaddr_in& addr) {
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &addr.sin_addr, text, sizeof(text));
  return std::string(text) + ":" + std::to_string(ntohs(addr.sin_port));
}

Task<void> RunConnection(std::shared_ptr<Connection> connection) {
  co_await connection->Run();
}

}  // namespace

Result<std::unique_ptr<KafkaServer>> KafkaServer::Start(engine::Broker& broker, ServerConfig config) {
  std::unique_ptr<KafkaServer> server(new KafkaServer(broker, std::move(config)));
  server->shards_.resize(broker.shard_count());
  size_t shards = broker.shard_count();
  for (ShardState& state : server->shards_) {
    state.request_budget = std::make_unique<engine::MemoryBudget>(server->config_.request_memory_budget / shards);
    state.fetch_budget = std::make_unique<engine::MemoryBudget>(server->config_.fetch_memory_budget / shards);
  }
  int port = server->config_.port;
  for (size_t i = 0; i < broker.shard_count(); ++i) {
    Result<int> fd = Listen(server->config_.host, port);
    if (!fd.ok()) {
      for (ShardState& s : server->shards_) {
        if (s.listen_fd >= 0) close(s.listen_fd);
      }
      return fd.status();
    }
    server->shards_[i].listen_fd = *fd;
    port = BoundPort(*fd);  // the others share the first one's (maybe ephemeral) port
  }
  server->port_ = port;
  if (server->config_.info.advertised_port == 0) server->config_.info.advertised_port = port;
  for (size_t i = 0; i < broker.shard_count(); ++i) {
    ++server->accept_loops_;
    KafkaServer* raw = server.get();
    engine::Shard& shard = broker.shard(i);
    shard.Post([raw, i, &shard] { shard.loop().Spawn(AcceptLoop(raw, i)); });
  }
  spdlog::info("Kafka listener on {}:{} ({} shards), advertised as {}:{}", server->config_.host, port,
               broker.shard_count(), server->config_.info.advertised_host,
               server->config_.info.advertised_port);
  return server;
}

KafkaServer::~KafkaServer() { Stop(); }

Task<void> KafkaServer::AcceptLoop(KafkaServer* server, size_t shard_index) {
  engine::Shard& shard = server->broker_.shard(shard_index);
  ShardState& state = server->shards_[shard_index];
  // Every connection of this shard receives into one ring of provided buffers.
  Result<std::unique_ptr<BufferRing>> created = BufferRing::Create(
      shard.loop(), kReceiveBufferGroup, kReceiveBuffers, kReceiveBufferBytes);
  if (!created.ok()) {
    spdlog::error("shard {} accepts no connections: {}", shard_index, created.status().ToString());
    --server->accept_loops_;
    co_return;
  }
  std::shared_ptr<BufferRing> buffers(std::move(*created));
  // One multishot accept serves every connection until an error or Stop().
  MultishotOp accept(shard.loop());
  int listen_fd = state.listen_fd;
  auto arm = [listen_fd](io_uring_sqe* sqe) {
    io_uring_prep_multishot_accept(sqe, listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  };
  while (true) {
    if (!accept.armed() && !accept.has_completion()) accept.Arm(arm);
    MultishotOp::Cqe c = co_await accept.Next();
    int32_t fd = c.result;
    if (fd < 0) {
      // EINVAL after Stop() shut the listener down; anything else (EMFILE, ENFILE:
      // out of descriptors) is logged and retried after a pause, not in a tight loop.
      if (server->stopped_ || fd == -EINVAL || fd == -EBADF) break;
      spdlog::error("accept failed: {}; retrying in 100 ms", std::strerror(-fd));
      if (accept.armed()) continue;  // the kernel goes on accepting
      TimedWaitList pause;
      co_await pause.WaitFor(shard.loop(), 100);
      continue;
    }
    if (server->stopped_) {
      // Accepted before the listener was shut down but seen after Stop() began:
      // a connection started now would never be told to stop reading.
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in peer{};
    socklen_t peer_len = sizeof(peer);
    getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len);
    uint32_t address = peer.sin_addr.s_addr;
    if (std::optional<std::string> refused = server->admission_.Admit(address)) {
      close(fd);
      ++state.metrics.connections_refused;
      // One line a second at most: a storm must not flood the log either.
      int64_t now = SystemClock::Instance().MonotonicNanos();
      if (now - state.last_refusal_log_ns >= 1'000'000'000) {
        state.last_refusal_log_ns = now;
        spdlog::warn("refused a connection from {}: {} ({} refused so far on shard {})", PeerName(peer), *refused,
                     state.metrics.connections_refused, shard_index);
      }
      continue;
    }
    // The count drops when the connection object goes, that is after its last
    // request finished and its last response was sent: Stop() waits for that.
    ++server->live_connections_;
    ++state.metrics.connections_accepted;
    std::atomic<int>* live = &server->live_connections_;
    ConnectionAdmission* admission = &server->admission_;
    std::shared_ptr<Connection> connection(
        new Connection(fd, PeerName(peer), server->broker_, shard, buffers, server->config_.info,
                       server->config_.limits, state.metrics, *state.request_budget, *state.fetch_budget,
                       server->quotas_),
        [live, admission, address](Connection* c) {
          delete c;
          admission->Release(address);
          --*live;
        });
    std::erase_if(state.connections, [](const std::weak_ptr<Connection>& c) { return c.expired(); });
    state.connections.push_back(connection);
    shard.loop().Spawn(RunConnection(std::move(connection)));
  }
  // The accept must end before `accept` goes; the listener is shut down by now
  // unless accepting failed for good, so make sure it is.
  shutdown(listen_fd, SHUT_RDWR);
  while (accept.armed() || accept.has_completion()) {
    MultishotOp::Cqe c = co_await accept.Next();
    if (c.result >= 0) close(c.result);
  }
  --server->accept_loops_;
}

void KafkaServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  // On each shard: no more accepts, no more reading; requests already read finish.
  std::vector<std::future<void>> done;
  for (size_t i = 0; i < shards_.size(); ++i) {
    auto promise = std::make_shared<std::promise<void>>();
    done.push_back(promise->get_future());
    ShardState* state = &shards_[i];
    bool posted = broker_.shard(i).Post([state, promise] {
      shutdown(state->listen_fd, SHUT_RDWR);
      for (auto& weak : state->connections) {
        if (auto c = weak.lock()) c->StopReading();
      }
      promise->set_value();
    });
    if (!posted) promise->set_value();
  }
  for (auto& f : done) f.get();
  // Connections end once their last response is sent.
  for (int waited = 0; (live_connections_ > 0 || accept_loops_ > 0) && waited < 3000; ++waited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Whatever is still open now is cut off, so that no receive stays armed in a
  // shard's ring (a shard stops only when its ring has nothing in flight).
  for (size_t i = 0; live_connections_ > 0 && i < shards_.size(); ++i) {
    ShardState* state = &shards_[i];
    broker_.shard(i).Post([state] {
      for (auto& weak : state->connections) {
        if (auto c = weak.lock()) c->Close("the broker is stopping");
      }
    });
  }
  for (int waited = 0; live_connections_ > 0 && waited < 500; ++waited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (ShardState& s : shards_) {
    if (s.listen_fd >= 0) close(s.listen_fd);
    s.listen_fd = -1;
  }
}

kafka::RequestMetrics KafkaServer::CollectMetrics(size_t shard_index) const {
  MS_CHECK(broker_.shard(shard_index).IsCurrent()) << "CollectMetrics runs on its shard";
  const ShardState& state = shards_[shard_index];
  kafka::RequestMetrics metrics = state.metrics;
  metrics.request_memory_bytes = state.request_budget->used();
  metrics.request_memory_peak_bytes = state.request_budget->peak();
  metrics.request_memory_budget_bytes = state.request_budget->budget();
  metrics.fetch_memory_bytes = state.fetch_budget->used();
  metrics.fetch_memory_budget_bytes = state.fetch_budget->budget();
  return metrics;
}

}  // namespace millstream::net
