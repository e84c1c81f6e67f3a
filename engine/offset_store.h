// OffsetStore: the committed offsets of the consumer groups of one offsets
// partition. They live in memory and in an internal log (a PartitionLog of
// RecordBatch v2 under DIR/groups/<k>/, like a topic's but invisible to clients);
// a commit is answered only once its records are durable. A record's key is the
// group, topic and partition; its value the offset, the commit time and the
// client's metadata; a null value (tombstone) forgets the offset.
//
// Start-up does not replay history from the beginning of time: every
// `snapshot_bytes` of log, the whole table is written to `offsets.snapshot`
// (with the log offset it covers and an XXH3-64 checksum, replaced atomically)
// and the log start moves past what the snapshot holds, so old segments go.
// Open loads the snapshot and replays only the log after it. The byte layout of
// both is in docs/storage-format.md ("Committed offsets").
//
// Lifecycle: Open() → Commit/Forget/lookups → Close(). One shard thread: the
// shard that owns the offsets partition (and so its groups).
#pragma once

#include <compare>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/event_loop.h"
#include "base/status.h"
#include "base/task.h"
#include "base/wait_list.h"
#include "storage/io/file_system.h"
#include "storage/partition_log.h"

namespace millstream::engine {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

struct CommittedOffset {
  int64_t offset = -1;
  std::optional<std::string> metadata;
  int64_t commit_time_ms = 0;
  bool operator==(const CommittedOffset&) const = default;
};

using GroupOffsets = std::map<TopicPartition, CommittedOffset>;

class OffsetStore {
 public:
  static Task<Result<std::unique_ptr<OffsetStore>>> Open(storage::io::FileSystem& fs, EventLoop& loop,
                                                         const Clock& clock, std::string dir,
                                                         storage::LogConfig config,
                                                         uint64_t snapshot_bytes = 16ull << 20);
  ~OffsetStore();
  OffsetStore(const OffsetStore&) = delete;
  OffsetStore& operator=(const OffsetStore&) = delete;

  // Records `offsets` for `group` (replacing earlier ones); Ok once durable. On
  // an error nothing changed in memory (the records may still reach the log:
  // the next start would then show them, as Kafka would).
  Task<Status> Commit(const std::string& group, std::vector<std::pair<TopicPartition, CommittedOffset>> offsets);
  // Forgets every offset of `group` (tombstones, durable on Ok).
  Task<Status> Forget(const std::string& group);

  // The group's committed offsets; nullptr when it has none.
  const GroupOffsets* Find(const std::string& group) const;
  std::vector<std::string> Groups() const;

  // Refuses new commits (ShuttingDown), writes a final snapshot (after any in
  // progress) and closes the log. Lookups keep working on what was loaded.
  Task<Status> Close();

 private:
  OffsetStore(storage::io::FileSystem& fs, EventLoop& loop, std::string dir, uint64_t snapshot_bytes)
      : fs_(fs), loop_(loop), dir_(std::move(dir)), snapshot_bytes_(snapshot_bytes) {}
  Task<Status> Load();
  Task<Status> Replay(Offset from);
  // Appends one batch of (key, value or tombstone) records and waits until durable.
  Task<Status> AppendDurably(const std::string& group,
                             const std::vector<std::pair<TopicPartition, std::optional<CommittedOffset>>>& records);
  Task<Status> WriteSnapshot();
  void Apply(const std::string& group, const TopicPartition& tp, std::optional<CommittedOffset> value);

  // A commit appended and not yet applied to memory.
  struct PendingCommit {
    uint64_t id;
    Offset first;
    Offset last;
    std::string group;
    std::vector<std::pair<TopicPartition, std::optional<CommittedOffset>>> records;
  };

  storage::io::FileSystem& fs_;
  EventLoop& loop_;
  const std::string dir_;
  const uint64_t snapshot_bytes_;
  std::unique_ptr<storage::PartitionLog> log_;
  std::map<std::string, GroupOffsets> groups_;
  std::deque<PendingCommit> pending_;  // in log order
  uint64_t bytes_since_snapshot_ = 0;
  uint64_t last_pending_id_ = 0;
  bool snapshotting_ = false;
  WaitList snapshot_done_;  // callers waiting for the snapshot in progress
  bool closing_ = false;    // Close began: no new commits, no new snapshots
};

}  // namespace millstream::engine
