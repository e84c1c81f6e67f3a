// SegmentAppender: the write pipeline of the active segment. Batches are copied
// into an aligned buffer (*appended*); a single flush at a time writes everything
// appended so far with O_DIRECT, linked with an fdatasync in the same ring
// submission when anybody waits for durability (group commit): every append that
// arrived while the previous flush was in flight shares the next write and sync.
//
// Durability contract (docs/storage-format.md, "Write path"):
// - OnWritten(bytes) is called once the write of those bytes completed (*written*);
//   OnDurable(end) once an fdatasync that started after they were written
//   completed (*durable*). Both move forward only.
// - A failed write drops every appended byte after the last written one and calls
//   OnWriteFailed; a plain write (no sync) that failed leaves the appender usable.
//   A failed sync, or a failed write linked to a sync (the error may be the
//   sync's), also makes the appender failed for good (OnFailed): after a failed
//   fdatasync nobody can say which writes reached the device, so only a reopen,
//   which reads the disk again, may claim durability again.
//
// Buffers: two buffers of `buffer_bytes`, one being filled while the other is in
// flight. The last, partial 4 KiB page of a flush is copied to the next buffer and
// written again by the next flush, so every write is aligned; the file is
// preallocated, so bytes after the logical end are zeros and recovery finds the end.
//
// Threading: one thread (the partition's shard). Lifecycle: created on an open
// File positioned at the logical end; Drain() before the file is sealed or closed.
#pragma once

#include <coroutine>
#include <cstdint>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/event_loop.h"
#include "base/status.h"
#include "base/strong_id.h"
#include "base/task.h"
#include "base/wait_list.h"
#include "storage/flush_scheduler.h"
#include "storage/io/file_system.h"
#include "storage/sync_stats.h"

namespace millstream::storage {

class SegmentAppender {
 public:
  class Listener {
   public:
    // The bytes [from, from + bytes.size()) of the file were written.
    virtual void OnWritten(FilePos from, ConstBytes bytes) = 0;
    // Everything before `end` is durable.
    virtual void OnDurable(FilePos end) = 0;
    // Appended bytes after `written_end` were dropped because of `status`.
    virtual void OnWriteFailed(FilePos written_end, const Status& status) = 0;
    // The appender failed for good (a sync failed): nothing more becomes written
    // or durable.
    virtual void OnFailed(const Status& status) = 0;

   protected:
    ~Listener() = default;
  };

  // `file` (opened for direct writes), `listener`, `clock`, `sync_stats` and
  // `turn` are borrowed and must outlive the appender (every completed sync is
  // recorded in `sync_stats`, timed by `clock`; every flush waits for its turn
  // from `turn`'s scheduler, if any). `end` is the logical end; `tail` the bytes
  // of its partial page, [AlignDown(end), end), which the first flush writes again.
  SegmentAppender(EventLoop& loop, io::File& file, FilePos end, ConstBytes tail,
                  size_t buffer_bytes, Listener& listener, const Clock& clock, SyncStats& sync_stats,
                  const FlushTurn* turn = nullptr);
  SegmentAppender(const SegmentAppender&) = delete;
  SegmentAppender& operator=(const SegmentAppender&) = delete;

  // The logical end: where the next appended byte goes.
  FilePos end() const { return buf_pos_ + buf_len_; }
  FilePos written_end() const { return written_end_; }
  FilePos durable_end() const { return durable_end_; }
  // Ok, or the sticky error of a failed sync.
  const Status& health() const { return failed_; }

  // Whether `size` more bytes fit in the buffer now.
  bool HasRoom(size_t size) const { return buf_len_ + size <= buffers_[0].size(); }
  // The largest batch that can ever be appended.
  size_t max_append() const { return buffers_[0].size() - kIoAlignment; }
  // Starts a flush if none runs and waits until the one in flight completed and
  // freed its buffer (or the appender failed).
  Task<void> WaitForRoom();

  // Copies `bytes` to the logical end (appended) and starts a flush if none runs.
  // Precondition: HasRoom(bytes.size()) and health().ok().
  void Append(ConstBytes bytes);

  // Asks for everything before `end` to become durable; the flush loop links an
  // fdatasync to its next write (or syncs alone when all is written).
  void RequestSync(FilePos end);

  // Waits until nothing is in flight and everything appended is written, and
  // durable if `sync`. Returns the first error met.
  Task<Status> Drain(bool sync);

 private:
  Task<void> StartFlush();
  Task<void> FlushLoop();
  Task<Status> WriteTaken(AlignedBuffer& buffer, FilePos pos, size_t aligned_len, bool sync);
  void RollBack(AlignedBuffer& taken, FilePos taken_pos, const Status& status);
  bool HasUnwritten() const { return end() > written_end_; }
  bool WantsSync() const { return sync_requested_ > durable_end_; }
  void Kick();
  // The flush scheduler's turn for one flush, in the class the log has now; the
  // class taken is what EndTurn gives back.
  Task<IoClass> TakeTurn();
  void EndTurn(IoClass taken);

  EventLoop& loop_;
  io::File& file_;
  Listener& listener_;
  const Clock& clock_;
  SyncStats& sync_stats_;
  const FlushTurn* turn_;
  AlignedBuffer buffers_[2];
  int active_ = 0;        // buffer being filled
  FilePos buf_pos_;       // file position of buffers_[active_][0], aligned
  size_t buf_len_ = 0;    // valid bytes in buffers_[active_]
  FilePos written_end_;
  FilePos durable_end_;
  FilePos sync_requested_;
  bool flushing_ = false;
  bool kick_scheduled_ = false;  // a StartFlush is waiting for the next loop turn
  Status failed_;
  WaitList idle_waiters_;  // woken after every flush round
};

}  // namespace millstream::storage
