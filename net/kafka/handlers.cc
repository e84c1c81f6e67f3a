#include <algorithm>

#include "net/kafka/handler.h"
#include "net/kafka/protocol/alter_configs.h"
#include "net/kafka/protocol/api_versions.h"
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
constexpr HandlerEntry Entry(HandlerFn fn) {
  return {Api::kKey, Api::kMinVersion, Api::kMaxVersion, fn};
}

// The one list: adding an API means adding it here (and its handler file).
constexpr HandlerEntry kHandlers[] = {
    Entry<ProduceApi>(&HandleProduce),
    Entry<FetchApi>(&HandleFetch),
    Entry<ListOffsetsApi>(&HandleListOffsets),
    Entry<MetadataApi>(&HandleMetadata),
    Entry<OffsetCommitApi>(&HandleOffsetCommit),
    Entry<OffsetFetchApi>(&HandleOffsetFetch),
    Entry<FindCoordinatorApi>(&HandleFindCoordinator),
    Entry<JoinGroupApi>(&HandleJoinGroup),
    Entry<HeartbeatApi>(&HandleHeartbeat),
    Entry<LeaveGroupApi>(&HandleLeaveGroup),
    Entry<SyncGroupApi>(&HandleSyncGroup),
    Entry<DescribeGroupsApi>(&HandleDescribeGroups),
    Entry<ListGroupsApi>(&HandleListGroups),
    Entry<ApiVersionsApi>(&HandleApiVersions),
    Entry<CreateTopicsApi>(&HandleCreateTopics),
    Entry<DeleteTopicsApi>(&HandleDeleteTopics),
    Entry<DeleteRecordsApi>(&HandleDeleteRecords),
    Entry<InitProducerIdApi>(&HandleInitProducerId),
    Entry<DescribeConfigsApi>(&HandleDescribeConfigs),
    Entry<AlterConfigsApi>(&HandleAlterConfigs),
    Entry<DeleteGroupsApi>(&HandleDeleteGroups),
};

}  // namespace

std::span<const HandlerEntry> Handlers() { return kHandlers; }

const HandlerEntry* FindHandler(ApiKey key) {
  for (const HandlerEntry& entry : kHandlers) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

}  // namespace millstream::net::kafka
