#include "storage/segment_appender.h"

#include <cstring>

namespace millstream::storage {

SegmentAppender::SegmentAppender(EventLoop& loop, io::File& file, FilePos end, ConstBytes tail,
                                 size_t buffer_bytes, Listener& listener, const Clock& clock,
                                 SyncStats& sync_stats, const FlushTurn* turn)
    : loop_(loop),
      file_(file),
      listener_(listener),
      clock_(clock),
      sync_stats_(sync_stats),
      turn_(turn),
      buf_pos_(AlignDown(end.value(), kIoAlignment)),
      written_end_(end),
      durable_end_(end),
      sync_requested_(end) {
  size_t size = AlignUp(std::max(buffer_bytes, 4 * kIoAlignment), kIoAlignment);
  buffers_[0] = AlignedBuffer(size);
  buffers_[1] = AlignedBuffer(size);
  MS_CHECK(tail.size() == end.value() - buf_pos_.value());
  if (!tail.empty()) std::memcpy(buffers_[0].data(), tail.data(), tail.size());
  buf_len_ = tail.size();
}

void SegmentAppender::Append(ConstBytes bytes) {
  MS_CHECK(HasRoom(bytes.size()) && failed_.ok());
  std::memcpy(buffers_[active_].data() + buf_len_, bytes.data(), bytes.size());
  buf_len_ += bytes.size();
  Kick();
}

void SegmentAppender::RequestSync(FilePos end) {
  if (end > sync_requested_) sync_requested_ = end;
  Kick();
}

void SegmentAppender::Kick() {
  if (flushing_ || kick_scheduled_ || !failed_.ok()) return;
  if (!HasUnwritten() && !WantsSync()) return;
  // The flush starts on the next loop turn, not now: every append and every wait
  // for durability made in this turn is then known, so the first write already
  // carries its linked fdatasync (group commit from the very first batch).
  kick_scheduled_ = true;
  loop_.Spawn(StartFlush());
}

Task<void> SegmentAppender::StartFlush() {
  co_await loop_.Yield();
  kick_scheduled_ = false;
  if (flushing_ || !failed_.ok() || (!HasUnwritten() && !WantsSync())) {
    idle_waiters_.WakeAll(loop_);
    co_return;
  }
  flushing_ = true;
  co_await FlushLoop();
}

Task<void> SegmentAppender::WaitForRoom() {
  if (!failed_.ok()) co_return;
  Kick();
  if (flushing_ || kick_scheduled_) co_await idle_waiters_.Wait();
}

Task<Status> SegmentAppender::Drain(bool sync) {
  if (sync) RequestSync(end());
  Kick();
  while (failed_.ok() && (flushing_ || kick_scheduled_ || HasUnwritten() || (sync && WantsSync()))) {
    co_await idle_waiters_.Wait();
  }
  co_return failed_;
}

Task<void> SegmentAppender::FlushLoop() {
  while (failed_.ok() && (HasUnwritten() || WantsSync())) {
    // The turn comes first: whatever is appended while waiting for it goes out
    // with this flush.
    IoClass turn = co_await TakeTurn();
    bool sync = WantsSync();
    if (!HasUnwritten()) {
      FilePos target = written_end_;
      int64_t started = clock_.MonotonicNanos();
      Status synced = co_await file_.DataSync();
      EndTurn(turn);
      if (!synced.ok()) {
        failed_ = synced.WithContext("fdatasync " + file_.path());
        listener_.OnFailed(failed_);
        break;
      }
      sync_stats_.Record(clock_.MonotonicNanos() - started, target - durable_end_);
      durable_end_ = target;
      listener_.OnDurable(durable_end_);
      continue;
    }
    // Take the active buffer for this flush; appends meanwhile go to the other one,
    // which starts with a copy of the partial last page.
    int taken_index = active_;
    AlignedBuffer& taken = buffers_[taken_index];
    FilePos pos = buf_pos_;
    size_t len = buf_len_;
    size_t aligned_len = AlignUp(len, kIoAlignment);
    std::memset(taken.data() + len, 0, aligned_len - len);
    size_t keep_from = AlignDown(len, kIoAlignment);
    active_ = 1 - taken_index;
    std::memcpy(buffers_[active_].data(), taken.data() + keep_from, len - keep_from);
    buf_pos_ = pos + keep_from;
    buf_len_ = len - keep_from;

    int64_t started = clock_.MonotonicNanos();
    Status status = co_await WriteTaken(taken, pos, aligned_len, sync);
    EndTurn(turn);
    if (!status.ok()) {
      RollBack(taken, pos, status);
      // With a linked sync the error may be the sync's (even ENOSPC, on thin or
      // network storage), and after a failed fdatasync nobody can say which earlier
      // writes reached the device: only a reopen, which reads the disk again, may
      // claim durability again. A plain write that fails leaves nothing in doubt.
      if (sync) {
        failed_ = status;
        listener_.OnFailed(failed_);
        break;
      }
      continue;  // nothing is unwritten now; a sync still owed to written bytes runs next
    }
    FilePos new_end = pos + len;
    FilePos old_end = written_end_;
    written_end_ = new_end;
    listener_.OnWritten(old_end, ConstBytes(taken.data() + (old_end - pos), new_end - old_end));
    if (sync) {
      sync_stats_.Record(clock_.MonotonicNanos() - started, new_end - durable_end_);
      durable_end_ = new_end;
      listener_.OnDurable(durable_end_);
    }
    idle_waiters_.WakeAll(loop_);
  }
  flushing_ = false;
  idle_waiters_.WakeAll(loop_);
}

Task<IoClass> SegmentAppender::TakeTurn() {
  if (turn_ == nullptr || turn_->scheduler == nullptr) co_return IoClass::kStandard;
  IoClass io_class = turn_->io_class;
  co_await turn_->scheduler->Acquire(io_class);
  co_return io_class;
}

void SegmentAppender::EndTurn(IoClass taken) {
  if (turn_ != nullptr && turn_->scheduler != nullptr) turn_->scheduler->Release(taken);
}

// Writes `aligned_len` bytes of `buffer` at `pos`, with a linked sync when asked.
// Returns the first error of the write or the sync.
Task<Status> SegmentAppender::WriteTaken(AlignedBuffer& buffer, FilePos pos, size_t aligned_len,
                                         bool sync) {
  ConstBytes pieces[1] = {ConstBytes(buffer.data(), aligned_len)};
  // Two statements, not ?: with co_await, which GCC 12 miscompiles.
  Result<size_t> n = IoError("not written");
  if (sync) {
    n = co_await file_.WriteThenSync(pos, pieces);
  } else {
    n = co_await file_.Write(pos, pieces);
  }
  if (!n.ok()) co_return n.status().WithContext("write " + file_.path());
  if (*n == aligned_len) co_return Status::Ok();
  // Short write: finish it (the linked sync was cancelled), then sync on its own.
  Status rest = co_await io::WriteFully(file_, pos + *n, pieces[0].subspan(*n));
  if (!rest.ok()) co_return rest.WithContext("write " + file_.path());
  if (!sync) co_return Status::Ok();
  Status synced = co_await file_.DataSync();
  co_return synced.WithContext("fdatasync " + file_.path());
}

void SegmentAppender::RollBack(AlignedBuffer& taken, FilePos taken_pos, const Status& status) {
  // Everything after written_end_ is dropped: rebuild the active buffer so that it
  // holds [AlignDown(written_end_), written_end_), which `taken` still has because
  // taken_pos == AlignDown(written_end_) (each flush starts at the previous end's page).
  MS_CHECK(taken_pos.value() == AlignDown(written_end_.value(), kIoAlignment));
  size_t keep = written_end_ - taken_pos;
  std::memcpy(buffers_[active_].data(), taken.data(), keep);
  buf_pos_ = taken_pos;
  buf_len_ = keep;
  // Written bytes that waited for a sync still get one.
  sync_requested_ = std::min(sync_requested_, written_end_);
  listener_.OnWriteFailed(written_end_, status);
}

}  // namespace millstream::storage
