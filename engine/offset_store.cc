#include "engine/offset_store.h"

#include <spdlog/spdlog.h>
#include <xxhash.h>

#include <cstring>

#include "base/byte_fields.h"
#include "base/endian.h"
#include "engine/internal_log.h"
#include "storage/batch_builder.h"
#include "storage/record_batch.h"

namespace millstream::engine {

namespace {

constexpr char kSnapshotMagic[8] = {'M', 'S', 'O', 'F', 'F', 'S', 'N', '1'};
constexpr const char* kSnapshotName = "offsets.snapshot";
constexpr uint8_t kFormatVersion = 0;

std::string EncodeKey(const std::string& group, const TopicPartition& tp) {
  ByteFieldWriter w;
  w.U8(kFormatVersion);
  w.Str16(group);
  w.Str16(tp.topic);
  w.Int<int32_t>(tp.partition);
  return std::move(w.str());
}

std::string EncodeValue(const CommittedOffset& value) {
  ByteFieldWriter w;
  w.U8(kFormatVersion);
  w.Int<int64_t>(value.offset);
  w.Int<int64_t>(value.commit_time_ms);
  w.Int<int32_t>(value.metadata ? static_cast<int32_t>(value.metadata->size()) : -1);
  if (value.metadata) w.Raw(*value.metadata);
  return std::move(w.str());
}

bool DecodeKey(ByteFieldReader& r, std::string& group, TopicPartition& tp) {
  if (r.U8() != kFormatVersion) return false;
  group = r.Str16();
  tp.topic = r.Str16();
  tp.partition = r.Int<int32_t>();
  return r.ok();
}

bool DecodeValue(ByteFieldReader& r, CommittedOffset& value) {
  if (r.U8() != kFormatVersion) return false;
  value.offset = r.Int<int64_t>();
  value.commit_time_ms = r.Int<int64_t>();
  int32_t size = r.Int<int32_t>();
  if (size >= 0) value.metadata = std::string(r.Bytes(static_cast<size_t>(size)));
  return r.ok();
}

}  // namespace

Task<Result<std::unique_ptr<OffsetStore>>> OffsetStore::Open(storage::io::FileSystem& fs, EventLoop& loop,
                                                             const Clock& clock, std::string dir,
                                                             storage::LogConfig config,
                                                             uint64_t snapshot_bytes) {
  std::unique_ptr<OffsetStore> store(new OffsetStore(fs, loop, dir, snapshot_bytes));
  Result<std::unique_ptr<storage::PartitionLog>> log =
      co_await OpenInternalLog(fs, loop, clock, dir, config, "committed offsets");
  if (!log.ok()) co_return log.status();
  store->log_ = std::move(*log);
  Status loaded = co_await store->Load();
  if (!loaded.ok()) {
    (void)co_await store->log_->Close();
    co_return loaded.WithContext("load committed offsets from " + dir);
  }
  co_return store;
}

OffsetStore::~OffsetStore() = default;

Task<Status> OffsetStore::Load() {
  Offset replay_from = log_->log_start_offset();
  std::string path = storage::io::JoinPath(dir_, kSnapshotName);
  Result<std::vector<std::byte>> bytes = co_await storage::io::ReadWholeFile(fs_, path);
  if (bytes.ok()) {
    std::string_view all = AsView(*bytes);
    bool valid = all.size() >= sizeof(kSnapshotMagic) + 8 + 4 + 8 &&
                 std::memcmp(all.data(), kSnapshotMagic, sizeof(kSnapshotMagic)) == 0;
    if (valid) {
      uint64_t stored = LoadBigEndian<uint64_t>(bytes->data() + all.size() - 8);
      valid = XXH3_64bits(all.data(), all.size() - 8) == stored;
    }
    // A file too short to hold the frame is damaged like one whose checksum fails.
    ByteFieldReader r(valid ? all.substr(sizeof(kSnapshotMagic), all.size() - sizeof(kSnapshotMagic) - 8)
                   : std::string_view());
    Offset covers(r.Int<int64_t>());
    uint32_t count = r.Int<uint32_t>();
    for (uint32_t i = 0; valid && i < count; ++i) {
      std::string group;
      TopicPartition tp;
      CommittedOffset value;
      valid = DecodeKey(r, group, tp) && DecodeValue(r, value);
      if (valid) groups_[group][tp] = std::move(value);
    }
    if (valid && r.ok() && r.done()) {
      // A snapshot never covers more than the log holds; clamp in case it did.
      replay_from = std::min(std::max(replay_from, covers), log_->written_end_offset());
    } else {
      // Loud, not fatal: the groups whose offsets only the snapshot held restart
      // from their reset policy, the rest comes back from the log.
      groups_.clear();
      spdlog::error("{} is damaged (checksum or layout): committed offsets before log offset {} "
                    "are lost", path, replay_from.value());
    }
  } else if (bytes.status().code() != StatusCode::kNotFound) {
    co_return bytes.status();
  } else if (replay_from > Offset(0)) {
    spdlog::error("{} is missing but the log starts at {}: committed offsets before it are lost",
                  path, replay_from.value());
  }
  co_return co_await Replay(replay_from);
}

Task<Status> OffsetStore::Replay(Offset from) {
  // Named, not written inside the co_await: GCC 12 mishandles a lambda converted
  // to std::function there (docs/architecture.md).
  std::function<Status(const storage::RecordView&)> apply = [this](const storage::RecordView& record) -> Status {
    if (!record.key) return Status::Ok();
    ByteFieldReader key(AsView(*record.key));
    std::string group;
    TopicPartition tp;
    if (!DecodeKey(key, group, tp)) {
      return Corruption("bad committed-offset key at offset " + std::to_string(record.offset.value()));
    }
    std::optional<CommittedOffset> value;
    if (record.value) {
      ByteFieldReader in(AsView(*record.value));
      value.emplace();
      if (!DecodeValue(in, *value)) {
        return Corruption("bad committed-offset value at offset " + std::to_string(record.offset.value()));
      }
    }
    Apply(group, tp, std::move(value));
    return Status::Ok();
  };
  co_return co_await ForEachRecord(*log_, from, std::move(apply));
}

void OffsetStore::Apply(const std::string& group, const TopicPartition& tp,
                        std::optional<CommittedOffset> value) {
  if (value) {
    groups_[group][tp] = std::move(*value);
    return;
  }
  auto it = groups_.find(group);
  if (it == groups_.end()) return;
  it->second.erase(tp);
  if (it->second.empty()) groups_.erase(it);
}

Task<Status> OffsetStore::Commit(const std::string& group,
                                 std::vector<std::pair<TopicPartition, CommittedOffset>> offsets) {
  std::vector<std::pair<TopicPartition, std::optional<CommittedOffset>>> records;
  for (auto& [tp, value] : offsets) records.emplace_back(tp, std::move(value));
  co_return co_await AppendDurably(group, records);
}

Task<Status> OffsetStore::Forget(const std::string& group) {
  const GroupOffsets* offsets = Find(group);
  if (offsets == nullptr) co_return Status::Ok();
  std::vector<std::pair<TopicPartition, std::optional<CommittedOffset>>> records;
  for (const auto& [tp, value] : *offsets) records.emplace_back(tp, std::nullopt);
  co_return co_await AppendDurably(group, records);
}

Task<Status> OffsetStore::AppendDurably(
    const std::string& group,
    const std::vector<std::pair<TopicPartition, std::optional<CommittedOffset>>>& records) {
  if (records.empty()) co_return Status::Ok();
  storage::BatchBuilder builder;
  std::vector<std::string> keys;
  std::vector<std::string> values;
  keys.reserve(records.size());
  values.reserve(records.size());
  for (const auto& [tp, value] : records) {
    keys.push_back(EncodeKey(group, tp));
    values.push_back(value ? EncodeValue(*value) : std::string());
  }
  int64_t now = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    now = std::max(now, records[i].second ? records[i].second->commit_time_ms : 0);
    builder.Add(keys[i], records[i].second ? std::optional<std::string_view>(values[i]) : std::nullopt,
                TimestampMs(now));
  }
  std::vector<std::byte> batch = builder.Build();
  if (closing_) co_return ShuttingDown("committed offsets in " + dir_ + " are closing");
  Result<storage::AppendInfo> appended = co_await log_->Append(batch);
  if (!appended.ok()) co_return appended.status();
  // Applied in log order once durable, whatever order the waits end in, so that
  // memory always equals a prefix of the log (what a snapshot may cover). Each
  // entry has its own id: after a failed write the log hands the same offsets out
  // again, so offsets do not tell two commits apart.
  uint64_t id = ++last_pending_id_;
  pending_.push_back({id, appended->base_offset, appended->last_offset, group, records});
  Status durable = co_await log_->WaitDurable(*appended);
  if (!durable.ok()) {
    std::erase_if(pending_, [id](const PendingCommit& p) { return p.id == id; });
    co_return durable;
  }
  while (!pending_.empty() && pending_.front().last < log_->durable_end_offset()) {
    PendingCommit& front = pending_.front();
    for (auto& [tp, value] : front.records) Apply(front.group, tp, std::move(value));
    pending_.pop_front();
  }
  bytes_since_snapshot_ += batch.size();
  if (bytes_since_snapshot_ >= snapshot_bytes_ && !snapshotting_ && !closing_) {
    // The snapshot lets the log start move on, so a start never replays more
    // than about snapshot_bytes of commits.
    Status snapshot = co_await WriteSnapshot();
    if (!snapshot.ok()) spdlog::warn("snapshot of committed offsets in {} failed: {}", dir_, snapshot.ToString());
  }
  co_return Status::Ok();
}

Task<Status> OffsetStore::WriteSnapshot() {
  // One at a time: two would write the same temporary file.
  while (snapshotting_) co_await snapshot_done_.Wait();
  snapshotting_ = true;
  // Memory holds exactly the log before the first commit not yet applied, and
  // nothing that is not durable (after a failed sync the log ends there).
  Offset covers = pending_.empty() ? log_->next_offset() : pending_.front().first;
  covers = std::min(covers, log_->durable_end_offset());
  ByteFieldWriter w;
  w.Raw(std::string_view(kSnapshotMagic, sizeof(kSnapshotMagic)));
  w.Int<int64_t>(covers.value());
  uint32_t count = 0;
  for (const auto& [group, offsets] : groups_) count += static_cast<uint32_t>(offsets.size());
  w.Int<uint32_t>(count);
  for (const auto& [group, offsets] : groups_) {
    for (const auto& [tp, value] : offsets) {
      w.Raw(EncodeKey(group, tp));
      w.Raw(EncodeValue(value));
    }
  }
  w.Int<uint64_t>(XXH3_64bits(w.str().data(), w.str().size()));
  std::string path = storage::io::JoinPath(dir_, kSnapshotName);
  const std::string& text = w.str();
  Status written = co_await storage::io::ReplaceFile(
      fs_, path, ConstBytes(reinterpret_cast<const std::byte*>(text.data()), text.size()));
  if (written.ok()) written = fs_.SyncDir(dir_);
  // Only a durable snapshot lets the log start move past what it holds.
  if (written.ok() && covers > log_->log_start_offset() && covers <= log_->durable_end_offset()) {
    Result<Offset> moved = co_await log_->DeleteRecordsBefore(covers);
    if (!moved.ok()) written = moved.status();
  }
  if (written.ok()) bytes_since_snapshot_ = 0;
  snapshotting_ = false;
  snapshot_done_.WakeAll(loop_);
  co_return written;
}

const GroupOffsets* OffsetStore::Find(const std::string& group) const {
  auto it = groups_.find(group);
  return it == groups_.end() ? nullptr : &it->second;
}

std::vector<std::string> OffsetStore::Groups() const {
  std::vector<std::string> out;
  for (const auto& [group, offsets] : groups_) out.push_back(group);
  return out;
}

Task<Status> OffsetStore::Close() {
  closing_ = true;
  // Nothing committed since the last snapshot (or ever): the next start replays
  // nothing either way.
  Status snapshot;
  if (bytes_since_snapshot_ > 0) snapshot = co_await WriteSnapshot();
  Status closed = co_await log_->Close();
  co_return snapshot.ok() ? closed : snapshot;
}

}  // namespace millstream::engine
