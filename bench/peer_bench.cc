// peer_bench: the `millstream bench produce` workload against the peers that
// docs/benchmarks.md compares Millstream with, so that all three are measured
// the same way in one run (bench/run_broker.sh starts the servers):
//   peer_bench redis --port P   XADD of one record per command to a Redis stream
//   peer_bench nats --port P    publish to a JetStream stream, one PubAck each
// Records are --record-bytes random bytes; each of --connections connections
// keeps up to --window requests in flight (pipelining, so a peer can batch its
// fsyncs as Millstream batches its group commits). Ack latency is measured from
// a record's due time (as in `millstream bench produce`) to its reply; the JSON
// result has the same fields as `millstream bench produce --json`.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "base/latency_histogram.h"
#include "base/status.h"
#include "bench/peer_wire.h"

namespace millstream::bench {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Options {
  std::string peer;  // redis | nats
  int port = 0;
  int record_bytes = 1024;
  double duration_s = 10;
  int64_t records = 0;
  double rate = 0;
  int connections = 4;
  int window = 1024;
  std::string stream = "bench";
  std::string json_path;
};

// One socket with its buffers and the due times of its requests in flight, in
// the order the peer answers them. Owns the descriptor.
struct Connection {
  int fd = -1;
  int index = 0;
  std::string out;
  size_t out_sent = 0;
  std::string in;
  std::deque<int64_t> due;

  explicit Connection(int fd_, int index_) : fd(fd_), index(index_) {}
  ~Connection() {
    if (fd >= 0) close(fd);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
};

Result<int> ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return IoError(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    close(fd);
    return IoError("connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(err));
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

Reply Parse(const Options& options, std::string_view in) {
  return options.peer == "redis" ? ParseRedisReply(in) : ParseNatsReply(in);
}

// Sends what `c.out` holds (blocking) and waits for one reply that is an ack or
// an error, answering PINGs on the way: for set-up commands.
Result<Reply::Kind> Exchange(const Options& options, Connection& c, std::string& text) {
  while (c.out_sent < c.out.size()) {
    ssize_t n = send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
    if (n <= 0) return IoError(std::string("send: ") + std::strerror(errno));
    c.out_sent += static_cast<size_t>(n);
  }
  c.out.clear();
  c.out_sent = 0;
  while (true) {
    Reply r = Parse(options, c.in);
    if (r.kind == Reply::Kind::kIncomplete) {
      char buf[65536];
      ssize_t n = recv(c.fd, buf, sizeof(buf), 0);
      if (n <= 0) return IoError("the peer closed the connection during set-up");
      c.in.append(buf, static_cast<size_t>(n));
      continue;
    }
    text = std::string(r.text);
    c.in.erase(0, r.consumed);
    if (r.kind == Reply::Kind::kOther && text == "PING") {
      c.out = "PONG\r\n";
      return Exchange(options, c, text);
    }
    if (r.kind == Reply::Kind::kOther && text != "PONG") continue;  // INFO, +OK
    return r.kind;
  }
}

Status SetUp(const Options& options, std::vector<std::unique_ptr<Connection>>& connections) {
  std::string text;
  for (auto& c : connections) {
    if (options.peer == "redis") continue;
    // NATS: hello, then a PING whose PONG proves the server took it; each
    // connection gets its own inbox for acks.
    AppendNatsConnect(c->out);
    c->out += "PING\r\n";
    ASSIGN_OR_RETURN(Reply::Kind kind, Exchange(options, *c, text));
    if (kind != Reply::Kind::kOther) return IoError("NATS refused CONNECT: " + text);
    c->out = "SUB _INBOX.bench." + std::to_string(c->index) + " " + std::to_string(c->index + 1) +
             "\r\n";
  }
  Connection& first = *connections[0];
  if (options.peer == "redis") {
    AppendRedisCommand(first.out, {"DEL", options.stream});
  } else {
    std::string config = R"({"name":")" + options.stream + R"(","subjects":[")" + options.stream +
                         R"("],"storage":"file","retention":"limits","discard":"old"})";
    AppendNatsPub(first.out, "$JS.API.STREAM.CREATE." + options.stream, "_INBOX.bench.0", config);
  }
  ASSIGN_OR_RETURN(Reply::Kind kind, Exchange(options, first, text));
  if (kind != Reply::Kind::kAck) return IoError("set-up failed: " + text);
  for (auto& c : connections) {
    int flags = 1;
    if (ioctl(c->fd, FIONBIO, &flags) != 0) return IoError(std::string("FIONBIO: ") + std::strerror(errno));
  }
  return Status::Ok();
}

struct Measurement {
  int64_t acked = 0;
  int64_t failed = 0;
  int64_t first_ns = 0;
  int64_t last_ns = 0;
  LatencyHistogram latency_ns;
  std::string first_error;
};

// Takes every complete reply off `c.in`.
void TakeReplies(const Options& options, Connection& c, Measurement& m) {
  size_t used = 0;
  while (true) {
    Reply r = Parse(options, std::string_view(c.in).substr(used));
    if (r.kind == Reply::Kind::kIncomplete) break;
    used += r.consumed;
    if (r.kind == Reply::Kind::kOther) {
      if (r.text == "PING") c.out += "PONG\r\n";
      continue;
    }
    int64_t now = NowNs();
    if (c.due.empty()) {
      if (m.failed++ == 0) m.first_error = "a reply nobody asked for: " + std::string(r.text);
      continue;
    }
    int64_t due = c.due.front();
    c.due.pop_front();
    if (r.kind == Reply::Kind::kError) {
      if (m.failed++ == 0) m.first_error = std::string(r.text);
      continue;
    }
    m.latency_ns.Record(static_cast<uint64_t>(std::max<int64_t>(now - due, 0)));
    ++m.acked;
    m.last_ns = now;
  }
  c.in.erase(0, used);
}

Status Run(const Options& options, Measurement& m) {
  std::vector<std::unique_ptr<Connection>> connections;
  for (int i = 0; i < options.connections; ++i) {
    ASSIGN_OR_RETURN(int fd, ConnectLoopback(options.port));
    connections.push_back(std::make_unique<Connection>(fd, i));
  }
  RETURN_IF_ERROR(SetUp(options, connections));
  std::string value(static_cast<size_t>(options.record_bytes), '\0');
  std::mt19937_64 rng(42);
  for (char& ch : value) ch = static_cast<char>(rng());

  m.first_ns = NowNs();
  int64_t end_ns = m.first_ns + static_cast<int64_t>(options.duration_s * 1e9);
  double interval_ns = options.rate > 0 ? 1e9 / options.rate : 0;
  int64_t sent = 0;
  int64_t last_progress = m.first_ns;
  std::vector<pollfd> fds(connections.size());
  while (true) {
    int64_t now = NowNs();
    bool sending_done = options.records > 0 ? sent >= options.records : now >= end_ns;
    bool ahead_of_schedule = false;
    for (auto& c : connections) {
      while (!sending_done && c->due.size() < static_cast<size_t>(options.window)) {
        int64_t due = interval_ns > 0 ? m.first_ns + static_cast<int64_t>(sent * interval_ns) : now;
        if (due > now) {
          ahead_of_schedule = true;
          break;
        }
        if (options.peer == "redis") {
          AppendRedisXadd(c->out, options.stream, value);
        } else {
          AppendNatsPub(c->out, options.stream, "_INBOX.bench." + std::to_string(c->index), value);
        }
        c->due.push_back(due);
        ++sent;
        sending_done = options.records > 0 ? sent >= options.records : now >= end_ns;
      }
    }
    bool in_flight = false;
    for (size_t i = 0; i < connections.size(); ++i) {
      Connection& c = *connections[i];
      in_flight |= !c.due.empty();
      fds[i] = {c.fd, static_cast<short>(POLLIN | (c.out_sent < c.out.size() ? POLLOUT : 0)), 0};
    }
    if (sending_done && !in_flight) break;
    if (now - last_progress > 30'000'000'000) return IoError("no reply for 30 s");
    if (poll(fds.data(), fds.size(), ahead_of_schedule ? 1 : 100) < 0 && errno != EINTR) {
      return IoError(std::string("poll: ") + std::strerror(errno));
    }
    for (size_t i = 0; i < connections.size(); ++i) {
      Connection& c = *connections[i];
      if (fds[i].revents & POLLOUT) {
        ssize_t n = send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN) return IoError(std::string("send: ") + std::strerror(errno));
        if (n > 0) c.out_sent += static_cast<size_t>(n);
        if (c.out_sent == c.out.size()) {
          c.out.clear();
          c.out_sent = 0;
        }
      }
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        char buf[1 << 16];
        ssize_t n = recv(c.fd, buf, sizeof(buf), 0);
        if (n == 0) return IoError("the peer closed the connection");
        if (n < 0 && errno != EAGAIN) return IoError(std::string("recv: ") + std::strerror(errno));
        if (n > 0) {
          c.in.append(buf, static_cast<size_t>(n));
          int64_t acked_before = m.acked + m.failed;
          TakeReplies(options, c, m);
          if (m.acked + m.failed > acked_before) last_progress = NowNs();
        }
      }
    }
  }
  if (m.failed > 0) {
    return IoError(std::to_string(m.failed) + " records failed; the first: " + m.first_error);
  }
  return Status::Ok();
}

double Ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

int Report(const Options& options, const Status& status, const Measurement& m) {
  double seconds = m.last_ns > m.first_ns ? (m.last_ns - m.first_ns) / 1e9 : 0;
  double rate = seconds > 0 ? m.acked / seconds : 0;
  double mb = seconds > 0 ? m.acked * static_cast<double>(options.record_bytes) / seconds / 1e6 : 0;
  std::fprintf(stderr,
               "peer_bench %s: %lld records in %.2f s: %.0f records/s, %.1f MB/s; ack latency "
               "p50 %.2f ms, p99 %.2f ms, p999 %.2f ms\n",
               options.peer.c_str(), static_cast<long long>(m.acked), seconds, rate, mb,
               Ms(m.latency_ns.Percentile(0.5)), Ms(m.latency_ns.Percentile(0.99)),
               Ms(m.latency_ns.Percentile(0.999)));
  if (!options.json_path.empty()) {
    nlohmann::ordered_json j = {
        {"verb", "produce"},
        {"peer", options.peer},
        {"records", m.acked},
        {"failed", m.failed},
        {"bytes", m.acked * options.record_bytes},
        {"seconds", seconds},
        {"records_per_s", rate},
        {"mb_per_s", mb},
        {"record_bytes", options.record_bytes},
        {"rate_target", options.rate},
        {"ack_latency_ms",
         {{"p50", Ms(m.latency_ns.Percentile(0.5))},
          {"p99", Ms(m.latency_ns.Percentile(0.99))},
          {"p999", Ms(m.latency_ns.Percentile(0.999))},
          {"max", Ms(m.latency_ns.max())}}}};
    std::string text = j.dump() + "\n";
    if (options.json_path == "-") {
      std::fwrite(text.data(), 1, text.size(), stdout);
    } else if (!(std::ofstream(options.json_path) << text)) {
      std::fprintf(stderr, "peer_bench: cannot write %s\n", options.json_path.c_str());
      return 1;
    }
  }
  if (status.ok()) return 0;
  std::fprintf(stderr, "peer_bench %s: %s\n", options.peer.c_str(), status.message().c_str());
  return 1;
}

}  // namespace
}  // namespace millstream::bench

int main(int argc, char** argv) {
  using millstream::bench::Options;
  Options options;
  CLI::App app("Produce load against Redis Streams or NATS JetStream on loopback", "peer_bench");
  app.add_option("PEER", options.peer, "redis or nats")->required()->check(CLI::IsMember({"redis", "nats"}));
  app.add_option("--port", options.port, "The peer's port on 127.0.0.1")->required()->check(CLI::Range(1, 65535));
  app.add_option("-s,--record-bytes", options.record_bytes, "Value size of each record")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 20));
  app.add_option("-d,--duration", options.duration_s, "Seconds to produce for")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("-n,--records", options.records, "Records to produce (instead of --duration)")
      ->check(CLI::Range(int64_t{1}, INT64_MAX));
  app.add_option("-r,--rate", options.rate, "Records per second (default: as fast as possible)")
      ->check(CLI::PositiveNumber);
  app.add_option("-c,--connections", options.connections, "Connections")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("-w,--window", options.window, "Requests in flight per connection")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--json", options.json_path, "Write the result as JSON to FILE ('-': stdout)");
  CLI11_PARSE(app, argc, argv);
  millstream::bench::Measurement m;
  millstream::Status status = millstream::bench::Run(options, m);
  return millstream::bench::Report(options, status, m);
}
