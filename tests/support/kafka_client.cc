#include "tests/support/kafka_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/endian.h"

namespace millstream::testing {

KafkaClient::~KafkaClient() { close(fd_); }

Result<std::unique_ptr<KafkaClient>> KafkaClient::Connect(const std::string& host_port) {
  size_t colon = host_port.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(host_port.substr(colon + 1))));
  inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &addr.sin_addr);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return StatusFromErrno(errno, "connect " + host_port);
  }
  return std::unique_ptr<KafkaClient>(new KafkaClient(fd));
}

Status KafkaClient::SendRaw(const std::vector<std::byte>& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return StatusFromErrno(errno, "send");
    sent += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<std::vector<std::byte>> KafkaClient::ReadFrame() {
  auto read_exact = [this](std::byte* out, size_t n) -> Status {
    size_t got = 0;
    while (got < n) {
      ssize_t r = recv(fd_, out + got, n - got, 0);
      if (r == 0) return NotFound("connection closed by the broker");
      if (r < 0) return StatusFromErrno(errno, "recv");
      got += static_cast<size_t>(r);
    }
    return Status::Ok();
  };
  std::byte size_bytes[4];
  RETURN_IF_ERROR(read_exact(size_bytes, 4));
  int32_t size = LoadBigEndian<int32_t>(size_bytes);
  if (size < 0 || size > (256 << 20)) return InvalidArgument("bad response size");
  std::vector<std::byte> frame(static_cast<size_t>(size));
  RETURN_IF_ERROR(read_exact(frame.data(), frame.size()));
  return frame;
}

bool KafkaClient::ClosedByPeer(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return false;
  char c;
  return recv(fd_, &c, 1, MSG_PEEK) == 0;
}

Result<net::kafka::ProduceResponse> ProduceBatch(KafkaClient& client, const std::string& topic,
                                                 const std::vector<std::byte>& batch) {
  net::kafka::ProduceRequest request;
  request.acks = -1;
  request.timeout_ms = 10000;
  request.topic_data.push_back({topic, {{PartitionId(0), net::kafka::BytesRef(batch)}}});
  return client.Call<net::kafka::ProduceApi>(7, request);
}

}  // namespace millstream::testing
