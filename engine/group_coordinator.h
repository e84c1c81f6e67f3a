// GroupCoordinator: where the consumer groups live and how requests reach them.
// Group G belongs to offsets partition XXH3(G) mod kOffsetPartitions (fixed, so
// a group keeps its committed offsets when --shards changes); partition k lives
// on shard k mod N with its OffsetStore (DIR/groups/<k>/) and the ConsumerGroup
// of every group that hashes there. Every call hops to that shard (RunOnShard)
// and answers on the caller's shard, as produce does.
//
// A timer on each shard ticks its groups every 250 ms (session expiry, join phase
// deadlines) and, once a minute, forgets the offsets of groups that have been
// empty for offsets_retention_ms (Kafka's offsets.retention.minutes).
//
// Lifecycle: Open() after the shards started; Close() (stores snapshotted and
// closed, parked calls answered) before they stop. Thread-safe: calls come from
// any shard.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/timed_wait.h"
#include "engine/consumer_group.h"
#include "engine/offset_store.h"
#include "engine/shard.h"

namespace millstream::engine {

struct GroupConfig {
  GroupLimits limits;
  int64_t offsets_retention_ms = 7ll * 24 * 3600 * 1000;  // offsets.retention.minutes = 10080
  size_t max_metadata_bytes = 4096;                        // offset.metadata.max.bytes
  uint64_t snapshot_bytes = 16ull << 20;                    // offsets log between snapshots
  int64_t expiry_check_ms = 60000;                          // how often offset expiry runs
};

// One partition's commit outcome (OffsetCommit answers per partition).
enum class CommitOutcome { kCommitted, kMetadataTooLarge };

struct GroupListing {
  std::string group_id;
  std::string protocol_type;  // empty for a group that only has committed offsets
  GroupState state = GroupState::kEmpty;
};

class GroupCoordinator {
 public:
  static constexpr int kOffsetPartitions = 8;

  // `clock` (borrowed; it must outlive the coordinator) dates commits, sessions
  // and expiry; tests pass a ManualClock.
  static Result<std::unique_ptr<GroupCoordinator>> Open(std::vector<Shard*> shards,
                                                        std::string data_dir, GroupConfig config,
                                                        const Clock& clock = SystemClock::Instance());
  ~GroupCoordinator();
  GroupCoordinator(const GroupCoordinator&) = delete;
  GroupCoordinator& operator=(const GroupCoordinator&) = delete;

  Task<JoinResult> Join(Shard& current, std::string group, JoinRequest request);
  Task<SyncResult> Sync(Shard& current, std::string group, std::string member_id, int32_t generation,
                        std::optional<std::string> group_instance_id,
                        std::vector<std::pair<std::string, std::vector<std::byte>>> assignments);
  Task<GroupError> Heartbeat(Shard& current, std::string group, std::string member_id,
                             int32_t generation, std::optional<std::string> group_instance_id);
  Task<GroupError> Leave(Shard& current, std::string group, std::string member_id,
                         std::optional<std::string> group_instance_id);

  // OffsetCommit: a refusal for the whole request (GroupError), else one outcome
  // per entry, durable when kCommitted. A Status error is the offsets log's.
  struct CommitResult {
    GroupError error = GroupError::kNone;
    std::vector<CommitOutcome> outcomes;
  };
  Task<Result<CommitResult>> Commit(Shard& current, std::string group, std::string member_id,
                                    int32_t generation,
                                    std::vector<std::pair<TopicPartition, CommittedOffset>> offsets);
  // The group's committed offsets (empty when it has none).
  Task<GroupOffsets> FetchOffsets(Shard& current, std::string group);

  Task<std::vector<GroupListing>> List(Shard& current);
  // kGroupIdNotFound for a group the broker does not know (Kafka answers Dead).
  Task<Result<GroupDescription>> Describe(Shard& current, std::string group);
  // DeleteGroups: kNonEmptyGroup while it has members, kGroupIdNotFound when unknown.
  Task<Result<GroupError>> Delete(Shard& current, std::string group);

  // Answers every parked call (NOT_COORDINATOR, as every call from then on),
  // snapshots and closes every offsets log. Called from outside the shards:
  // by `serve` before the listener stops (so that no JoinGroup waiting for a
  // rebalance holds its connection open), and by Broker::Shutdown; the second
  // call does nothing.
  Status Close();

 private:
  struct Partition;  // one offsets partition: its store and groups, on one shard

  GroupCoordinator(std::vector<Shard*> shards, std::string data_dir, GroupConfig config, const Clock& clock);
  Partition& PartitionOf(const std::string& group);
  Shard& ShardOf(const Partition& partition);
  ConsumerGroup& GroupIn(Partition& partition, const std::string& group);
  static Task<void> TickLoop(GroupCoordinator* self, size_t shard_index);
  Task<void> ExpireOffsets(Partition& partition);
  static Task<Status> ClosePartition(Partition& partition);

  // The work of each call, run on the group's shard.
  static Task<SyncResult> ImmediateSync(GroupError error);
  static Task<JoinResult> ImmediateJoin(GroupError error);
  Task<GroupError> HeartbeatThere(Partition& partition, std::string group, std::string member_id,
                                  int32_t generation, std::optional<std::string> instance);
  Task<GroupError> LeaveThere(Partition& partition, std::string group, std::string member_id,
                              std::optional<std::string> instance);
  Task<Result<CommitResult>> CommitThere(Partition& partition, std::string group, std::string member_id,
                                         int32_t generation,
                                         std::vector<std::pair<TopicPartition, CommittedOffset>> offsets);
  Task<GroupOffsets> OffsetsThere(Partition& partition, std::string group);
  Task<std::vector<GroupListing>> ListThere(Partition& partition);
  Task<Result<GroupDescription>> DescribeThere(Partition& partition, std::string group);
  Task<Result<GroupError>> DeleteThere(Partition& partition, std::string group);

  std::vector<Shard*> shards_;
  const std::string data_dir_;
  const GroupConfig config_;
  const Clock& clock_;
  std::vector<std::unique_ptr<Partition>> partitions_;
  std::vector<std::unique_ptr<TimedWaitList>> tick_wakers_;  // one per shard
  std::atomic<bool> closing_{false};
  bool closed_ = false;
};

}  // namespace millstream::engine
