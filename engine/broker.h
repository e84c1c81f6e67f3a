// Broker: the engine's front class. It owns the shards, the topic catalog and the
// partition logs (each on the shard that owns it), and offers the operations the
// network layer needs as coroutines that run on the caller's shard and hop to the
// owning shard where the partition lives (RunOnShard). It knows nothing of Kafka
// bytes: batches go in and out as RecordBatch v2 bytes, errors as Status.
//
// Lifecycle: Open() (blocking: starts the shards, recovers every partition) →
// operations from shard threads → Shutdown() (blocking: closes every log durably,
// stops the shards). Threading: the catalog is guarded by a mutex held only for
// look-ups and changes; each partition log is touched only on its shard.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/task.h"
#include "base/timed_wait.h"
#include "engine/checkpoint_store.h"
#include "engine/group_coordinator.h"
#include "engine/partition_stats.h"
#include "engine/producer_state.h"
#include "engine/shard.h"
#include "engine/topic_config.h"
#include "storage/partition_log.h"

namespace millstream::engine {

struct BrokerConfig {
  int64_t retention_check_ms = 300000;  // log.retention.check.interval.ms
  std::string data_dir = "./data";
  int shards = 0;                   // 0: one per core
  bool auto_create_topics = true;   // auto.create.topics.enable
  int32_t default_partitions = 1;   // num.partitions, for auto-created topics
  TopicConfig topic_defaults;
  size_t write_buffer_bytes = 1u << 20;  // per partition, twice (two buffers)
  GroupConfig groups;                    // consumer groups and their committed offsets
  // The clock of group sessions and offset expiry (borrowed; null: the system's).
  // Tests pass a ManualClock.
  const Clock* group_clock = nullptr;
  // Below this much free space on the data directory's file system, produce is
  // refused (NoSpace) until space returns; what is left is the reserve that
  // committed offsets, checkpoints and webhook keys keep writing to. 0: no
  // threshold (a full disk still refuses an append before it takes an offset).
  uint64_t min_free_bytes = 256ull << 20;
  int64_t disk_check_ms = 1000;  // how often the free space is looked at
};

// What a client learns about a partition.
struct PartitionState {
  Offset log_start;
  Offset high_watermark;  // after the last written record (what consumers may read)
};

enum class Acks { kNone, kWritten, kDurable };  // acks=0, acks=1, acks=all

// What Produce did with a batch: appended it (or found it to be a retry of one
// already appended, with that batch's offsets), or refused it for its producer
// sequence (`check`: OUT_OF_ORDER_SEQUENCE or INVALID_PRODUCER_EPOCH in Kafka).
struct ProduceResult {
  storage::AppendInfo info;
  SequenceCheck check = SequenceCheck::kAppend;
  // The time the broker stamped on the batch when its topic uses LogAppendTime
  // (-1 otherwise, and for a retried batch answered with its first offsets).
  TimestampMs log_append_time{-1};
};

struct FetchResult {
  std::vector<std::byte> records;  // whole batches
  PartitionState state;
};

class Broker {
 public:
  static Result<std::unique_ptr<Broker>> Open(BrokerConfig config);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Closes every log (durable, indexes persisted) and stops the shards.
  Status Shutdown();

  size_t shard_count() const { return shards_.size(); }
  Shard& shard(size_t i) { return *shards_[i]; }
  // The consumer groups (valid between Open and Shutdown).
  GroupCoordinator& groups() { return *groups_; }
  const BrokerConfig& config() const { return config_; }

  struct TopicInfo {
    std::string name;
    TopicConfig config;
  };
  std::vector<TopicInfo> Topics() const;
  std::optional<TopicInfo> FindTopic(const std::string& name) const;

  // Creates a topic: its description is made durable, then every partition log is
  // created on its shard. InvalidArgument (bad name or config), Busy (exists).
  Task<Status> CreateTopic(Shard& current, std::string name, TopicConfig config);
  // Closes the topic's logs and removes its files. NotFound when absent.
  Task<Status> DeleteTopic(Shard& current, std::string name);
  // Replaces a topic's settings (Kafka's AlterConfigs: keys not given return to
  // their defaults; partitions stay). Durable before it returns. Retention settings
  // apply from the next retention run; segment.bytes from the next start.
  Task<Status> AlterTopicConfig(Shard& current, std::string name,
                                std::map<std::string, std::string> settings, bool validate_only);
  // The topic, created with the defaults if auto-creation is on. NotFound otherwise.
  Task<Result<TopicInfo>> EnsureTopic(Shard& current, const std::string& name);

  // Appends one batch and waits as `acks` says. NotFound (no such topic or
  // partition), the log's errors otherwise (see PartitionLog::Append).
  Task<Result<ProduceResult>> Produce(Shard& current, const std::string& topic, int32_t partition,
                                      MutableBytes batch, Acks acks);
  // Produce in two steps, so that a caller can append several batches in a fixed
  // order and then wait for all of them at once: Append checks the producer
  // sequence and appends (no wait for any write); AwaitAcks waits until the batch
  // is written (and wakes fetches) and, for Acks::kDurable, durable.
  Task<Result<ProduceResult>> Append(Shard& current, const std::string& topic, int32_t partition,
                                     MutableBytes batch);
  Task<Status> AwaitAcks(Shard& current, const std::string& topic, int32_t partition,
                         storage::AppendInfo appended, Acks acks);
  // A new idempotent producer id (epoch 0). Ids come from a block reserved durably
  // at open, so they are never handed out twice, also across restarts.
  Result<int64_t> AllocateProducerId();
  // Whole batches from `offset`, up to `max_bytes` (at least one batch). When fewer
  // than `min_bytes` are there, waits up to `max_wait_ms` for more.
  Task<Result<FetchResult>> Fetch(Shard& current, const std::string& topic, int32_t partition,
                                  Offset offset, size_t max_bytes, size_t min_bytes,
                                  int32_t max_wait_ms);
  Task<Result<PartitionState>> State(Shard& current, const std::string& topic, int32_t partition);

  // A group's lag on every partition it has a committed offset for, sorted by
  // topic and partition: the high watermark now minus the committed offset (0
  // when the commit is at or past the end). A partition whose topic is gone is
  // left out.
  struct PartitionLag {
    std::string topic;
    int32_t partition = 0;
    int64_t committed = -1;
    int64_t end = 0;
    int64_t lag = 0;
  };
  Task<std::vector<PartitionLag>> GroupLag(Shard& current, std::string group);
  // DeleteRecords: records below `offset` (-1: the high watermark) are no longer
  // served. Returns the new log start.
  Task<Result<Offset>> DeleteRecords(Shard& current, const std::string& topic, int32_t partition,
                                     Offset offset);
  // First offset with a timestamp at or after `ts` (ListOffsets).
  Task<Result<Offset>> OffsetForTimestamp(Shard& current, const std::string& topic,
                                          int32_t partition, TimestampMs ts);

  // A consistent cut (docs/checkpoints.md): for every partition of `topics` (all
  // when empty), the end of what was appended, taken while every shard is held
  // at once, so that the cut is a prefix of the broker's global append order;
  // returns once everything below the cut is durable. Call from a thread that
  // is not a shard (it blocks every shard for the moment of the cut). NotFound
  // for an unknown topic; the log's error when the cut could not become durable.
  Result<std::vector<CutPartition>> TakeCut(const std::vector<std::string>& topics);
  // The free space last measured on the data directory's file system, and
  // whether produce is refused for it (below BrokerConfig::min_free_bytes).
  uint64_t disk_free_bytes() const { return disk_free_bytes_; }
  bool produce_refused_for_space() const { return disk_low_; }

  // The named checkpoints (valid between Open and Shutdown); their pins hold
  // retention.
  CheckpointStore& checkpoints() { return *checkpoints_; }

  // A snapshot of every partition `shard` owns, sorted by topic and partition.
  // Call on that shard's thread (CallOnShard from outside): it reads the logs
  // without hopping, so a scrape costs each shard one short turn.
  std::vector<PartitionStats> CollectStats(const Shard& shard) const;

 private:
  struct Partition {
    int shard = 0;
    std::unique_ptr<storage::PartitionLog> log;  // touched only on `shard`
    TimedWaitList data_waiters;                   // fetches waiting for new data
    ProducerStateTable producers;                 // idempotent producers' sequences
    PartitionTraffic traffic;                     // touched only on `shard`
    uint64_t pinned_bytes = 0;  // what pinned checkpoints kept from retention (last run)
  };
  struct Topic {
    std::string name;
    TopicConfig config;
    std::vector<std::unique_ptr<Partition>> partitions;
  };

  explicit Broker(BrokerConfig config) : config_(std::move(config)) {}
  Status LoadTopics();
  Status ReserveProducerIds();
  Status LockDataDir();
  static Task<void> RetentionLoop(Broker* broker, size_t shard_index);
  // On shard 0: measures the free space every disk_check_ms and sets disk_low_.
  static Task<void> DiskWatchLoop(Broker* broker);
  void CheckFreeSpace(Shard& shard);
  Task<void> ApplyRetentionOn(size_t shard_index);
  Task<Status> SaveProducerState(Partition& partition, std::string dir);
  std::shared_ptr<Topic> Lookup(const std::string& name) const;
  Result<Partition*> LookupPartition(const std::string& topic, int32_t partition,
                                     std::shared_ptr<Topic>& keep) const;
  int ShardFor(const std::string& topic, int32_t partition) const;
  storage::LogConfig LogConfigFor(const TopicConfig& config) const;
  Task<Status> CreateTopicFiles(Shard& current, std::string name, TopicConfig config);
  // The topic's directory, topic.json and one open log per partition, appended to
  // topic.partitions as they open; stops at the first failure.
  Task<Status> WriteTopic(Shard& current, Topic& topic);
  // Closes every open log of `topic` on its shard and removes its directory.
  Task<Status> DropTopicFiles(Shard& current, const Topic& topic);
  Task<Status> OpenPartition(Partition& partition, std::string dir, storage::LogConfig config);

  BrokerConfig config_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unique_ptr<GroupCoordinator> groups_;  // after shards_: destroyed before them
  std::unique_ptr<CheckpointStore> checkpoints_;
  std::mutex cut_mu_;  // TakeCut: one cut at a time
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Topic>> topics_;  // guarded by mu_
  std::set<std::string> creating_;                         // guarded by mu_
  bool shut_down_ = false;
  int lock_fd_ = -1;  // flock on DIR/lock, held for the broker's lifetime
  std::atomic<bool> stopping_{false};
  // One per shard: wakes the retention loop early at shutdown (its timer is cancelled).
  std::vector<std::unique_ptr<TimedWaitList>> retention_wakers_;
  TimedWaitList disk_waker_;  // wakes the disk watch at shutdown (on shard 0)
  std::atomic<uint64_t> disk_free_bytes_{0};
  std::atomic<bool> disk_low_{false};
  std::atomic<int64_t> next_producer_id_{0};
  int64_t producer_id_limit_ = 0;  // the end of the reserved block
};

}  // namespace millstream::engine
