#include "engine/group_coordinator.h"

#include <spdlog/spdlog.h>
#include <xxhash.h>

#include <future>

#include "storage/io/file_system.h"

namespace millstream::engine {

namespace {

constexpr int64_t kTickMs = 250;

// Runs `work` on `shard` from a thread that is not a shard, and waits for it.
template <typename T>
T RunBlocking(Shard& shard, std::function<Task<T>()> work) {
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> done = promise->get_future();
  bool posted = shard.Post([&shard, work = std::move(work), promise] {
    shard.loop().Spawn([](std::function<Task<T>()> w, std::shared_ptr<std::promise<T>> p) -> Task<void> {
      p->set_value(co_await w());
    }(work, promise));
  });
  if (!posted) return T(ShuttingDown("shard " + std::to_string(shard.id()) + " stopped"));
  return done.get();
}

}  // namespace

struct GroupCoordinator::Partition {
  int index = 0;
  size_t shard = 0;
  std::unique_ptr<OffsetStore> store;  // closed by Close(), destroyed with the coordinator
  std::map<std::string, std::unique_ptr<ConsumerGroup>> groups;
  int64_t opened_at_ms = 0;
};

GroupCoordinator::GroupCoordinator(std::vector<Shard*> shards, std::string data_dir, GroupConfig config,
                                   const Clock& clock)
    : shards_(std::move(shards)), data_dir_(std::move(data_dir)), config_(config), clock_(clock) {}

GroupCoordinator::~GroupCoordinator() { Close().IgnoreError(); }

Result<std::unique_ptr<GroupCoordinator>> GroupCoordinator::Open(std::vector<Shard*> shards,
                                                                 std::string data_dir, GroupConfig config,
                                                                 const Clock& clock) {
  std::unique_ptr<GroupCoordinator> coordinator(
      new GroupCoordinator(std::move(shards), data_dir, config, clock));
  for (int k = 0; k < kOffsetPartitions; ++k) {
    auto partition = std::make_unique<Partition>();
    partition->index = k;
    partition->shard = static_cast<size_t>(k) % coordinator->shards_.size();
    Shard& shard = *coordinator->shards_[partition->shard];
    std::string dir = storage::io::JoinPath(storage::io::JoinPath(data_dir, "groups"), std::to_string(k));
    uint64_t snapshot_bytes = config.snapshot_bytes;
    Result<std::unique_ptr<OffsetStore>> store = RunBlocking<Result<std::unique_ptr<OffsetStore>>>(
        shard, [&shard, &clock, dir, snapshot_bytes]() {
          return OffsetStore::Open(shard.fs(), shard.loop(), clock, dir,
                                   {.segment_bytes = 64ull << 20, .write_buffer_bytes = 1 << 20}, snapshot_bytes);
        });
    if (!store.ok()) {
      coordinator->Close().IgnoreError();
      return store.status();
    }
    partition->store = std::move(*store);
    partition->opened_at_ms = clock.Now().value();
    coordinator->partitions_.push_back(std::move(partition));
  }
  for (size_t i = 0; i < coordinator->shards_.size(); ++i) {
    coordinator->tick_wakers_.push_back(std::make_unique<TimedWaitList>());
  }
  for (size_t i = 0; i < coordinator->shards_.size(); ++i) {
    GroupCoordinator* raw = coordinator.get();
    Shard& shard = *coordinator->shards_[i];
    shard.Post([raw, i, &shard] { shard.loop().Spawn(TickLoop(raw, i)); });
  }
  return coordinator;
}

Shard& GroupCoordinator::ShardOf(const Partition& partition) { return *shards_[partition.shard]; }

GroupCoordinator::Partition& GroupCoordinator::PartitionOf(const std::string& group) {
  // A stable hash: the partition holds the group's offsets across restarts.
  uint64_t h = XXH3_64bits(group.data(), group.size());
  return *partitions_[h % partitions_.size()];
}

ConsumerGroup& GroupCoordinator::GroupIn(Partition& partition, const std::string& group) {
  auto& slot = partition.groups[group];
  if (!slot) {
    Shard& shard = ShardOf(partition);
    slot = std::make_unique<ConsumerGroup>(group, shard.loop(), clock_, config_.limits);
  }
  return *slot;
}

namespace {

// The calls below run on the group's shard; each is a plain coroutine taking
// its arguments by value (GCC 12 miscompiles capturing coroutine lambdas).
Task<JoinResult> JoinThere(ConsumerGroup& group, JoinRequest request) {
  co_return co_await group.Join(std::move(request));
}

Task<SyncResult> SyncThere(ConsumerGroup& group, std::string member_id, int32_t generation,
                           std::optional<std::string> instance,
                           std::vector<std::pair<std::string, std::vector<std::byte>>> assignments) {
  co_return co_await group.Sync(std::move(member_id), generation, std::move(instance), std::move(assignments));
}

}  // namespace

Task<JoinResult> GroupCoordinator::Join(Shard& current, std::string group, JoinRequest request) {
  Partition& partition = PartitionOf(group);
  std::function<Task<JoinResult>()> work = [this, &partition, group, request]() {
    if (closing_) return ImmediateJoin(GroupError::kNotCoordinator);
    return JoinThere(GroupIn(partition, group), request);
  };
  RunOnShard<JoinResult> hop(current, ShardOf(partition), std::move(work));
  co_return co_await hop;
}

Task<SyncResult> GroupCoordinator::Sync(Shard& current, std::string group, std::string member_id,
                                        int32_t generation, std::optional<std::string> group_instance_id,
                                        std::vector<std::pair<std::string, std::vector<std::byte>>> assignments) {
  Partition& partition = PartitionOf(group);
  std::function<Task<SyncResult>()> work = [this, &partition, group, member_id, generation, group_instance_id,
                                            assignments]() -> Task<SyncResult> {
    if (closing_) return ImmediateSync(GroupError::kNotCoordinator);
    auto it = partition.groups.find(group);
    if (it == partition.groups.end()) return ImmediateSync(GroupError::kUnknownMemberId);
    return SyncThere(*it->second, member_id, generation, group_instance_id, assignments);
  };
  RunOnShard<SyncResult> hop(current, ShardOf(partition), std::move(work));
  co_return co_await hop;
}

Task<SyncResult> GroupCoordinator::ImmediateSync(GroupError error) { co_return SyncResult{.error = error}; }

Task<JoinResult> GroupCoordinator::ImmediateJoin(GroupError error) { co_return JoinResult{.error = error}; }

Task<GroupError> GroupCoordinator::HeartbeatThere(Partition& partition, std::string group,
                                                  std::string member_id, int32_t generation,
                                                  std::optional<std::string> instance) {
  if (closing_) co_return GroupError::kNotCoordinator;
  auto it = partition.groups.find(group);
  if (it == partition.groups.end()) co_return GroupError::kUnknownMemberId;
  co_return it->second->Heartbeat(member_id, generation, instance);
}

Task<GroupError> GroupCoordinator::Heartbeat(Shard& current, std::string group, std::string member_id,
                                             int32_t generation, std::optional<std::string> group_instance_id) {
  Partition& partition = PartitionOf(group);
  std::function<Task<GroupError>()> work = [this, &partition, group, member_id, generation,
                                            group_instance_id]() {
    return HeartbeatThere(partition, group, member_id, generation, group_instance_id);
  };
  RunOnShard<GroupError> hop(current, ShardOf(partition), std::move(work));
  co_return co_await hop;
}

Task<GroupError> GroupCoordinator::LeaveThere(Partition& partition, std::string group, std::string member_id,
                                              std::optional<std::string> instance) {
  if (closing_) co_return GroupError::kNotCoordinator;
  auto it = partition.groups.find(group);
  if (it == partition.groups.end()) co_return GroupError::kUnknownMemberId;
  co_return it->second->Leave(member_id, instance);
}

Task<GroupError> GroupCoordinator::Leave(Shard& current, std::string group, std::string member_id,
                                         std::optional<std::string> group_instance_id) {
  Partition& partition = PartitionOf(group);
  std::function<Task<GroupError>()> work = [this, &partition, group, member_id, group_instance_id]() {
    return LeaveThere(partition, group, member_id, group_instance_id);
  };
  RunOnShard<GroupError> hop(current, ShardOf(partition), std::move(work));
  co_return co_await hop;
}

Task<Result<GroupCoordinator::CommitResult>> GroupCoordinator::CommitThere(
    Partition& partition, std::string group, std::string member_id, int32_t generation,
    std::vector<std::pair<TopicPartition, CommittedOffset>> offsets) {
  if (closing_) co_return CommitResult{.error = GroupError::kNotCoordinator};
  auto it = partition.groups.find(group);
  GroupError error = GroupError::kNone;
  if (it != partition.groups.end()) {
    error = it->second->CheckCommit(member_id, generation);
  } else if (generation >= 0) {
    error = GroupError::kIllegalGeneration;  // as Kafka: the member keeps its id and rejoins
  } else if (!member_id.empty()) {
    error = GroupError::kUnknownMemberId;
  }
  CommitResult result{.error = error};
  if (error != GroupError::kNone) co_return result;
  std::vector<std::pair<TopicPartition, CommittedOffset>> accepted;
  int64_t now = clock_.Now().value();  // the broker's time, as Kafka stamps commits
  for (auto& entry : offsets) {
    entry.second.commit_time_ms = now;
    bool too_large = entry.second.metadata && entry.second.metadata->size() > config_.max_metadata_bytes;
    result.outcomes.push_back(too_large ? CommitOutcome::kMetadataTooLarge : CommitOutcome::kCommitted);
    if (!too_large) accepted.push_back(std::move(entry));
  }
  Status committed = co_await partition.store->Commit(group, std::move(accepted));
  if (!committed.ok()) co_return committed;
  co_return result;
}

Task<Result<GroupCoordinator::CommitResult>> GroupCoordinator::Commit(
    Shard& current, std::string group, std::string member_id, int32_t generation,
    std::vector<std::pair<TopicPartition, CommittedOffset>> offsets) {
  Partition& partition = PartitionOf(group);
  std::function<Task<Result<CommitResult>>()> work = [this, &partition, group, member_id, generation,
                                                      offsets]() {
    return CommitThere(partition, group, member_id, generation, offsets);
  };
  RunOnShard<Result<CommitResult>> hop(current, ShardOf(partition), std::move(work));
  co_return co_await hop;
}

Task<GroupOffsets> GroupCoordinator::OffsetsThere(Partition& partition, std::string group) {
  const GroupOffsets* offsets = partition.store->Find(group);
  co_return offsets != nullptr ? *offsets : GroupOffsets{};
}

Task<GroupOffsets> GroupCoordinator::FetchOffsets(Shard& current, std::string group) {
  Partition& partition = PartitionOf(group);
  std::function<Task<GroupOffsets>()> work = [this, &partition, group]() {
    return OffsetsThere(partition, group);
  };
  RunOnShard<GroupOffsets> hop(current, ShardOf(partition), std::move(work));
  co_return co_await hop;
}

Task<std::vector<GroupListing>> GroupCoordinator::ListThere(Partition& partition) {
  std::vector<GroupListing> out;
  for (const auto& [id, group] : partition.groups) {
    GroupDescription d = group->Describe();
    out.push_back({id, d.protocol_type, d.state});
  }
  for (const std::string& id : partition.store->Groups()) {
    if (!partition.groups.count(id)) out.push_back({id, "", GroupState::kEmpty});
  }
  co_return out;
}

Task<std::vector<GroupListing>> GroupCoordinator::List(Shard& current) {
  std::vector<GroupListing> all;
  for (auto& p : partitions_) {
    Partition* partition = p.get();
    std::function<Task<std::vector<GroupListing>>()> work = [this, partition]() {
      return ListThere(*partition);
    };
    RunOnShard<std::vector<GroupListing>> hop(current, ShardOf(*partition), std::move(work));
    std::vector<GroupListing> some = co_await hop;
    all.insert(all.end(), some.begin(), some.end());
  }
  std::sort(all.begin(), all.end(), [](const GroupListing& a, const GroupListing& b) { return a.group_id < b.group_id; });
  co_return all;
}

Task<Result<GroupDescription>> GroupCoordinator::DescribeThere(Partition& partition, std::string group) {
  auto it = partition.groups.find(group);
  if (it != partition.groups.end()) co_return it->second->Describe();
  if (partition.store->Find(group) != nullptr) co_return GroupDescription{};  // Empty, offsets only
  co_return NotFound("unknown group " + group);
}

Task<Result<GroupDescription>> GroupCoordinator::Describe(Shard& current, std::string group) {
  Partition& partition = PartitionOf(group);
  std::function<Task<Result<GroupDescription>>()> work = [this, &partition, group]() {
    return DescribeThere(partition, group);
  };
  RunOnShard<Result<GroupDescription>> hop(current, ShardOf(partition), std::move(work));
  co_return co_await hop;
}

Task<Result<GroupError>> GroupCoordinator::DeleteThere(Partition& partition, std::string group) {
  auto it = partition.groups.find(group);
  bool has_offsets = partition.store->Find(group) != nullptr;
  if (it != partition.groups.end() && !it->second->idle()) co_return GroupError::kNonEmptyGroup;
  if (it == partition.groups.end() && !has_offsets) co_return GroupError::kGroupIdNotFound;
  if (it != partition.groups.end()) partition.groups.erase(it);
  Status forgotten = co_await partition.store->Forget(group);
  if (!forgotten.ok()) co_return forgotten;
  spdlog::info("deleted group {}", group);
  co_return GroupError::kNone;
}

Task<Result<GroupError>> GroupCoordinator::Delete(Shard& current, std::string group) {
  Partition& partition = PartitionOf(group);
  std::function<Task<Result<GroupError>>()> work = [this, &partition, group]() {
    return DeleteThere(partition, group);
  };
  RunOnShard<Result<GroupError>> hop(current, ShardOf(partition), std::move(work));
  co_return co_await hop;
}

Task<void> GroupCoordinator::TickLoop(GroupCoordinator* self, size_t shard_index) {
  Shard& shard = *self->shards_[shard_index];
  int64_t next_expiry = SystemClock::Instance().MonotonicNanos();
  while (!self->closing_) {
    co_await self->tick_wakers_[shard_index]->WaitFor(shard.loop(), kTickMs);
    if (self->closing_) break;
    for (auto& p : self->partitions_) {
      if (p->shard != shard_index) continue;
      for (auto it = p->groups.begin(); it != p->groups.end();) {
        it->second->Tick();
        // A group with neither members nor offsets holds nothing worth keeping.
        bool gone = it->second->idle() && p->store->Find(it->first) == nullptr;
        it = gone ? p->groups.erase(it) : std::next(it);
      }
    }
    // Expiry by the wall of real time between checks, whatever clock dates commits.
    if (SystemClock::Instance().MonotonicNanos() < next_expiry) continue;
    next_expiry = SystemClock::Instance().MonotonicNanos() + self->config_.expiry_check_ms * 1'000'000;
    for (auto& p : self->partitions_) {
      if (self->closing_) break;
      if (p->shard == shard_index) co_await self->ExpireOffsets(*p);
    }
  }
}

Task<void> GroupCoordinator::ExpireOffsets(Partition& partition) {
  int64_t now = clock_.Now().value();
  for (const std::string& group : partition.store->Groups()) {
    if (closing_) co_return;
    auto it = partition.groups.find(group);
    if (it != partition.groups.end() && !it->second->idle()) continue;
    // As in Kafka (KIP-211): the retention runs from when the group became empty,
    // or from the last commit for a group that had no members (manual
    // assignment). Membership is not kept across restarts, so a group not seen
    // since the start counts from the start: its consumers are rejoining.
    int64_t since = it != partition.groups.end() ? it->second->empty_since_ms() : partition.opened_at_ms;
    // Another group's deletion may have run during an earlier expiry's write.
    const GroupOffsets* offsets = partition.store->Find(group);
    if (offsets == nullptr) continue;
    for (const auto& [tp, value] : *offsets) since = std::max(since, value.commit_time_ms);
    if (now - since < config_.offsets_retention_ms) continue;
    spdlog::info("group {} has been empty for offsets.retention.minutes: its committed offsets expire", group);
    Status forgotten = co_await partition.store->Forget(group);
    if (!forgotten.ok()) spdlog::warn("expiring the offsets of group {} failed: {}", group, forgotten.ToString());
    it = partition.groups.find(group);  // the group may have changed during the write
    if (it != partition.groups.end() && it->second->idle()) partition.groups.erase(it);
  }
}

Status GroupCoordinator::Close() {
  if (closed_) return Status::Ok();
  closed_ = true;
  closing_ = true;
  for (size_t i = 0; i < tick_wakers_.size(); ++i) {
    TimedWaitList* waker = tick_wakers_[i].get();
    shards_[i]->Post([waker] { waker->Notify(); });
  }
  Status first;
  for (auto& p : partitions_) {
    Partition* partition = p.get();
    if (!partition->store) continue;
    Status closed = RunBlocking<Status>(ShardOf(*partition), [partition]() -> Task<Status> {
      return ClosePartition(*partition);
    });
    if (!closed.ok() && first.ok()) first = closed;
  }
  return first;
}

Task<Status> GroupCoordinator::ClosePartition(Partition& partition) {
  for (auto& [id, group] : partition.groups) group->Shutdown();
  partition.groups.clear();
  // The store stays (closed): a call suspended in it finishes against it.
  co_return co_await partition.store->Close();
}

}  // namespace millstream::engine
