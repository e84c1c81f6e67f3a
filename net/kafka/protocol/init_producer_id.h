// InitProducerId (key 22): hands an idempotent (or transactional) producer its
// producer id and epoch. Versions 0..4; v2+ is flexible, and librdkafka 2.0.2
// uses v2..4 when advertised. v3+ carries the current id and epoch so that a
// producer can bump its epoch after an error (KIP-360).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/schema.h"

namespace millstream::net::kafka {

struct InitProducerIdRequest {
  std::optional<std::string> transactional_id;  // null for an idempotent producer
  int32_t transaction_timeout_ms = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;

  template <typename V>
  void Fields(V& v) {
    v.NullableString("transactional_id", transactional_id);
    v.Int32("transaction_timeout_ms", transaction_timeout_ms);
    v.Int64("producer_id", producer_id, Since(3));
    v.Int16("producer_epoch", producer_epoch, Since(3));
  }
  bool operator==(const InitProducerIdRequest&) const = default;
};

struct InitProducerIdResponse {
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = 0;

  template <typename V>
  void Fields(V& v) {
    v.Int32("throttle_time_ms", throttle_time_ms);
    v.Int16("error_code", error_code);
    v.Int64("producer_id", producer_id);
    v.Int16("producer_epoch", producer_epoch);
  }
  bool operator==(const InitProducerIdResponse&) const = default;
};

struct InitProducerIdApi {
  static constexpr ApiKey kKey = ApiKey::kInitProducerId;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;
  static constexpr int16_t kFirstFlexible = 2;
  using Request = InitProducerIdRequest;
  using Response = InitProducerIdResponse;
};
static_assert(InitProducerIdApi::kFirstFlexible == FirstFlexibleVersion(InitProducerIdApi::kKey));

}  // namespace millstream::net::kafka
