// Kafka error codes (wire values, MINIMUM.md section 8) and the one function that
// turns a Status into one (STYLE.md section 3), with its twin for the group
// state machine's refusals. Handlers never pick codes for
// Status values themselves; they only add the few codes that do not come from a
// Status (an unknown acks value, a batch over max.message.bytes).
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "engine/consumer_group.h"

namespace millstream::net::kafka {

enum class ErrorCode : int16_t {
  kUnknownServerError = -1,
  kNone = 0,
  kOffsetOutOfRange = 1,
  kCorruptMessage = 2,
  kUnknownTopicOrPartition = 3,
  kLeaderNotAvailable = 5,
  kNotLeaderOrFollower = 6,
  kRequestTimedOut = 7,
  kMessageTooLarge = 10,
  kOffsetMetadataTooLarge = 12,
  kCoordinatorNotAvailable = 15,
  kNotCoordinator = 16,
  kInvalidTopicException = 17,
  kInvalidRequiredAcks = 21,
  kIllegalGeneration = 22,
  kInconsistentGroupProtocol = 23,
  kInvalidGroupId = 24,
  kUnknownMemberId = 25,
  kInvalidSessionTimeout = 26,
  kRebalanceInProgress = 27,
  kUnsupportedVersion = 35,
  kTopicAlreadyExists = 36,
  kInvalidPartitions = 37,
  kInvalidReplicationFactor = 38,
  kInvalidConfig = 40,
  kInvalidRequest = 42,
  kOutOfOrderSequenceNumber = 45,
  kInvalidProducerEpoch = 47,
  kInvalidTxnState = 48,
  kKafkaStorageError = 56,
  kNonEmptyGroup = 68,
  kGroupIdNotFound = 69,
  kMemberIdRequired = 79,
  kFencedInstanceId = 82,
};

// What the failed Status came from: the same code means different things to
// different requests (Busy is "already exists" to CreateTopics).
enum class Operation {
  kProduce,
  kFetch,
  kListOffsets,
  kMetadata,
  kCreateTopic,
  kDeleteTopic,
  kGroup,  // a failure of the offsets log under a group request
};

int16_t ErrorCodeFor(const Status& status, Operation operation);

// The code of a consumer-group refusal (the group state machine's own errors).
int16_t ErrorCodeFor(engine::GroupError error);

// Kafka's name of a code ("UNKNOWN_TOPIC_OR_PARTITION"), for /metrics labels;
// "UNKNOWN_CODE" for one this broker never sends.
std::string_view ErrorName(int16_t code);

inline int16_t Code(ErrorCode code) { return static_cast<int16_t>(code); }

}  // namespace millstream::net::kafka
