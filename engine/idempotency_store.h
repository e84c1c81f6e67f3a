// IdempotencyStore: the Idempotency-Key of every webhook produce answered within
// the window, with the request's digest and the answer it got, so that a repeated
// request is answered the same and appends nothing, also after a restart. The
// keys live in memory and in an internal log (a PartitionLog under
// DIR/webhooks/keys/, invisible to clients): one record per key, its key the
// Idempotency-Key, its value the layout in docs/storage-format.md ("Webhook
// idempotency keys"). Put answers only once the record is durable.
//
// Expiry: a key older than the window is forgotten; the log rolls its segments
// at least once per window and time retention deletes segments whose newest key
// is older than the window, so the log holds about one to two windows of keys
// and Open replays only that.
//
// Lifecycle: Open() → TryClaim / Find / Put / Release → Close(). One shard thread
// (shard 0, where webhook produce is coordinated).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "base/clock.h"
#include "base/event_loop.h"
#include "base/status.h"
#include "base/task.h"
#include "storage/io/file_system.h"
#include "storage/partition_log.h"

namespace millstream::engine {

class IdempotencyStore {
 public:
  struct Entry {
    std::string request_digest;  // tells a true repeat from another request reusing the key
    int32_t answer_status = 0;   // opaque to the store: the HTTP status and JSON body sent
    std::string answer;
    int64_t created_ms = 0;
  };

  // Keys longer than this are refused by the HTTP layer (and never stored).
  static constexpr size_t kMaxKeyBytes = 255;

  static Task<Result<std::unique_ptr<IdempotencyStore>>> Open(storage::io::FileSystem& fs,
                                                              EventLoop& loop, const Clock& clock,
                                                              std::string dir, int64_t window_ms);
  ~IdempotencyStore();
  IdempotencyStore(const IdempotencyStore&) = delete;
  IdempotencyStore& operator=(const IdempotencyStore&) = delete;

  // The answer stored for `key`, or nullptr when there is none within the window.
  const Entry* Find(const std::string& key) const;
  // Marks `key` as being answered now; false when another request holds it (the
  // caller answers "in progress" rather than appending twice). Release() ends it.
  bool TryClaim(const std::string& key);
  void Release(const std::string& key);
  // Records the answer for `key`, durable on Ok. Errors are the log's.
  Task<Status> Put(const std::string& key, Entry entry);
  size_t size() const { return entries_.size(); }

  // Refuses new keys (ShuttingDown) and closes the log; lookups keep working.
  Task<Status> Close();

 private:
  IdempotencyStore(const Clock& clock, int64_t window_ms) : clock_(clock), window_ms_(window_ms) {}
  Task<Status> Load();
  // Forgets keys older than the window, in memory and (whole segments) on disk.
  Task<void> Expire();

  const Clock& clock_;
  const int64_t window_ms_;
  std::unique_ptr<storage::PartitionLog> log_;
  std::map<std::string, Entry> entries_;
  std::set<std::string> claimed_;
  int64_t last_expiry_ms_ = 0;
  bool closing_ = false;
};

}  // namespace millstream::engine
