#include "net/server/connection.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/clock.h"
#include "base/endian.h"
#include "base/multishot_op.h"
#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/header.h"

namespace millstream::net {

namespace {

Task<int32_t> Send(EventLoop& loop, int fd, const std::byte* data, size_t size) {
  auto prep = [fd, data, size](io_uring_sqe* sqe) { io_uring_prep_send(sqe, fd, data, size, MSG_NOSIGNAL); };
  int32_t n = co_await UringOp<decltype(prep)>(loop, prep);
  co_return n;
}

}  // namespace

Connection::Connection(int fd, std::string peer, engine::Broker& broker, engine::Shard& shard,
                       std::shared_ptr<BufferRing> buffers, const kafka::ServerInfo& server,
                       const ConnectionLimits& limits, kafka::RequestMetrics& metrics,
                       engine::MemoryBudget& budget, engine::MemoryBudget& fetch_budget,
                       engine::Quotas& quotas)
    : fd_(fd),
      peer_(std::move(peer)),
      broker_(broker),
      shard_(shard),
      buffers_(std::move(buffers)),
      server_(server),
      limits_(limits),
      metrics_(metrics),
      peer_host_("/" + peer_.substr(0, peer_.rfind(':'))),
      budget_(budget),
      fetch_budget_(fetch_budget),
      quotas_(quotas) {}

Connection::~Connection() {
  GiveBackUnsentAnswers();
  close(fd_);
}

void Connection::GiveBackUnsentAnswers() {
  for (const std::shared_ptr<Slot>& slot : slots_) fetch_budget_.Give(std::exchange(slot->fetch_budgeted, 0));
}

void Connection::StopReading() {
  stop_reading_ = true;
  shutdown(fd_, SHUT_RD);
  WakeIfPaused();
}

void Connection::Close(const std::string& why) {
  if (closed_) return;
  closed_ = true;
  if (!why.empty()) spdlog::warn("closing connection from {}: {}", peer_, why);
  shutdown(fd_, SHUT_RDWR);
  WakeIfPaused();
  // Answers that will never be sent give their fetch bytes back now, not when the
  // last handler ended: handlers of this very connection may be waiting for them.
  GiveBackUnsentAnswers();
}

void Connection::WakeIfPaused() {
  mute_wait_.Notify();
  // Waking every waiter of the budget is harmless: each asks again.
  if (waiting_for_budget_) budget_.WakeWaiters();
}

bool Connection::ReadingPaused() const {
  return waiting_for_budget_ || SystemClock::Instance().MonotonicNanos() < muted_until_ns_;
}

Task<void> Connection::WaitWhilePaused() {
  if (waiting_for_budget_) {
    // Something given back between the refusal and now would wake nobody: wait
    // only if nothing was, and ask again after a second in any case.
    if (budget_.gives() == gives_seen_) co_await budget_.WaitForRoom(shard_.loop(), 1000);
    waiting_for_budget_ = false;  // TakeFrames asks again and may set it again
    co_return;
  }
  int64_t left_ns = muted_until_ns_ - SystemClock::Instance().MonotonicNanos();
  co_await mute_wait_.WaitFor(shard_.loop(), (left_ns + 999'999) / 1'000'000);
}

void Connection::CancelReceive() {
  if (recv_ == nullptr || !recv_->armed() || cancelling_) return;
  recv_->Cancel();
  cancelling_ = true;
}

void Connection::GiveBack(size_t bytes) {
  held_bytes_ -= bytes;
  budget_.Give(bytes);
}

Task<void> Connection::Run() {
  std::shared_ptr<Connection> self = shared_from_this();
  // One multishot receive serves every read until the peer closes, an error, or
  // -ENOBUFS (the shard's receive buffers were all taken: armed again below).
  MultishotOp recv(shard_.loop());
  int fd = fd_;
  uint16_t group = buffers_->group();
  auto arm = [fd, group](io_uring_sqe* sqe) {
    io_uring_prep_recv_multishot(sqe, fd, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = group;
  };
  recv_ = &recv;
  while (!closed_) {
    if (ReadingPaused()) {
      if (!pause_counted_) {
        pause_counted_ = true;
        ++(waiting_for_budget_ ? metrics_.reads_paused_for_memory : metrics_.reads_paused_for_quota);
      }
      // Received bytes still queued are taken below; then nothing more is read.
      CancelReceive();
      if (!recv.armed() && !recv.has_completion()) {
        if (stop_reading_) break;
        co_await WaitWhilePaused();
        if (closed_) break;
        TakeFrames(self);
        continue;
      }
    } else if (!recv.armed() && !recv.has_completion()) {
      recv.Arm(arm);
      cancelling_ = false;
      pause_counted_ = false;
    }
    MultishotOp::Cqe c = co_await recv.Next();
    if (c.result == -ECANCELED) continue;  // paused (above)
    if (c.result == -ENOBUFS) {
      co_await shard_.loop().Yield();  // other connections return their buffers meanwhile
      continue;
    }
    // A reset is a client going away without reading everything (a storm of them at
    // plant start-up must not flood the log); other errors are worth a line.
    if (c.result < 0 && c.result != -ECONNRESET && !closed_) {
      spdlog::warn("reading from {} failed: {}", peer_, std::strerror(-c.result));
    }
    if (c.result <= 0) {
      // The peer closed (or reset), unless Stop() shut the read side down to let
      // the requests already read finish: nobody will read an answer, so what
      // waits on this connection's behalf may give up.
      if (!stop_reading_) Close("");
      break;
    }
    uint16_t id = BufferRing::IdOf(c.flags);
    ConstBytes data = buffers_->Data(id, static_cast<size_t>(c.result));
    in_.insert(in_.end(), data.begin(), data.end());
    buffers_->Return(id);
    TakeFrames(self);
  }
  // The receive must end before `recv` goes: shutting the socket down ends it.
  recv_ = nullptr;
  shutdown(fd_, SHUT_RD);
  while (recv.armed() || recv.has_completion()) {
    MultishotOp::Cqe c = co_await recv.Next();
    if (c.result > 0) buffers_->Return(BufferRing::IdOf(c.flags));
  }
  // A frame whose body never came gives its share back; cut frames give theirs
  // when their handlers end.
  GiveBack(std::exchange(front_budgeted_, 0));
}

void Connection::TakeFrames(const std::shared_ptr<Connection>& self) {
  size_t used = 0;
  while (in_.size() - used >= 4) {
    int32_t size = LoadBigEndian<int32_t>(in_.data() + used);
    if (size < 0 || static_cast<size_t>(size) > limits_.max_frame_bytes) {
      Close("frame of " + std::to_string(size) + " bytes is over the limit of " +
            std::to_string(limits_.max_frame_bytes));
      return;
    }
    // The whole frame is taken from the budget as soon as its size is known, so
    // a frame is never left half-read for want of memory (which could leave every
    // connection waiting for memory that only unread frames would free).
    if (front_budgeted_ == 0) {
      size_t need = 4 + static_cast<size_t>(size);
      if (!budget_.TryTake(held_bytes_, need)) {
        waiting_for_budget_ = true;
        gives_seen_ = budget_.gives();
        break;
      }
      front_budgeted_ = need;
      held_bytes_ += need;
    }
    if (in_.size() - used < 4 + static_cast<size_t>(size)) break;
    std::vector<std::byte> frame(in_.begin() + used + 4, in_.begin() + used + 4 + size);
    used += 4 + static_cast<size_t>(size);
    auto slot = std::make_shared<Slot>();
    slots_.push_back(slot);
    shard_.loop().Spawn(Handle(self, std::move(frame), slot, turns_.Take(), std::exchange(front_budgeted_, 0)));
  }
  in_.erase(in_.begin(), in_.begin() + used);
}

Task<void> Connection::Handle(std::shared_ptr<Connection> self, std::vector<std::byte> frame,
                              std::shared_ptr<Slot> slot, uint64_t turn, size_t budgeted) {
  size_t answer_budgeted = 0;
  kafka::HandlerResult result = co_await self->Execute(frame, turn, answer_budgeted);
  if (self->closed_) {
    self->fetch_budget_.Give(answer_budgeted);  // never sent
  } else {
    slot->fetch_budgeted = answer_budgeted;
  }
  // Later requests may wait for this one's turn: it ends here whatever happened.
  self->turns_.Finish(turn, self->shard_.loop());
  std::vector<std::byte>().swap(frame);
  self->GiveBack(budgeted);
  if (!result.ok()) co_return;  // Run closed the connection
  slot->response = std::move(*result);
  slot->done = true;
  co_await self->Flush();
}

Task<kafka::HandlerResult> Connection::Execute(const std::vector<std::byte>& frame, uint64_t turn,
                                               size_t& answer_budgeted) {
  ConstBytes body;
  Result<kafka::RequestHeader> header = kafka::DecodeRequestHeader(frame, &body);
  if (!header.ok()) {
    Close("undecodable request header: " + header.status().message());
    co_return header.status();
  }
  const kafka::HandlerEntry* handler = kafka::FindHandler(header->api_key);
  if (handler == nullptr) {
    Close("unknown API key " + std::to_string(static_cast<int16_t>(header->api_key)));
    co_return InvalidArgument("unknown API key");
  }
  bool version_ok = header->api_version >= handler->min_version && header->api_version <= handler->max_version;
  if (!version_ok && header->api_key != kafka::ApiKey::kApiVersions) {
    Close(std::string(kafka::ApiKeyName(header->api_key)) + " v" +
          std::to_string(header->api_version) + " is not supported");
    co_return InvalidArgument("unsupported version");
  }
  // Only appends must follow the arrival order; other requests free their turn at
  // once, so a long-polling fetch does not hold up the produce requests behind it.
  if (header->api_key != kafka::ApiKey::kProduce) turns_.Finish(turn, shard_.loop());
  ++metrics_.requests[header->api_key];
  kafka::RequestContext context{broker_, shard_, server_, *header, turns_, turn, peer_host_, metrics_,
                                fetch_budget_, quotas_, closed_};
  kafka::HandlerResult result = co_await handler->handle(context, body);
  if (context.mute_ms > 0) {
    // KIP-219: the answer (carrying throttle_time_ms) goes out now, and nothing
    // more is read from this client until the throttle time passed.
    muted_until_ns_ = std::max(muted_until_ns_, SystemClock::Instance().MonotonicNanos() +
                                                    int64_t{context.mute_ms} * 1'000'000);
    // Now, before the answer is sent: the client's next request must not be read.
    CancelReceive();
  }
  answer_budgeted = context.answer_budgeted;
  if (!result.ok()) {
    Close(std::string(kafka::ApiKeyName(header->api_key)) + " request failed: " +
          result.status().ToString());
  }
  co_return result;
}

Task<void> Connection::Flush() {
  if (sending_) co_return;  // the task sending now also sends what became ready
  sending_ = true;
  while (!closed_ && !slots_.empty() && slots_.front()->done) {
    std::shared_ptr<Slot> slot = slots_.front();
    slots_.pop_front();
    if (slot->response) {
      bool sent = co_await SendAll(*slot->response);
      if (!sent) Close("");
    }
    fetch_budget_.Give(std::exchange(slot->fetch_budgeted, 0));
  }
  sending_ = false;
}

Task<bool> Connection::SendAll(const std::vector<std::byte>& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    int32_t n = co_await Send(shard_.loop(), fd_, bytes.data() + sent, bytes.size() - sent);
    if (n <= 0) co_return false;
    sent += static_cast<size_t>(n);
  }
  co_return true;
}

}  // namespace millstream::net
