// libFuzzer target: any bytes as a Kafka request frame. Decoding must never
// crash, read out of bounds, or throw; a frame that decodes must encode again.
// Built with clang only (tools/dev fuzz), run for a bounded time in CI.
#include <cstddef>
#include <cstdint>

#include "base/check.h"
#include "net/kafka/protocol/any_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  millstream::ConstBytes frame(reinterpret_cast<const std::byte*>(data), size);
  millstream::Status status = millstream::net::kafka::DecodeAnyRequest(frame);
  // Only the code matters: decoding fails with InvalidArgument, nothing else.
  MS_CHECK(status.ok() || status.code() == millstream::StatusCode::kInvalidArgument)
      << status.ToString();
  return 0;
}
