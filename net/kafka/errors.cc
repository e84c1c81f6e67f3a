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

}  // namespace millstream::net::kafka
