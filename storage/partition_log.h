// PartitionLog: the append-only log of one partition, a directory of segments
// (docs/storage-format.md). It validates and appends Kafka RecordBatch v2 batches,
// assigns offsets, makes them durable with group commit, serves reads by offset
// and by timestamp, rolls and seals segments, applies retention, and recovers
// after a crash by scanning only the tail after the last durable index point.
//
// Durability (the words of STYLE.md): Append() returns when the batch is
// *appended*; WaitWritten() when its write completed; WaitDurable() when an
// fdatasync covering it completed. Readers see *written* batches only.
//
// Threading: one shard thread owns the log and its EventLoop; every call comes
// from that thread. Lifecycle: Open() (recovers) → Append/Read/... → Close()
// (drains, syncs and persists the indexes, so the next Open() scans nothing).
#pragma once

#include <coroutine>
#include <deque>
#include <functional>
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
#include "storage/record_batch.h"
#include "storage/segment.h"
#include "storage/segment_appender.h"

namespace millstream::storage {

struct LogConfig {
  uint64_t segment_bytes = 1ull << 30;          // roll when the active segment would pass this
  int64_t segment_ms = 7ll * 24 * 3600 * 1000;  // roll a segment older than this
  uint32_t index_interval_bytes = 4096;         // log bytes between offset index entries
  size_t write_buffer_bytes = 8u << 20;         // each of the appender's two buffers
  // File space the active segment reserves (fallocate) ahead of its end at a
  // time: writes land in space already allocated, but a partition does not hold
  // a whole segment's worth of disk from its first record.
  uint64_t preallocate_bytes = 16ull << 20;
  // Durable bytes between persisted index points of the active segment: the most
  // a recovery after a crash has to scan.
  uint64_t index_checkpoint_bytes = 64ull << 20;
  bool direct_io = true;  // O_DIRECT writes (falls back to buffered where unsupported)
  // The shard's flush scheduler (borrowed; outlives the log); none: flushes start
  // at once.
  FlushScheduler* flush_scheduler = nullptr;
  IoClass io_class = IoClass::kStandard;  // the class the log's flushes start in
};

struct RetentionPolicy {
  int64_t retention_bytes = -1;  // keep at most this many log bytes; -1 = no limit
  int64_t retention_ms = -1;     // delete segments whose newest record is older; -1 = keep
};

// Returns true when the sealed segment must be kept (a pinned checkpoint holds it).
using RetentionPin = std::function<bool(const SegmentStats&)>;

struct AppendInfo {
  Offset base_offset;
  Offset last_offset;
  TimestampMs max_timestamp;
  // How many failed writes the log had seen when the batch was appended: a later
  // failure may have dropped the batch and handed its offsets to another one.
  uint64_t generation = 0;
};

// What recovery found: every problem with its file and byte position.
struct RecoveryReport {
  int segments = 0;
  int indexes_rebuilt = 0;
  uint64_t bytes_scanned = 0;
  uint64_t torn_bytes_truncated = 0;
  std::vector<std::string> problems;  // "corruption in <file> at byte <pos>: <why>"
};

// Whole batches read from the log.
struct ReadResult {
  std::vector<std::byte> bytes;  // zero or more complete batches
  Offset next_offset;            // offset after the last batch returned
};

class PartitionLog : private SegmentAppender::Listener {
 public:
  // Opens (creating if needed) the log in `dir` and recovers it. `fs`, `loop` and
  // `clock` are borrowed and must outlive the log. The report receives what
  // recovery found; interior corruption is reported there and does not fail Open.
  static Task<Result<std::unique_ptr<PartitionLog>>> Open(io::FileSystem& fs, EventLoop& loop,
                                                          const Clock& clock, std::string dir,
                                                          LogConfig config,
                                                          RecoveryReport* report);
  ~PartitionLog();

  // Validates `batch` (ValidateBatch), assigns its offsets (rewriting baseOffset in
  // place) and appends it. Waits only when the write buffer is full or a segment
  // rolls. Errors: ShuttingDown (Close began), Corruption (invalid batch, nothing appended), InvalidArgument
  // (batch larger than the write buffer), NoSpace (a new segment could not be
  // allocated), IoError (the log failed; reopen to recover).
  Task<Result<AppendInfo>> Append(MutableBytes batch);
  // Waits until the appended batch is written / durable. An error means the batch
  // was dropped by a failed write (it will never be readable, and its offsets may
  // now belong to another batch) or the log failed.
  Task<Status> WaitWritten(const AppendInfo& appended);
  Task<Status> WaitDurable(const AppendInfo& appended);

  // Whole written batches starting with the one that holds `from` (or the first
  // after it), up to `max_bytes` but always at least one batch. OutOfRange when
  // `from` is below the log start or above the written end.
  Task<Result<ReadResult>> Read(Offset from, size_t max_bytes);
  // The base offset of the first written batch whose maxTimestamp >= ts, or the
  // written end offset when none is (Kafka's ListOffsets answers with the latter).
  Task<Result<Offset>> LookupTimestamp(TimestampMs ts);

  // Seals the active segment and starts a new one (waits for the data to be durable).
  Task<Status> Roll();
  // Deletes the oldest sealed segments while the policy says so and `pin` allows;
  // never the active segment. Returns the number of segments deleted. When a pin
  // stopped it, `held_bytes` (if given) gets the bytes of the sealed segments the
  // policy would have deleted from there on (what the pin keeps on disk), else 0.
  Task<Result<int>> ApplyRetention(const RetentionPolicy& policy, const RetentionPin& pin,
                                   uint64_t* held_bytes = nullptr);
  // Kafka's DeleteRecords: records below `offset` are no longer served (the log
  // start moves there, durably: docs/storage-format.md, "log_start_offset"), and
  // sealed segments entirely below it are deleted. OutOfRange past the written
  // end. Returns the new log start (unchanged when `offset` is below it).
  Task<Result<Offset>> DeleteRecordsBefore(Offset offset);
  // Drains, syncs, persists the indexes. The log accepts nothing afterwards.
  Task<Status> Close();

  Offset log_start_offset() const;
  Offset next_offset() const { return next_offset_; }            // after the last appended
  Offset written_end_offset() const { return written_next_; }    // after the last written
  Offset durable_end_offset() const { return durable_next_; }    // after the last durable
  // A marker for everything appended so far: WaitDurable(AppendedEnd()) returns
  // once all of it is durable (or a failed write dropped some of it). nullopt
  // when nothing was ever appended.
  std::optional<AppendInfo> AppendedEnd() const;
  // The largest record timestamp in the log (-1 when it has none).
  TimestampMs newest_timestamp() const;
  uint64_t size_bytes() const;
  size_t segment_count() const { return segments_.size(); }
  std::vector<SegmentStats> SegmentStatsList() const;
  const std::string& dir() const { return dir_; }
  // The cost of every fdatasync since Open (for /metrics).
  const SyncStats& sync_stats() const { return sync_stats_; }
  // The priority class of the log's next flushes (its topic's priority.class).
  void set_io_class(IoClass io_class) { flush_turn_.io_class = io_class; }

 private:
  struct PendingBatch {
    BatchHeader header;
    FilePos pos;  // in the active segment
  };
  struct OffsetWaiter {
    std::coroutine_handle<> handle;
    Status result;
  };

  PartitionLog(io::FileSystem& fs, EventLoop& loop, const Clock& clock, std::string dir,
               LogConfig config);

  // Recovery (log_recovery.cc).
  Task<Status> Recover(RecoveryReport& report);
  // How a scan ended: cleanly (zeros, end of file, a torn tail cut off) or at
  // corruption; `resume` is the offset the log must continue from.
  struct ScanEnd {
    bool clean = true;
    Offset resume;
  };
  Task<Result<bool>> LoadSealedSegment(const SegmentHandle& segment, RecoveryReport& report);
  Task<Result<ScanEnd>> ScanSegment(const SegmentHandle& segment, FilePos from, bool is_last,
                                    bool trust_zeros, RecoveryReport& report);
  Task<Status> TruncateToSize(const SegmentHandle& segment);
  Task<Status> LoadLogStart();
  // Removes the oldest segment's files (the .log first) and forgets it.
  Status DropOldestSegment();
  Task<Result<Offset>> OffsetBeyondSealedEnd(const SegmentHandle& segment);
  Task<Status> OpenActive(const SegmentHandle& segment);
  Task<Status> ZeroTail(const SegmentHandle& segment, FilePos from);
  // Reserves the active file's space up to at least `end`, and a further
  // preallocate_bytes when it must grow. NoSpace when the disk is full.
  Status ReserveSpace(uint64_t end);

  // Segment life cycle (partition_log.cc).
  Task<Status> CreateActive(Offset base);
  Task<Status> Seal(const SegmentHandle& segment);
  // Writes the segment's two index files; `clean_close` marks a closed log's end.
  Task<Status> PersistIndex(const SegmentHandle& segment, bool clean_close = false);
  bool NeedsRoll(size_t batch_size) const;
  Task<Status> WaitAppended(AppendInfo appended, bool durable);
  SegmentHandle FindSegment(Offset offset) const;
  // Bytes of the oldest sealed segments, from the first, that `policy` would delete.
  uint64_t HeldFrom(const RetentionPolicy& policy, uint64_t total, TimestampMs now) const;

  // SegmentAppender::Listener
  void OnWritten(FilePos from, ConstBytes bytes) override;
  void OnDurable(FilePos end) override;
  void OnWriteFailed(FilePos written_end, const Status& status) override;
  void OnFailed(const Status& status) override;
  void WakeWaiters(std::multimap<Offset, OffsetWaiter*>& waiters, Offset next,
                   const Status& result);

  io::FileSystem& fs_;
  EventLoop& loop_;
  const Clock& clock_;
  std::string dir_;
  LogConfig config_;

  std::map<Offset, SegmentHandle> segments_;  // by base offset; the last one is active
  SegmentHandle active_;
  std::unique_ptr<io::File> active_file_;
  uint64_t allocated_end_ = 0;  // the active file's size: space reserved up to here
  // Borrowed by every appender_ in turn: declared before it, so they outlive it.
  SyncStats sync_stats_;
  FlushTurn flush_turn_;
  std::unique_ptr<SegmentAppender> appender_;

  Offset next_offset_;     // next offset to assign
  Offset written_next_;    // every offset below is written
  Offset durable_next_;    // every offset below is durable
  std::deque<PendingBatch> pending_;          // appended, not yet written
  std::deque<PendingBatch> written_pending_;  // written, not yet durable
  std::multimap<Offset, OffsetWaiter*> written_waiters_;
  std::multimap<Offset, OffsetWaiter*> durable_waiters_;
  // One entry per failed write: appends at or after `at` were dropped for `why`.
  struct Rollback {
    Offset at;
    Status why;
  };
  std::vector<Rollback> rollbacks_;
  uint64_t durable_since_index_ = 0;
  bool index_persist_running_ = false;
  bool rolling_ = false;
  bool closed_ = false;
  Offset deleted_before_{0};  // DeleteRecords moved the log start here (at least)
  // The active segment's index on disk says "closed cleanly, ends here". It must
  // be rewritten without that mark before anything is appended after it.
  bool clean_flag_on_disk_ = false;
  WaitList roll_waiters_;   // appends waiting for a roll (or the clean-mark rewrite)
  WaitList index_waiters_;  // waiting for an index checkpoint in flight
};

}  // namespace millstream::storage
