// Checkpoints: named, consistent cuts across partitions (docs/checkpoints.md).
// A Checkpoint is what one cut recorded: for every partition of the chosen
// topics the end offset at one instant across all shards (Broker::TakeCut), the
// groups' committed offsets, the time, and the newest record timestamp.
//
// CheckpointStore keeps them: one file per checkpoint, DIR/checkpoints/<name>.ckpt
// (magic, JSON, XXH3-64; docs/checkpoints.md, "On disk"), written durably before a
// change returns. Every file access runs on shard 0 (the file-system seam is a
// shard's); the table in memory is guarded by a mutex so that the HTTP workers
// and the retention loops of every shard may read it.
//
// Lifecycle: Open() (blocking, from outside the shards) → Save / Remove (from
// outside the shards) and lookups from anywhere → destroyed with the broker.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/shard.h"

namespace millstream::engine {

struct CutPartition {
  std::string topic;
  int32_t partition = 0;
  int64_t log_start = 0;             // first offset served at the cut
  int64_t end = 0;                   // the cut: every record below is inside
  int64_t newest_timestamp_ms = -1;  // largest record timestamp in the partition at the cut
};

struct CutGroupOffset {
  std::string group;
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
};

struct Checkpoint {
  std::string name;
  int64_t created_ms = 0;
  std::string note;
  bool pinned = false;
  std::vector<CutPartition> partitions;  // sorted by topic, partition
  std::vector<CutGroupOffset> groups;    // sorted by group, topic, partition

  std::string ToJson() const;
  // Corruption when the JSON is not a version 1 checkpoint (never throws).
  static Result<Checkpoint> FromJson(const std::string& json);
  // The cut of one partition, or nullptr when the checkpoint does not cover it.
  const CutPartition* Find(const std::string& topic, int32_t partition) const;

 private:
  static Result<Checkpoint> FromJsonOrThrow(const std::string& json);
};

// 1 to 200 characters of [a-zA-Z0-9._-], not "." or "..".
Status ValidateCheckpointName(const std::string& name);

// DIR/checkpoints/<name>.ckpt, and the checkpoint such a file holds (Corruption
// when its magic, length or checksum does not check out): for readers of a data
// directory without a broker (offline replay).
std::string CheckpointPath(const std::string& data_dir, const std::string& name);
Result<Checkpoint> DecodeCheckpointFile(const std::vector<std::byte>& bytes);

class CheckpointStore {
 public:
  // Loads DIR/checkpoints/ on `shard` (creating the folder). A file that does not
  // check out (magic, checksum, JSON) is logged and left out, not fatal.
  static Result<std::unique_ptr<CheckpointStore>> Open(Shard& shard, std::string data_dir);

  // Writes `checkpoint` durably (replacing one of the same name). From outside
  // the shards. IoError/NoSpace from the file system.
  Status Save(const Checkpoint& checkpoint);
  // Removes the file durably. NotFound when there is no such checkpoint.
  Status Remove(const std::string& name);

  std::optional<Checkpoint> Find(const std::string& name) const;
  std::vector<Checkpoint> List() const;  // by name
  // The smallest cut of `topic`/`partition` among pinned checkpoints: retention
  // keeps every segment with records at or after it. nullopt: nothing pinned there.
  std::optional<int64_t> PinnedFrom(const std::string& topic, int32_t partition) const;
  // While a pinned checkpoint is being made its cut is not known yet: hold every
  // segment of every partition until it is stored (HoldEverything(false)).
  void HoldEverything(bool hold);

 private:
  CheckpointStore(Shard& shard, std::string dir) : shard_(shard), dir_(std::move(dir)) {}
  void IndexPins();  // rebuilds pinned_from_; mu_ held

  Shard& shard_;
  const std::string dir_;
  mutable std::mutex mu_;
  std::map<std::string, Checkpoint> checkpoints_;  // guarded by mu_
  // The smallest pinned cut per partition, so that a retention run looks one up
  // instead of scanning every checkpoint (guarded by mu_).
  std::map<std::pair<std::string, int32_t>, int64_t> pinned_from_;
  int holding_everything_ = 0;  // guarded by mu_
};

}  // namespace millstream::engine
