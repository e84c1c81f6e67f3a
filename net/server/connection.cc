#include "net/server/connection.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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
                       const ConnectionLimits& limits, kafka::RequestMetrics& metrics)
    : fd_(fd),
      peer_(std::move(peer)),
      broker_(broker),
      shard_(shard),
      buffers_(std::move(buffers)),
      server_(server),
      limits_(limits),
      metrics_(metrics),
      peer_host_("/" + peer_.substr(0, peer_.rfind(':'))) {}

Connection::~Connection() { close(fd_); }

void Connection::StopReading() { shutdown(fd_, SHUT_RD); }

void Connection::Close(const std::string& why) {
  if (closed_) return;
  closed_ = true;
  if (!why.empty()) spdlog::warn("closing connection from {}: {}", peer_, why);
  shutdown(fd_, SHUT_RDWR);
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
  while (!closed_) {
    if (!recv.armed() && !recv.has_completion()) recv.Arm(arm);
    MultishotOp::Cqe c = co_await recv.Next();
    if (c.result == -ENOBUFS) {
      co_await shard_.loop().Yield();  // other connections return their buffers meanwhile
      continue;
    }
    if (c.result < 0 && !closed_) spdlog::warn("reading from {} failed: {}", peer_, std::strerror(-c.result));
    if (c.result <= 0) break;  // the peer closed, or the socket was shut down
    uint16_t id = BufferRing::IdOf(c.flags);
    ConstBytes data = buffers_->Data(id, static_cast<size_t>(c.result));
    in_.insert(in_.end(), data.begin(), data.end());
    buffers_->Return(id);
    TakeFrames(self);
  }
  // The receive must end before `recv` goes: shutting the socket down ends it.
  shutdown(fd_, SHUT_RD);
  while (recv.armed() || recv.has_completion()) {
    MultishotOp::Cqe c = co_await recv.Next();
    if (c.result > 0) buffers_->Return(BufferRing::IdOf(c.flags));
  }
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
    if (in_.size() - used < 4 + static_cast<size_t>(size)) break;
    std::vector<std::byte> frame(in_.begin() + used + 4, in_.begin() + used + 4 + size);
    used += 4 + static_cast<size_t>(size);
    auto slot = std::make_shared<Slot>();
    slots_.push_back(slot);
    shard_.loop().Spawn(Handle(self, std::move(frame), slot, turns_.Take()));
  }
  in_.erase(in_.begin(), in_.begin() + used);
}

Task<void> Connection::Handle(std::shared_ptr<Connection> self, std::vector<std::byte> frame,
                              std::shared_ptr<Slot> slot, uint64_t turn) {
  kafka::HandlerResult result = co_await self->Execute(frame, turn);
  // Later requests may wait for this one's turn: it ends here whatever happened.
  self->turns_.Finish(turn, self->shard_.loop());
  if (!result.ok()) co_return;  // Run closed the connection
  slot->response = std::move(*result);
  slot->done = true;
  co_await self->Flush();
}

Task<kafka::HandlerResult> Connection::Execute(const std::vector<std::byte>& frame, uint64_t turn) {
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
  kafka::RequestContext context{broker_, shard_, server_, *header, turns_, turn, peer_host_, metrics_};
  kafka::HandlerResult result = co_await handler->handle(context, body);
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
