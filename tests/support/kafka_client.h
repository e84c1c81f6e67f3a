// A minimal blocking Kafka client for protocol tests: one TCP connection to
// 127.0.0.1, requests encoded with our codec, responses read back in order. Also
// sends raw bytes, to test what the broker does with bad input.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/produce.h"

namespace millstream::testing {

class KafkaClient {
 public:
  ~KafkaClient();
  static Result<std::unique_ptr<KafkaClient>> Connect(const std::string& host_port);

  template <typename Api>
  Result<typename Api::Response> Call(int16_t version, const typename Api::Request& request) {
    net::kafka::RequestHeader header{Api::kKey, version, ++correlation_, std::string("millstream-test")};
    ASSIGN_OR_RETURN(std::vector<std::byte> frame, net::kafka::EncodeRequest<Api>(header, request));
    RETURN_IF_ERROR(SendRaw(frame));
    ASSIGN_OR_RETURN(std::vector<std::byte> reply, ReadFrame());
    ASSIGN_OR_RETURN(auto decoded, net::kafka::DecodeResponse<Api>(version, reply));
    if (decoded.correlation_id != correlation_) return InvalidArgument("correlation id mismatch");
    return std::move(decoded.body);
  }

  Status SendRaw(const std::vector<std::byte>& bytes);
  // The next response frame (without its size prefix); NotFound when the broker
  // closed the connection.
  Result<std::vector<std::byte>> ReadFrame();
  // True when the broker closed the connection (within `timeout_ms`).
  bool ClosedByPeer(int timeout_ms);

 private:
  explicit KafkaClient(int fd) : fd_(fd) {}
  int fd_;
  int32_t correlation_ = 0;
};

// Produces one record batch to partition 0 of `topic` with acks=all (Produce v7).
Result<net::kafka::ProduceResponse> ProduceBatch(KafkaClient& client, const std::string& topic,
                                                 const std::vector<std::byte>& batch);

}  // namespace millstream::testing
