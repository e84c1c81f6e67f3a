#include "net/kafka/protocol/any_request.h"

#include "net/kafka/protocol/alter_configs.h"
#include "net/kafka/protocol/api_versions.h"
#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/create_topics.h"
#include "net/kafka/protocol/delete_groups.h"
#include "net/kafka/protocol/delete_records.h"
#include "net/kafka/protocol/delete_topics.h"
#include "net/kafka/protocol/describe_configs.h"
#include "net/kafka/protocol/describe_groups.h"
#include "net/kafka/protocol/fetch.h"
#include "net/kafka/protocol/find_coordinator.h"
#include "net/kafka/protocol/heartbeat.h"
#include "net/kafka/protocol/init_producer_id.h"
#include "net/kafka/protocol/join_group.h"
#include "net/kafka/protocol/leave_group.h"
#include "net/kafka/protocol/list_groups.h"
#include "net/kafka/protocol/list_offsets.h"
#include "net/kafka/protocol/metadata.h"
#include "net/kafka/protocol/offset_commit.h"
#include "net/kafka/protocol/offset_fetch.h"
#include "net/kafka/protocol/produce.h"
#include "net/kafka/protocol/sync_group.h"

namespace millstream::net::kafka {

namespace {

template <typename Api>
Status DecodeAs(const RequestHeader& header, ConstBytes body) {
  ASSIGN_OR_RETURN(typename Api::Request request, DecodeRequestBody<Api>(header.api_version, body));
  // What decoded must encode again: the two halves of the codec agree.
  Result<std::vector<std::byte>> again = EncodeRequest<Api>(header, request);
  return again.status();
}

}  // namespace

Status DecodeAnyRequest(ConstBytes frame) {
  ConstBytes body;
  ASSIGN_OR_RETURN(RequestHeader header, DecodeRequestHeader(frame, &body));
  switch (header.api_key) {
    case ApiKey::kProduce: return DecodeAs<ProduceApi>(header, body);
    case ApiKey::kFetch: return DecodeAs<FetchApi>(header, body);
    case ApiKey::kListOffsets: return DecodeAs<ListOffsetsApi>(header, body);
    case ApiKey::kMetadata: return DecodeAs<MetadataApi>(header, body);
    case ApiKey::kApiVersions: return DecodeAs<ApiVersionsApi>(header, body);
    case ApiKey::kCreateTopics: return DecodeAs<CreateTopicsApi>(header, body);
    case ApiKey::kDeleteTopics: return DecodeAs<DeleteTopicsApi>(header, body);
    case ApiKey::kDeleteRecords: return DecodeAs<DeleteRecordsApi>(header, body);
    case ApiKey::kInitProducerId: return DecodeAs<InitProducerIdApi>(header, body);
    case ApiKey::kDescribeConfigs: return DecodeAs<DescribeConfigsApi>(header, body);
    case ApiKey::kAlterConfigs: return DecodeAs<AlterConfigsApi>(header, body);
    case ApiKey::kOffsetCommit: return DecodeAs<OffsetCommitApi>(header, body);
    case ApiKey::kOffsetFetch: return DecodeAs<OffsetFetchApi>(header, body);
    case ApiKey::kFindCoordinator: return DecodeAs<FindCoordinatorApi>(header, body);
    case ApiKey::kJoinGroup: return DecodeAs<JoinGroupApi>(header, body);
    case ApiKey::kHeartbeat: return DecodeAs<HeartbeatApi>(header, body);
    case ApiKey::kLeaveGroup: return DecodeAs<LeaveGroupApi>(header, body);
    case ApiKey::kSyncGroup: return DecodeAs<SyncGroupApi>(header, body);
    case ApiKey::kDescribeGroups: return DecodeAs<DescribeGroupsApi>(header, body);
    case ApiKey::kListGroups: return DecodeAs<ListGroupsApi>(header, body);
    case ApiKey::kDeleteGroups: return DecodeAs<DeleteGroupsApi>(header, body);
    default: return InvalidArgument("no description of API key " + std::to_string(static_cast<int16_t>(header.api_key)));
  }
}

}  // namespace millstream::net::kafka
