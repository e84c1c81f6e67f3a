#include "engine/idempotency_store.h"

#include <spdlog/spdlog.h>

#include "base/byte_fields.h"
#include "engine/internal_log.h"
#include "storage/batch_builder.h"

namespace millstream::engine {

namespace {

constexpr uint8_t kFormatVersion = 0;
constexpr int64_t kExpiryIntervalMs = 60'000;

std::string EncodeEntry(const IdempotencyStore::Entry& entry) {
  ByteFieldWriter w;
  w.U8(kFormatVersion);
  w.Int<int64_t>(entry.created_ms);
  w.Int<int32_t>(entry.answer_status);
  w.Str16(entry.request_digest);
  w.Str32(entry.answer);
  return std::move(w.str());
}

bool DecodeEntry(std::string_view bytes, IdempotencyStore::Entry& entry) {
  ByteFieldReader r(bytes);
  if (r.U8() != kFormatVersion) return false;
  entry.created_ms = r.Int<int64_t>();
  entry.answer_status = r.Int<int32_t>();
  entry.request_digest = r.Str16();
  entry.answer = r.Str32();
  return r.ok() && r.done();
}

}  // namespace

Task<Result<std::unique_ptr<IdempotencyStore>>> IdempotencyStore::Open(storage::io::FileSystem& fs,
                                                                       EventLoop& loop,
                                                                       const Clock& clock,
                                                                       std::string dir,
                                                                       int64_t window_ms) {
  std::unique_ptr<IdempotencyStore> store(new IdempotencyStore(clock, window_ms));
  storage::LogConfig config;
  config.segment_bytes = 16ull << 20;
  // Roll at least once per window, so that time retention can drop whole old segments.
  config.segment_ms = std::max<int64_t>(window_ms, 1000);
  config.write_buffer_bytes = 1u << 20;
  config.preallocate_bytes = 1u << 20;
  Result<std::unique_ptr<storage::PartitionLog>> log =
      co_await OpenInternalLog(fs, loop, clock, dir, config, "idempotency keys");
  if (!log.ok()) co_return log.status();
  store->log_ = std::move(*log);
  Status loaded = co_await store->Load();
  if (!loaded.ok()) {
    (void)co_await store->log_->Close();
    co_return loaded.WithContext("load idempotency keys from " + dir);
  }
  co_return store;
}

IdempotencyStore::~IdempotencyStore() = default;

Task<Status> IdempotencyStore::Load() {
  int64_t oldest = clock_.Now().value() - window_ms_;
  // Named, not written inside the co_await: GCC 12 mishandles a lambda converted
  // to std::function there (docs/architecture.md).
  std::function<Status(const storage::RecordView&)> load = [&](const storage::RecordView& record) {
    Entry entry;
    if (!record.key || !record.value || !DecodeEntry(AsView(*record.value), entry)) {
      // Loud, not fatal: the broker keeps serving; only a repeat of this one
      // request could now be appended twice.
      spdlog::error("idempotency keys: record at offset {} does not decode; skipped", record.offset.value());
      return Status::Ok();
    }
    if (entry.created_ms >= oldest) entries_[std::string(AsView(*record.key))] = std::move(entry);
    return Status::Ok();
  };
  co_return co_await ForEachRecord(*log_, log_->log_start_offset(), std::move(load));
}

const IdempotencyStore::Entry* IdempotencyStore::Find(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.created_ms < clock_.Now().value() - window_ms_) return nullptr;
  return &it->second;
}

bool IdempotencyStore::TryClaim(const std::string& key) { return claimed_.insert(key).second; }

void IdempotencyStore::Release(const std::string& key) { claimed_.erase(key); }

Task<Status> IdempotencyStore::Put(const std::string& key, Entry entry) {
  if (closing_) co_return ShuttingDown("idempotency keys are closing");
  std::string value = EncodeEntry(entry);
  storage::BatchBuilder builder;
  builder.Add(key, value, TimestampMs(entry.created_ms));
  std::vector<std::byte> batch = builder.Build();
  Result<storage::AppendInfo> appended = co_await log_->Append(batch);
  if (!appended.ok()) co_return appended.status();
  CO_RETURN_IF_ERROR(co_await log_->WaitDurable(*appended));
  entries_[key] = std::move(entry);
  if (clock_.Now().value() - last_expiry_ms_ >= kExpiryIntervalMs) co_await Expire();
  co_return Status::Ok();
}

Task<void> IdempotencyStore::Expire() {
  int64_t now = clock_.Now().value();
  last_expiry_ms_ = now;
  std::erase_if(entries_, [&](const auto& kv) { return kv.second.created_ms < now - window_ms_; });
  storage::RetentionPolicy policy{.retention_ms = window_ms_};
  storage::RetentionPin nothing_pinned = [](const storage::SegmentStats&) { return false; };
  Result<int> deleted = co_await log_->ApplyRetention(policy, nothing_pinned);
  // Old keys only cost disk until the next run: an error here is logged, not fatal.
  if (!deleted.ok()) spdlog::warn("expiring idempotency keys: {}", deleted.status().ToString());
}

Task<Status> IdempotencyStore::Close() {
  closing_ = true;
  co_return co_await log_->Close();
}

}  // namespace millstream::engine
