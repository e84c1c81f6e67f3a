// Connection: one client's TCP connection on one shard. It reads Kafka frames
// (int32 size + request), runs each request's handler as its own task, and sends
// the responses back strictly in request order, however the handlers finish.
// A frame over the size limit, a request that cannot be decoded, an unknown API
// or an unsupported version (other than ApiVersions) closes the connection with a
// log line, as the Java broker does.
//
// Reading is one multishot receive into the shard's provided buffers (BufferRing):
// the bytes are copied out and the buffer handed back at once.
//
// Back-pressure: every request's bytes are taken from the shard's MemoryBudget
// when its size field is read (before its body arrives) and given back when its
// handler finished (for produce with acks=all: when its records are durable).
// When the budget refuses, or while a quota mutes the connection (a handler set
// RequestContext::mute_ms, Kafka's KIP-219), the receive is cancelled, so the
// kernel stops taking this client's bytes and TCP flow control slows it; reading
// resumes when the budget has room again or the mute ended.
//
// Lifecycle: created by the server after accept; Run() until the peer closes or
// Close(); kept alive by its own tasks (shared_ptr) until the last one finished;
// the socket is closed on destruction. One shard thread.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/buffer_ring.h"
#include "base/multishot_op.h"
#include "base/turns.h"
#include "base/timed_wait.h"
#include "engine/broker.h"
#include "engine/memory_budget.h"
#include "engine/quotas.h"
#include "engine/shard.h"
#include "net/kafka/handler.h"

namespace millstream::net {

struct ConnectionLimits {
  size_t max_frame_bytes = 100u << 20;  // socket.request.max.bytes
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `buffers` is the shard's receive buffer ring, shared by its connections;
  // `budget` the shard's request memory budget, `fetch_budget` its bound on
  // fetched bytes, `quotas` the broker-wide byte-rate quotas: all owned by the
  // server and outliving the connection.
  Connection(int fd, std::string peer, engine::Broker& broker, engine::Shard& shard,
             std::shared_ptr<BufferRing> buffers, const kafka::ServerInfo& server,
             const ConnectionLimits& limits, kafka::RequestMetrics& metrics,
             engine::MemoryBudget& budget, engine::MemoryBudget& fetch_budget,
             engine::Quotas& quotas);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Task<void> Run();
  // Stops reading: requests already read are answered, then the connection ends.
  void StopReading();
  // Ends the connection now: nothing more is read or sent.
  void Close(const std::string& why);

 private:
  struct Slot {
    bool done = false;
    std::optional<std::vector<std::byte>> response;
    size_t fetch_budgeted = 0;  // of fetch_budget_, given back once sent
  };
  // Starts a task for every complete frame at the front of in_ and drops their
  // bytes; closes the connection at a frame over the size limit; stops at a frame
  // the memory budget has no room for (waiting_for_budget_).
  void TakeFrames(const std::shared_ptr<Connection>& self);
  static Task<void> Handle(std::shared_ptr<Connection> self, std::vector<std::byte> frame,
                           std::shared_ptr<Slot> slot, uint64_t turn, size_t budgeted);
  // Decodes and runs one request; an error closed the connection.
  // `answer_budgeted`: what the answer holds of fetch_budget_.
  Task<kafka::HandlerResult> Execute(const std::vector<std::byte>& frame, uint64_t turn,
                                     size_t& answer_budgeted);
  bool ReadingPaused() const;
  // Waits until the reason reading is paused may have gone (room in the budget,
  // the end of a mute, or Close/StopReading).
  Task<void> WaitWhilePaused();
  void GiveBack(size_t bytes);
  // The fetch bytes held by answers still queued (Close, destruction).
  void GiveBackUnsentAnswers();
  void WakeIfPaused();
  // Ends the armed receive (reading is paused); bytes already received are kept.
  void CancelReceive();
  Task<void> Flush();
  Task<bool> SendAll(const std::vector<std::byte>& bytes);

  int fd_;
  std::string peer_;
  engine::Broker& broker_;
  engine::Shard& shard_;
  std::shared_ptr<BufferRing> buffers_;  // destroyed with the last connection of the shard
  const kafka::ServerInfo& server_;
  ConnectionLimits limits_;
  kafka::RequestMetrics& metrics_;  // the shard's, owned by the server
  std::string peer_host_;  // "/127.0.0.1", as Kafka shows a client's host
  std::vector<std::byte> in_;                 // received bytes not yet cut into frames
  std::deque<std::shared_ptr<Slot>> slots_;  // in request order
  Turns turns_;                               // one turn per request, in arrival order
  bool sending_ = false;
  bool closed_ = false;
  bool stop_reading_ = false;
  engine::MemoryBudget& budget_;
  engine::MemoryBudget& fetch_budget_;
  engine::Quotas& quotas_;
  size_t held_bytes_ = 0;      // taken from budget_ for this connection's requests
  size_t front_budgeted_ = 0;  // of which for the frame at the front of in_, not yet cut
  bool waiting_for_budget_ = false;
  uint64_t gives_seen_ = 0;     // budget_.gives() when it last refused
  bool pause_counted_ = false;  // this pause is in the metrics already
  int64_t muted_until_ns_ = 0;  // a quota's mute (monotonic clock)
  TimedWaitList mute_wait_;
  MultishotOp* recv_ = nullptr;  // Run's receive, while Run reads
  bool cancelling_ = false;      // a cancel of recv_ is on its way
};

}  // namespace millstream::net
