#include "net/kafka/errors.h"

namespace millstream::net::kafka {

int16_t ErrorCodeFor(const Status& status, Operation operation) {
  switch (status.code()) {
    case StatusCode::kOk:
      return Code(ErrorCode::kNone);
    case StatusCode::kNotFound:
      return Code(ErrorCode::kUnknownTopicOrPartition);
    case StatusCode::kOutOfRange:
      return Code(ErrorCode::kOffsetOutOfRange);
    case StatusCode::kCorruption:
      if (operation == Operation::kGroup) return Code(ErrorCode::kCoordinatorNotAvailable);
      // A batch that fails validation on produce; stored data that does so on read.
      return Code(operation == Operation::kProduce ? ErrorCode::kCorruptMessage
                                                   : ErrorCode::kKafkaStorageError);
    case StatusCode::kInvalidArgument:
      if (operation == Operation::kCreateTopic) return Code(ErrorCode::kInvalidConfig);
      if (operation == Operation::kProduce) return Code(ErrorCode::kCorruptMessage);
      return Code(ErrorCode::kInvalidRequest);
    case StatusCode::kIoError:
    case StatusCode::kNoSpace:
      // Retriable for clients: they back off and try again (a commit that could
      // not be made durable is retried against the coordinator).
      if (operation == Operation::kGroup) return Code(ErrorCode::kCoordinatorNotAvailable);
      return Code(ErrorCode::kKafkaStorageError);
    case StatusCode::kBusy:
      if (operation == Operation::kCreateTopic) return Code(ErrorCode::kTopicAlreadyExists);
      // A topic still being created: clients retry their metadata request.
      if (operation == Operation::kMetadata) return Code(ErrorCode::kLeaderNotAvailable);
      return Code(ErrorCode::kRequestTimedOut);
    case StatusCode::kShuttingDown:
      // A group's client looks its coordinator up again and retries.
      if (operation == Operation::kGroup) return Code(ErrorCode::kNotCoordinator);
      // The client refreshes its metadata and retries elsewhere or later.
      return Code(ErrorCode::kNotLeaderOrFollower);
  }
  return Code(ErrorCode::kUnknownServerError);
}

int16_t ErrorCodeFor(engine::GroupError error) {
  using engine::GroupError;
  switch (error) {
    case GroupError::kNone: return Code(ErrorCode::kNone);
    case GroupError::kUnknownMemberId: return Code(ErrorCode::kUnknownMemberId);
    case GroupError::kIllegalGeneration: return Code(ErrorCode::kIllegalGeneration);
    case GroupError::kRebalanceInProgress: return Code(ErrorCode::kRebalanceInProgress);
    case GroupError::kInconsistentGroupProtocol: return Code(ErrorCode::kInconsistentGroupProtocol);
    case GroupError::kMemberIdRequired: return Code(ErrorCode::kMemberIdRequired);
    case GroupError::kFencedInstanceId: return Code(ErrorCode::kFencedInstanceId);
    case GroupError::kInvalidSessionTimeout: return Code(ErrorCode::kInvalidSessionTimeout);
    case GroupError::kNonEmptyGroup: return Code(ErrorCode::kNonEmptyGroup);
    case GroupError::kGroupIdNotFound: return Code(ErrorCode::kGroupIdNotFound);
    case GroupError::kNotCoordinator: return Code(ErrorCode::kNotCoordinator);
  }
  return Code(ErrorCode::kUnknownServerError);
}

std::string_view ErrorName(int16_t code) {
  switch (static_cast<ErrorCode>(code)) {
    case ErrorCode::kUnknownServerError: return "UNKNOWN_SERVER_ERROR";
    case ErrorCode::kNone: return "NONE";
    case ErrorCode::kOffsetOutOfRange: return "OFFSET_OUT_OF_RANGE";
    case ErrorCode::kCorruptMessage: return "CORRUPT_MESSAGE";
    case ErrorCode::kUnknownTopicOrPartition: return "UNKNOWN_TOPIC_OR_PARTITION";
    case ErrorCode::kLeaderNotAvailable: return "LEADER_NOT_AVAILABLE";
    case ErrorCode::kNotLeaderOrFollower: return "NOT_LEADER_OR_FOLLOWER";
    case ErrorCode::kRequestTimedOut: return "REQUEST_TIMED_OUT";
    case ErrorCode::kMessageTooLarge: return "MESSAGE_TOO_LARGE";
    case ErrorCode::kOffsetMetadataTooLarge: return "OFFSET_METADATA_TOO_LARGE";
    case ErrorCode::kCoordinatorNotAvailable: return "COORDINATOR_NOT_AVAILABLE";
    case ErrorCode::kNotCoordinator: return "NOT_COORDINATOR";
    case ErrorCode::kInvalidTopicException: return "INVALID_TOPIC_EXCEPTION";
    case ErrorCode::kInvalidRequiredAcks: return "INVALID_REQUIRED_ACKS";
    case ErrorCode::kIllegalGeneration: return "ILLEGAL_GENERATION";
    case ErrorCode::kInconsistentGroupProtocol: return "INCONSISTENT_GROUP_PROTOCOL";
    case ErrorCode::kInvalidGroupId: return "INVALID_GROUP_ID";
    case ErrorCode::kUnknownMemberId: return "UNKNOWN_MEMBER_ID";
    case ErrorCode::kInvalidSessionTimeout: return "INVALID_SESSION_TIMEOUT";
    case ErrorCode::kRebalanceInProgress: return "REBALANCE_IN_PROGRESS";
    case ErrorCode::kUnsupportedVersion: return "UNSUPPORTED_VERSION";
    case ErrorCode::kTopicAlreadyExists: return "TOPIC_ALREADY_EXISTS";
    case ErrorCode::kInvalidPartitions: return "INVALID_PARTITIONS";
    case ErrorCode::kInvalidReplicationFactor: return "INVALID_REPLICATION_FACTOR";
    case ErrorCode::kInvalidConfig: return "INVALID_CONFIG";
    case ErrorCode::kInvalidRequest: return "INVALID_REQUEST";
    case ErrorCode::kOutOfOrderSequenceNumber: return "OUT_OF_ORDER_SEQUENCE_NUMBER";
    case ErrorCode::kInvalidProducerEpoch: return "INVALID_PRODUCER_EPOCH";
    case ErrorCode::kInvalidTxnState: return "INVALID_TXN_STATE";
    case ErrorCode::kKafkaStorageError: return "KAFKA_STORAGE_ERROR";
    case ErrorCode::kNonEmptyGroup: return "NON_EMPTY_GROUP";
    case ErrorCode::kGroupIdNotFound: return "GROUP_ID_NOT_FOUND";
    case ErrorCode::kMemberIdRequired: return "MEMBER_ID_REQUIRED";
    case ErrorCode::kFencedInstanceId: return "FENCED_INSTANCE_ID";
  }
  return "UNKNOWN_CODE";
}

}  // namespace millstream::net::kafka
