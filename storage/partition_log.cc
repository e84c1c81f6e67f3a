#include "storage/partition_log.h"

#include <algorithm>
#include <cstring>

#include "storage/record_batch_format.h"

namespace millstream::storage {

PartitionLog::PartitionLog(io::FileSystem& fs, EventLoop& loop, const Clock& clock,
                           std::string dir, LogConfig config)
    : fs_(fs), loop_(loop), clock_(clock), dir_(std::move(dir)), config_(config), flush_turn_{config.flush_scheduler, config.io_class} {}

PartitionLog::~PartitionLog() {
  MS_CHECK(written_waiters_.empty() && durable_waiters_.empty())
      << "partition log destroyed while appends wait in " << dir_;
}

Task<Result<std::unique_ptr<PartitionLog>>> PartitionLog::Open(io::FileSystem& fs,
                                                               EventLoop& loop,
                                                               const Clock& clock,
                                                               std::string dir, LogConfig config,
                                                               RecoveryReport* report) {
  // Index entries hold 32-bit positions; a segment may pass segment_bytes by one batch.
  if (config.segment_bytes == 0 || config.segment_bytes > (1ull << 31) - (config.write_buffer_bytes + (1 << 20))) {
    co_return InvalidArgument("segment_bytes must be between 1 and 2 GiB less the write buffer");
  }
  std::unique_ptr<PartitionLog> log(new PartitionLog(fs, loop, clock, std::move(dir), config));
  RecoveryReport local;
  Status recovered = co_await log->Recover(report ? *report : local);
  if (!recovered.ok()) co_return recovered.WithContext("open " + log->dir_);
  co_return std::move(log);
}

Offset PartitionLog::log_start_offset() const {
  return std::max(segments_.begin()->first, deleted_before_);
}

uint64_t PartitionLog::size_bytes() const {
  uint64_t total = 0;
  for (const auto& [base, segment] : segments_) total += segment->stats().size;
  return total;
}

std::vector<SegmentStats> PartitionLog::SegmentStatsList() const {
  std::vector<SegmentStats> out;
  for (const auto& [base, segment] : segments_) out.push_back(segment->stats());
  return out;
}

bool PartitionLog::NeedsRoll(size_t batch_size) const {
  uint64_t end = appender_->end().value();
  if (end == 0) return false;
  if (end + batch_size > config_.segment_bytes) return true;
  TimestampMs first = active_->first_append_time;
  return first.value() >= 0 && clock_.Now() - first >= config_.segment_ms;
}

Task<Result<AppendInfo>> PartitionLog::Append(MutableBytes batch) {
  if (closed_) co_return ShuttingDown("log " + dir_ + " is closed");
  Result<BatchHeader> validated = ValidateBatch(batch);
  if (!validated.ok()) co_return validated.status();
  BatchHeader header = *validated;
  if (batch.size() > appender_->max_append()) {
    co_return InvalidArgument("batch of " + std::to_string(batch.size()) +
                              " bytes is larger than the write buffer");
  }
  // Wait until no roll runs, the buffer has room, and the segment need not roll;
  // each wait can change the others, so check all three again after any of them.
  while (true) {
    if (closed_) co_return ShuttingDown("log " + dir_ + " is closed");
    if (rolling_) {
      co_await roll_waiters_.Wait();
      continue;
    }
    if (!appender_->health().ok()) co_return appender_->health();
    if (clean_flag_on_disk_) {
      // The first append after a clean open: the "ends here" mark must go first, or
      // a crash would make recovery ignore what follows. Appends wait as for a roll.
      rolling_ = true;
      Status cleared = co_await PersistIndex(active_);
      rolling_ = false;
      if (cleared.ok()) clean_flag_on_disk_ = false;
      roll_waiters_.WakeAll(loop_);
      if (!cleared.ok()) co_return cleared;
      continue;
    }
    if (NeedsRoll(batch.size())) {
      Status rolled = co_await Roll();
      if (!rolled.ok()) co_return rolled;
      continue;
    }
    if (!appender_->HasRoom(batch.size())) {
      co_await appender_->WaitForRoom();
      continue;
    }
    break;
  }
  // Refused before an offset is taken: a full disk loses nothing.
  if (Status reserved = ReserveSpace(appender_->end().value() + batch.size()); !reserved.ok()) {
    co_return reserved;
  }
  header.base_offset = next_offset_;
  SetBaseOffset(batch, header.base_offset);
  if (active_->first_append_time.value() < 0) active_->first_append_time = clock_.Now();
  pending_.push_back({header, appender_->end()});
  next_offset_ = header.last_offset() + 1;
  appender_->Append(batch);
  co_return AppendInfo{header.base_offset, header.last_offset(), header.max_timestamp,
                       rollbacks_.size()};
}

Status PartitionLog::ReserveSpace(uint64_t end) {
  if (end <= allocated_end_) return Status::Ok();
  // fallocate beyond the end also extends the file's size, so a write inside the
  // reserved space never changes the size, and fdatasync has less to record.
  uint64_t target = AlignUp(end + config_.preallocate_bytes, kIoAlignment);
  RETURN_IF_ERROR(active_file_->Allocate(allocated_end_, target - allocated_end_));
  allocated_end_ = target;
  return Status::Ok();
}

Task<Status> PartitionLog::WaitWritten(const AppendInfo& appended) {
  return WaitAppended(appended, false);
}
Task<Status> PartitionLog::WaitDurable(const AppendInfo& appended) {
  return WaitAppended(appended, true);
}

Task<Status> PartitionLog::WaitAppended(AppendInfo appended, bool durable) {
  Offset last = appended.last_offset;
  // A failed write after this append may have dropped it; its offsets may belong
  // to another batch now, whose durability says nothing about this one.
  for (size_t g = appended.generation; g < rollbacks_.size(); ++g) {
    if (last >= rollbacks_[g].at) co_return rollbacks_[g].why;
  }
  if (last >= next_offset_) co_return InvalidArgument("offset " + std::to_string(last.value()) + " was never appended");
  if (last < (durable ? durable_next_ : written_next_)) co_return Status::Ok();
  if (!appender_->health().ok()) co_return appender_->health();
  // The end of the batch holding `last`: what a sync must cover.
  FilePos end = appender_->end();
  for (const auto* queue : {&written_pending_, &pending_}) {
    auto it = std::find_if(queue->begin(), queue->end(),
                           [last](const PendingBatch& b) { return b.header.last_offset() >= last; });
    if (it != queue->end()) {
      end = it->pos + it->header.total_size();
      break;
    }
  }
  OffsetWaiter waiter;
  // Registers first and asks for the sync after: a backend that completes at once
  // (memory) would otherwise wake the waiters before this one is among them.
  struct Register {
    std::multimap<Offset, OffsetWaiter*>& waiters;
    Offset key;
    OffsetWaiter* waiter;
    SegmentAppender* appender;  // null: no sync needed
    FilePos sync_end;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) const {
      waiter->handle = h;
      waiters.emplace(key, waiter);
      if (appender != nullptr) appender->RequestSync(sync_end);
    }
    void await_resume() const noexcept {}
  };
  co_await Register{durable ? durable_waiters_ : written_waiters_, last, &waiter,
                    durable ? appender_.get() : nullptr, end};
  co_return waiter.result;
}

void PartitionLog::WakeWaiters(std::multimap<Offset, OffsetWaiter*>& waiters, Offset next,
                               const Status& result) {
  // Ok wakes the waiters below `next`; an error wakes those at or after it.
  auto first = result.ok() ? waiters.begin() : waiters.lower_bound(next);
  auto last = result.ok() ? waiters.lower_bound(next) : waiters.end();
  for (auto it = first; it != last; ++it) {
    it->second->result = result;
    loop_.Post(it->second->handle);
  }
  waiters.erase(first, last);
}

void PartitionLog::OnWritten(FilePos from, ConstBytes bytes) {
  active_->HashWritten(from, bytes);
  FilePos end = from + bytes.size();
  while (!pending_.empty() && pending_.front().pos + pending_.front().header.total_size() <= end) {
    const PendingBatch& b = pending_.front();
    active_->AddBatch(b.header, b.pos, config_.index_interval_bytes);
    written_next_ = b.header.last_offset() + 1;
    written_pending_.push_back(b);
    pending_.pop_front();
  }
  WakeWaiters(written_waiters_, written_next_, Status::Ok());
}

void PartitionLog::OnDurable(FilePos end) {
  while (!written_pending_.empty() &&
         written_pending_.front().pos + written_pending_.front().header.total_size() <= end) {
    durable_next_ = written_pending_.front().header.last_offset() + 1;
    durable_since_index_ += written_pending_.front().header.total_size();
    written_pending_.pop_front();
  }
  WakeWaiters(durable_waiters_, durable_next_, Status::Ok());
  // A persisted index may only describe durable bytes: snapshot it when nothing
  // written is still waiting for a sync.
  if (durable_since_index_ >= config_.index_checkpoint_bytes && written_pending_.empty() &&
      !index_persist_running_ && !rolling_ && !closed_) {
    durable_since_index_ = 0;
    index_persist_running_ = true;
    loop_.Spawn([](PartitionLog* log, SegmentHandle segment) -> Task<void> {
      Status s = co_await log->PersistIndex(segment);
      // A failed index write costs only a longer scan at the next recovery.
      s.IgnoreError();
      log->index_persist_running_ = false;
      log->index_waiters_.WakeAll(log->loop_);
    }(this, active_));
  }
}

void PartitionLog::OnWriteFailed(FilePos, const Status& status) {
  // Appended batches after the written end are gone: give their offsets back.
  pending_.clear();
  if (next_offset_ > written_next_) rollbacks_.push_back({written_next_, status});
  next_offset_ = written_next_;
  WakeWaiters(written_waiters_, written_next_, status);
  WakeWaiters(durable_waiters_, written_next_, status);
}

void PartitionLog::OnFailed(const Status& status) {
  // Nothing after the durable end will ever be confirmed; reopening recovers.
  WakeWaiters(written_waiters_, written_next_, status);
  WakeWaiters(durable_waiters_, durable_next_, status);
}

SegmentHandle PartitionLog::FindSegment(Offset offset) const {
  auto it = segments_.upper_bound(offset);
  if (it == segments_.begin()) return nullptr;
  return std::prev(it)->second;
}

Task<Result<ReadResult>> PartitionLog::Read(Offset from, size_t max_bytes) {
  if (from < log_start_offset() || from > written_next_) {
    co_return OutOfRange("offset " + std::to_string(from.value()) + " is outside [" +
                         std::to_string(log_start_offset().value()) + ", " +
                         std::to_string(written_next_.value()) + "]");
  }
  ReadResult out;
  out.next_offset = from;
  SegmentHandle segment = FindSegment(from);
  while (segment && out.next_offset < written_next_) {
    Result<io::File*> file = segment->Reader(fs_);
    if (!file.ok()) co_return file.status();
    uint64_t end = segment->stats().size;
    FilePos pos = segment->PositionAtOrBefore(out.next_offset);
    // Skip the batches before the one holding next_offset (at most an index interval).
    std::byte head[batch_format::kHeaderSize];
    while (pos.value() < end) {
      Status s = co_await io::ReadFully(**file, pos, head);
      if (!s.ok()) co_return s;
      std::optional<BatchHeader> h = PeekBatchHeader(head);
      if (!h || h->batch_length <= 0 || pos.value() + h->total_size() > end) {
        co_return Corruption("bad batch header in " + segment->PathOf(kLogExtension) +
                             " at byte " + std::to_string(pos.value()));
      }
      if (h->last_offset() >= out.next_offset) break;
      pos += h->total_size();
    }
    // One read for as many whole batches as fit, at least the first.
    size_t want = std::min<uint64_t>(std::max<size_t>(max_bytes, batch_format::kHeaderSize), end - pos.value());
    size_t at = out.bytes.size();
    out.bytes.resize(at + want);
    Status s = co_await io::ReadFully(**file, pos, MutableBytes(out.bytes.data() + at, want));
    if (!s.ok()) co_return s;
    size_t used = 0;
    while (used + batch_format::kHeaderSize <= want) {
      std::optional<BatchHeader> h = PeekBatchHeader(ConstBytes(out.bytes.data() + at + used, want - used));
      if (!h || h->batch_length <= 0) {
        co_return Corruption("bad batch header in " + segment->PathOf(kLogExtension) +
                             " at byte " + std::to_string(pos.value() + used));
      }
      if (used + h->total_size() > want) {
        if (used > 0 || at > 0) break;
        // The first batch is larger than max_bytes: return it whole anyway.
        out.bytes.resize(at + h->total_size());
        Status rest = co_await io::ReadFully(**file, pos + want,
                                             MutableBytes(out.bytes.data() + at + want, h->total_size() - want));
        if (!rest.ok()) co_return rest;
        want = h->total_size();
      }
      used += h->total_size();
      out.next_offset = h->last_offset() + 1;
    }
    out.bytes.resize(at + used);
    if (out.bytes.size() >= max_bytes || pos.value() + used < end) break;
    auto next = segments_.upper_bound(segment->base_offset());
    segment = next == segments_.end() ? nullptr : next->second;
  }
  co_return std::move(out);
}

Task<Result<Offset>> PartitionLog::LookupTimestamp(TimestampMs ts) {
  // A snapshot: retention may erase segments from the map while a read suspends;
  // the handles keep the files open until the scan is done.
  std::vector<SegmentHandle> snapshot;
  for (const auto& [base, segment] : segments_) snapshot.push_back(segment);
  for (const SegmentHandle& segment : snapshot) {
    if (segment->stats().max_timestamp < ts) continue;
    Result<io::File*> file = segment->Reader(fs_);
    if (!file.ok()) co_return file.status();
    FilePos pos = segment->PositionForTimestamp(ts);
    std::byte head[batch_format::kHeaderSize];
    while (pos.value() < segment->stats().size) {
      Status s = co_await io::ReadFully(**file, pos, head);
      if (!s.ok()) co_return s;
      std::optional<BatchHeader> h = PeekBatchHeader(head);
      if (!h || h->batch_length <= 0) {
        co_return Corruption("bad batch header in " + segment->PathOf(kLogExtension) +
                             " at byte " + std::to_string(pos.value()));
      }
      if (h->max_timestamp >= ts) co_return h->base_offset;
      pos += h->total_size();
    }
  }
  co_return written_next_;
}

Task<Status> PartitionLog::CreateActive(Offset base) {
  auto segment = std::make_shared<Segment>(dir_, base);
  std::string path = segment->PathOf(kLogExtension);
  Result<std::unique_ptr<io::File>> file =
      fs_.Open(path, {.create = true, .direct = config_.direct_io});
  if (!file.ok()) co_return file.status();
  uint64_t reserve = AlignUp(config_.preallocate_bytes, kIoAlignment);
  Status allocated = (*file)->Allocate(0, reserve);
  if (allocated.ok()) allocated = fs_.SyncDir(dir_);  // the new name must survive a crash
  if (!allocated.ok()) {
    file->reset();
    fs_.Remove(path).IgnoreError();
    co_return allocated.WithContext("create segment " + path);
  }
  active_ = segment;
  active_file_ = std::move(*file);
  allocated_end_ = reserve;
  segments_[base] = segment;
  appender_ = std::make_unique<SegmentAppender>(loop_, *active_file_, FilePos(0), ConstBytes(),
                                                config_.write_buffer_bytes, static_cast<SegmentAppender::Listener&>(*this), clock_,
      sync_stats_, &flush_turn_);
  co_return Status::Ok();
}

Task<Status> PartitionLog::Roll() {
  if (rolling_) {
    // Someone else is rolling; this roll is that one.
    co_await roll_waiters_.Wait();
    co_return Status::Ok();
  }
  rolling_ = true;
  Status status = co_await appender_->Drain(/*sync=*/true);
  // An index checkpoint of this segment in flight would race the seal's own.
  while (index_persist_running_) co_await index_waiters_.Wait();
  if (status.ok() && !active_->stats().empty()) {
    // Create the next segment first: if the disk is full the active one stays as it
    // was and appends fail with NoSpace until space returns.
    SegmentHandle old = active_;
    std::unique_ptr<io::File> old_file = std::move(active_file_);
    std::unique_ptr<SegmentAppender> old_appender = std::move(appender_);
    status = co_await CreateActive(next_offset_);
    if (!status.ok()) {
      active_ = old;
      active_file_ = std::move(old_file);
      appender_ = std::move(old_appender);
    } else {
      Status truncated = old_file->Truncate(old->stats().size);
      if (truncated.ok()) truncated = co_await old_file->DataSync();
      // No co_await inside ?: here: GCC 12 miscompiles it (destroys a temporary twice).
      status = truncated;
      if (status.ok()) status = co_await Seal(old);
    }
  }
  rolling_ = false;
  roll_waiters_.WakeAll(loop_);
  co_return status;
}

Task<Status> PartitionLog::Seal(const SegmentHandle& segment) {
  SealManifest seal{segment->stats()};
  std::optional<XXH128_hash_t> digest = segment->TrackedDigest();
  if (!digest) {
    // The prefix was recovered rather than written by us: hash the file.
    Result<io::File*> file = segment->Reader(fs_);
    if (!file.ok()) co_return file.status();
    XXH3_state_t* state = XXH3_createState();
    XXH3_128bits_reset(state);
    std::vector<std::byte> chunk(1 << 20);
    Status read_status;
    for (uint64_t pos = 0; pos < seal.stats.size;) {
      size_t n = std::min<uint64_t>(chunk.size(), seal.stats.size - pos);
      read_status = co_await io::ReadFully(**file, FilePos(pos), MutableBytes(chunk.data(), n));
      if (!read_status.ok()) break;
      XXH3_128bits_update(state, chunk.data(), n);
      pos += n;
    }
    digest = XXH3_128bits_digest(state);
    XXH3_freeState(state);
    if (!read_status.ok()) co_return read_status;
  }
  seal.digest_high = digest->high64;
  seal.digest_low = digest->low64;
  std::vector<std::byte> bytes = EncodeSeal(seal);
  CO_RETURN_IF_ERROR(co_await io::ReplaceFile(fs_, segment->PathOf(kSealExtension), bytes));
  CO_RETURN_IF_ERROR(co_await PersistIndex(segment));
  CO_RETURN_IF_ERROR(fs_.SyncDir(dir_));
  segment->SetSeal(seal);
  co_return Status::Ok();
}

Task<Status> PartitionLog::PersistIndex(const SegmentHandle& segment, bool clean_close) {
  PersistedIndex index = segment->ToPersistedIndex();
  index.clean_close = clean_close;
  // Both files are made durable under temporary names first and then renamed back
  // to back, so the window in which a kill or a power loss leaves one new and one
  // old file is two system calls wide; such a mismatched pair is detected (they
  // cover different prefixes) and costs one full scan of the segment.
  std::pair<std::string_view, std::vector<std::byte>> files[] = {
      {kTimeIndexExtension, EncodeTimeIndex(index)}, {kIndexExtension, EncodeOffsetIndex(index)}};
  for (const auto& [extension, bytes] : files) {
    std::string tmp = segment->PathOf(extension) + std::string(kTempSuffix);
    Result<std::unique_ptr<io::File>> file = fs_.Open(tmp, {.create = true});
    if (!file.ok()) co_return file.status();
    CO_RETURN_IF_ERROR((*file)->Truncate(0));
    CO_RETURN_IF_ERROR(co_await io::WriteFullyThenSync(**file, FilePos(0), bytes));
  }
  for (const auto& [extension, bytes] : files) {
    std::string path = segment->PathOf(extension);
    CO_RETURN_IF_ERROR(fs_.Rename(path + std::string(kTempSuffix), path));
  }
  co_return Status::Ok();
}

Task<Result<int>> PartitionLog::ApplyRetention(const RetentionPolicy& policy,
                                               const RetentionPin& pin, uint64_t* held_bytes) {
  int deleted = 0;
  if (held_bytes != nullptr) *held_bytes = 0;
  uint64_t total = size_bytes();
  TimestampMs now = clock_.Now();
  // Whole segments from the oldest; the log must stay one contiguous range.
  while (segments_.size() > 1) {
    SegmentHandle oldest = segments_.begin()->second;
    if (!oldest->sealed()) break;
    const SegmentStats& stats = oldest->stats();
    // As Kafka: a segment goes for size only if at least retention_bytes remain
    // without it; for age only if it has timestamps at all and its newest is old.
    bool over_size = policy.retention_bytes >= 0 &&
                     total - stats.size >= static_cast<uint64_t>(policy.retention_bytes);
    bool too_old = policy.retention_ms >= 0 && stats.max_timestamp.value() >= 0 &&
                   now - stats.max_timestamp > policy.retention_ms;
    if (!over_size && !too_old) break;
    if (pin && pin(stats)) {
      if (held_bytes != nullptr) *held_bytes = HeldFrom(policy, total, now);
      break;
    }
    // The .log goes first: an index or seal without its log is an orphan that
    // recovery removes, while a log without its seal would be re-scanned.
    Status removed = DropOldestSegment();
    if (!removed.ok()) {
      if (deleted > 0) fs_.SyncDir(dir_).IgnoreError();
      co_return removed;
    }
    total -= stats.size;
    ++deleted;
  }
  if (deleted > 0) CO_RETURN_IF_ERROR(fs_.SyncDir(dir_));
  co_return deleted;
}

uint64_t PartitionLog::HeldFrom(const RetentionPolicy& policy, uint64_t total, TimestampMs now) const {
  uint64_t held = 0;
  for (auto it = segments_.begin(); it != segments_.end() && it->second->sealed(); ++it) {
    const SegmentStats& stats = it->second->stats();
    bool over_size = policy.retention_bytes >= 0 &&
                     total - stats.size >= static_cast<uint64_t>(policy.retention_bytes);
    bool too_old = policy.retention_ms >= 0 && stats.max_timestamp.value() >= 0 &&
                   now - stats.max_timestamp > policy.retention_ms;
    if (!over_size && !too_old) break;
    held += stats.size;
    total -= stats.size;
  }
  return held;
}

std::optional<AppendInfo> PartitionLog::AppendedEnd() const {
  if (next_offset_ == Offset(0)) return std::nullopt;
  Offset last = next_offset_ - 1;
  return AppendInfo{last, last, TimestampMs(-1), rollbacks_.size()};
}

TimestampMs PartitionLog::newest_timestamp() const {
  TimestampMs newest(-1);
  for (const auto& [base, segment] : segments_) newest = std::max(newest, segment->stats().max_timestamp);
  return newest;
}

Status PartitionLog::DropOldestSegment() {
  SegmentHandle oldest = segments_.begin()->second;
  Status removed = fs_.Remove(oldest->PathOf(kLogExtension));
  if (!removed.ok() && removed.code() != StatusCode::kNotFound) return removed;
  // The log is gone, so is the segment; a leftover index or seal is an orphan
  // that the next recovery removes.
  segments_.erase(segments_.begin());
  for (std::string_view ext : {kIndexExtension, kTimeIndexExtension, kSealExtension}) {
    fs_.Remove(oldest->PathOf(ext)).IgnoreError();
  }
  return Status::Ok();
}

Task<Result<Offset>> PartitionLog::DeleteRecordsBefore(Offset offset) {
  if (offset > written_next_) {
    co_return OutOfRange("offset " + std::to_string(offset.value()) + " is past the written end " +
                         std::to_string(written_next_.value()));
  }
  if (offset <= log_start_offset()) co_return log_start_offset();
  // Durable first: once the call returns, the records below never come back.
  std::string text = std::to_string(offset.value()) + "\n";
  CO_RETURN_IF_ERROR(co_await io::ReplaceFile(fs_, io::JoinPath(dir_, "log_start_offset"), AsBytes(text)));
  CO_RETURN_IF_ERROR(fs_.SyncDir(dir_));
  deleted_before_ = offset;
  // Whole sealed segments below the new start go now; the rest stays until
  // retention or the next DeleteRecords reaches past it.
  while (segments_.size() > 1 && segments_.begin()->second->sealed() &&
         segments_.begin()->second->stats().next_offset <= offset) {
    CO_RETURN_IF_ERROR(DropOldestSegment());
  }
  CO_RETURN_IF_ERROR(fs_.SyncDir(dir_));
  co_return log_start_offset();
}

Task<Status> PartitionLog::Close() {
  if (closed_) co_return Status::Ok();
  while (rolling_) co_await roll_waiters_.Wait();
  closed_ = true;
  Status drained = co_await appender_->Drain(/*sync=*/true);
  // A checkpoint of the index may still be on its way; ours must be the last.
  while (index_persist_running_) co_await index_waiters_.Wait();
  if (!drained.ok()) co_return drained;
  co_return co_await PersistIndex(active_, /*clean_close=*/true);
}

}  // namespace millstream::storage
