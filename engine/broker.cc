#include "engine/broker.h"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <functional>
#include <future>
#include <thread>

#include "base/clock.h"
#include "storage/data_dir.h"
#include "storage/io/uring_file_system.h"

namespace millstream::engine {

namespace {

std::string TopicDir(const std::string& data_dir, const std::string& topic) {
  return storage::io::JoinPath(storage::TopicsRoot(data_dir), topic);
}

std::string TopicFile(const std::string& data_dir, const std::string& topic) {
  return storage::io::JoinPath(TopicDir(data_dir, topic), "topic.json");
}

// Writes `text` to `path` durably: a temporary file, fdatasync, rename, dir sync.
Task<Status> WriteFileDurably(storage::io::FileSystem& fs, const std::string& path,
                              std::string text) {
  CO_RETURN_IF_ERROR(co_await storage::io::ReplaceFile(fs, path, AsBytes(text)));
  co_return fs.SyncDir(storage::io::DirName(path));
}

Task<Status> RemoveTree(storage::io::FileSystem& fs, std::string dir) {
  CO_ASSIGN_OR_RETURN(std::vector<std::string> names, fs.List(dir));
  for (const std::string& name : names) {
    std::string path = storage::io::JoinPath(dir, name);
    Status removed = fs.Remove(path);
    if (!removed.ok()) CO_RETURN_IF_ERROR(co_await RemoveTree(fs, path));
  }
  co_return fs.RemoveDir(dir);
}

std::string ProducerStatePath(const std::string& partition_dir) {
  return storage::io::JoinPath(partition_dir, "producer_state.snapshot");
}

// The snapshot written at the last clean close, then every batch after it (from
// the active segment at the earliest: producers only seen before lose their
// state, and are then accepted with any sequence, as Kafka does).
Task<Status> LoadProducerState(storage::io::FileSystem& fs, storage::PartitionLog& log,
                               ProducerStateTable& producers, const std::string& dir) {
  Offset from = log.SegmentStatsList().back().base_offset;
  Result<std::vector<std::byte>> snapshot = co_await storage::io::ReadWholeFile(fs, ProducerStatePath(dir));
  if (snapshot.ok()) {
    Result<Offset> covered = producers.Decode(*snapshot);
    if (!covered.ok()) {
      spdlog::warn("{}: {}; rebuilding from the log", dir, covered.status().ToString());
    } else if (*covered < from || *covered > log.next_offset()) {
      // Batches between the snapshot and the active segment would be missed: a
      // stale sequence would refuse the producer's next batch. Start empty instead.
      producers = ProducerStateTable();
    } else {
      from = *covered;
    }
  }
  for (Offset next = std::max(from, log.log_start_offset()); next < log.written_end_offset();) {
    Result<storage::ReadResult> read = co_await log.Read(next, 1 << 20);
    if (!read.ok()) co_return read.status();
    ConstBytes rest = read->bytes;
    while (rest.size() >= 61) {
      storage::BatchHeader h = *storage::PeekBatchHeader(rest);
      if (h.last_offset() >= next) producers.Record(h);
      rest = rest.subspan(std::min(rest.size(), h.total_size()));
    }
    if (read->next_offset <= next) break;
    next = read->next_offset;
  }
  co_return Status::Ok();
}

}  // namespace

Task<Status> Broker::SaveProducerState(Partition& partition, std::string dir) {
  Shard& shard = *shards_[partition.shard];
  std::vector<std::byte> bytes = partition.producers.Encode(partition.log->next_offset());
  co_return co_await WriteFileDurably(shard.fs(), ProducerStatePath(dir),
                                      std::string(AsStringView(bytes)));
}

Status Broker::LockDataDir() {
  // Two brokers on one data directory would interleave writes to the same logs:
  // the second is refused. An advisory lock on DIR/lock, held while this process
  // lives (the kernel drops it when the process dies, also after a SIGKILL).
  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir, ec);
  if (ec) return IoError("create " + config_.data_dir + ": " + ec.message());
  std::string path = storage::io::JoinPath(config_.data_dir, "lock");
  lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return StatusFromErrno(errno, "open " + path);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(lock_fd_);
    lock_fd_ = -1;
    if (err == EWOULDBLOCK) return Busy("data directory " + config_.data_dir + " is in use by another broker");
    return StatusFromErrno(err, "lock " + path);
  }
  return Status::Ok();
}

Result<std::unique_ptr<Broker>> Broker::Open(BrokerConfig config) {
  std::unique_ptr<Broker> broker(new Broker(std::move(config)));
  RETURN_IF_ERROR(broker->LockDataDir());
  int n = broker->config_.shards > 0 ? broker->config_.shards
                                     : std::max(1u, std::thread::hardware_concurrency());
  for (int i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<Shard> shard, Shard::Create(i));
    shard->Start();
    broker->shards_.push_back(std::move(shard));
  }
  Status loaded = broker->ReserveProducerIds();
  if (loaded.ok()) loaded = broker->LoadTopics();
  if (loaded.ok()) {
    Result<std::unique_ptr<CheckpointStore>> checkpoints =
        CheckpointStore::Open(*broker->shards_[0], broker->config_.data_dir);
    if (checkpoints.ok()) {
      broker->checkpoints_ = std::move(*checkpoints);
    } else {
      loaded = checkpoints.status();
    }
  }
  if (loaded.ok()) {
    std::vector<Shard*> shards;
    for (auto& shard : broker->shards_) shards.push_back(shard.get());
    Result<std::unique_ptr<GroupCoordinator>> groups =
        GroupCoordinator::Open(std::move(shards), broker->config_.data_dir, broker->config_.groups,
                               broker->config_.group_clock != nullptr ? *broker->config_.group_clock
                                                                      : SystemClock::Instance());
    if (groups.ok()) {
      broker->groups_ = std::move(*groups);
    } else {
      loaded = groups.status();
    }
  }
  if (!loaded.ok()) {
    broker->Shutdown().IgnoreError();
    return loaded;
  }
  {
    // The first verdict before any produce is served, then every disk_check_ms.
    Broker* raw = broker.get();
    Shard& first = *broker->shards_[0];
    first.Post([raw, &first] { first.loop().Spawn(DiskWatchLoop(raw)); });
  }
  for (size_t i = 0; i < broker->shards_.size(); ++i) {
    broker->retention_wakers_.push_back(std::make_unique<TimedWaitList>());
    Broker* raw = broker.get();
    Shard& shard = *broker->shards_[i];
    shard.Post([raw, i, &shard] { shard.loop().Spawn(RetentionLoop(raw, i)); });
  }
  return broker;
}

Broker::~Broker() {
  Shutdown().IgnoreError();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

int Broker::ShardFor(const std::string& topic, int32_t partition) const {
  size_t h = std::hash<std::string>()(topic);
  return static_cast<int>((h + static_cast<size_t>(partition)) % shards_.size());
}

storage::LogConfig Broker::LogConfigFor(const TopicConfig& config) const {
  storage::LogConfig log;
  log.segment_bytes = static_cast<uint64_t>(config.segment_bytes);
  log.write_buffer_bytes = std::max<size_t>(config_.write_buffer_bytes,
                                            static_cast<size_t>(config.max_message_bytes) + 8192);
  log.io_class = config.priority_class;
  return log;
}

Task<Status> Broker::OpenPartition(Partition& partition, std::string dir, storage::LogConfig config) {
  Shard& shard = *shards_[partition.shard];
  config.flush_scheduler = &shard.flush_scheduler();
  storage::RecoveryReport report;
  Result<std::unique_ptr<storage::PartitionLog>> log = co_await storage::PartitionLog::Open(
      shard.fs(), shard.loop(), SystemClock::Instance(), dir, config, &report);
  if (!log.ok()) co_return log.status();
  for (const std::string& problem : report.problems) spdlog::error("{}", problem);
  if (report.bytes_scanned > 0 || !report.problems.empty()) {
    spdlog::info("recovered {}: offsets [{}, {}), {} segments, {} bytes scanned, {} torn bytes cut",
                 dir, (*log)->log_start_offset().value(), (*log)->next_offset().value(),
                 report.segments, report.bytes_scanned, report.torn_bytes_truncated);
  }
  partition.log = std::move(*log);
  co_return co_await LoadProducerState(shard.fs(), *partition.log, partition.producers, dir);
}

// Producer ids come in blocks: the end of the current block is made durable before
// any id of it is handed out, so a restart (clean or not) starts after it.
constexpr int64_t kProducerIdBlock = 1'000'000;

Status Broker::ReserveProducerIds() {
  ASSIGN_OR_RETURN(std::unique_ptr<EventLoop> loop, EventLoop::Create());
  storage::io::UringFileSystem fs(*loop);
  RETURN_IF_ERROR(fs.CreateDirs(config_.data_dir));
  std::string path = storage::io::JoinPath(config_.data_dir, "producer_ids");
  int64_t start = 0;
  Result<std::vector<std::byte>> text = loop->Run(storage::io::ReadWholeFile(fs, path));
  if (text.ok()) {
    std::string digits(AsStringView(*text));
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), start);
    if (ec != std::errc() || start < 0) return Corruption(path + " does not hold a producer id");
  } else if (text.status().code() != StatusCode::kNotFound) {
    return text.status();
  }
  RETURN_IF_ERROR(loop->Run(WriteFileDurably(fs, path, std::to_string(start + kProducerIdBlock) + "\n")));
  next_producer_id_ = start;
  producer_id_limit_ = start + kProducerIdBlock;
  return Status::Ok();
}

Result<int64_t> Broker::AllocateProducerId() {
  int64_t id = next_producer_id_++;
  if (id >= producer_id_limit_) {
    return Busy("this broker run handed out its block of " + std::to_string(kProducerIdBlock) +
                " producer ids; restart it for the next block");
  }
  return id;
}

Status Broker::LoadTopics() {
  // Runs before anything is served, on the calling thread with a loop of its own
  // for the catalog files; each partition opens (and recovers) on its shard.
  ASSIGN_OR_RETURN(std::unique_ptr<EventLoop> loop, EventLoop::Create());
  storage::io::UringFileSystem fs(*loop);
  std::string root = storage::TopicsRoot(config_.data_dir);
  RETURN_IF_ERROR(fs.CreateDirs(root));
  ASSIGN_OR_RETURN(std::vector<std::string> names, fs.List(root));
  std::vector<std::future<Status>> opening;
  for (const std::string& name : names) {
    if (!ValidateTopicName(name).ok()) continue;  // a stray entry, not a topic
    Result<std::vector<std::byte>> text = loop->Run(storage::io::ReadWholeFile(fs, TopicFile(config_.data_dir, name)));
    if (!text.ok()) {
      spdlog::error("topic {}: cannot read topic.json: {}; not served", name, text.status().ToString());
      continue;
    }
    Result<TopicConfig> topic_config = TopicConfig::FromJson(std::string(AsStringView(*text)));
    if (!topic_config.ok()) {
      spdlog::error("topic {}: {}; not served", name, topic_config.status().ToString());
      continue;
    }
    auto topic = std::make_shared<Topic>();
    topic->name = name;
    topic->config = *topic_config;
    for (int32_t p = 0; p < topic->config.partitions; ++p) {
      auto partition = std::make_unique<Partition>();
      partition->shard = ShardFor(name, p);
      auto promise = std::make_shared<std::promise<Status>>();
      opening.push_back(promise->get_future());
      Partition* raw = partition.get();
      std::string dir = storage::PartitionPath(config_.data_dir, name, p);
      storage::LogConfig log_config = LogConfigFor(topic->config);
      Shard* shard = shards_[raw->shard].get();
      shard->Post([this, shard, raw, dir, log_config, promise] {
        shard->loop().Spawn([](Broker* self, Partition* part, std::string d, storage::LogConfig c,
                               std::shared_ptr<std::promise<Status>> done) -> Task<void> {
          done->set_value(co_await self->OpenPartition(*part, d, c));
        }(this, raw, dir, log_config, promise));
      });
      topic->partitions.push_back(std::move(partition));
    }
    std::lock_guard<std::mutex> lock(mu_);
    topics_[name] = topic;
  }
  Status first;
  for (auto& f : opening) {
    Status s = f.get();
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

Status Broker::Shutdown() {
  if (shut_down_) return Status::Ok();
  shut_down_ = true;
  stopping_ = true;
  for (size_t i = 0; i < retention_wakers_.size(); ++i) {
    TimedWaitList* waker = retention_wakers_[i].get();
    shards_[i]->Post([waker] { waker->Notify(); });
  }
  if (!shards_.empty()) shards_[0]->Post([this] { disk_waker_.Notify(); });
  // Groups first: their commits append to logs of their own, on the same shards.
  Status groups_closed = groups_ ? groups_->Close() : Status::Ok();
  std::map<std::string, std::shared_ptr<Topic>> topics;
  {
    std::lock_guard<std::mutex> lock(mu_);
    topics.swap(topics_);
  }
  std::vector<std::future<Status>> closing;
  for (auto& [name, topic] : topics) {
    for (size_t index = 0; index < topic->partitions.size(); ++index) {
      Partition* partition = topic->partitions[index].get();
      if (!partition->log) continue;
      auto promise = std::make_shared<std::promise<Status>>();
      closing.push_back(promise->get_future());
      Shard* shard = shards_[partition->shard].get();
      std::string dir = storage::PartitionPath(config_.data_dir, name, static_cast<int32_t>(index));
      bool posted = shard->Post([this, shard, partition, dir, promise] {
        shard->loop().Spawn([](Broker* self, Partition* part, std::string d,
                               std::shared_ptr<std::promise<Status>> done) -> Task<void> {
          Status closed = co_await part->log->Close();
          // The producers' sequences go with the log, so retries after the restart
          // are still recognised without replaying the log.
          if (closed.ok()) closed = co_await self->SaveProducerState(*part, d);
          done->set_value(closed);
        }(this, partition, dir, promise));
      });
      if (!posted) promise->set_value(ShuttingDown("shard stopped"));
    }
  }
  Status first = groups_closed;
  for (auto& f : closing) {
    Status s = f.get();
    if (!s.ok() && first.ok()) first = s;
  }
  // The logs go on their own shards' threads... they are closed; destroy them here
  // only after the shards stopped, so nothing runs on them any more.
  for (auto& shard : shards_) shard->Stop();
  topics.clear();
  return first;
}

void Broker::CheckFreeSpace(Shard& shard) {
  Result<uint64_t> free = shard.fs().FreeBytes(config_.data_dir);
  if (!free.ok()) return;  // keep the last verdict; the next check tries again
  disk_free_bytes_ = *free;
  bool low = config_.min_free_bytes > 0 && *free < config_.min_free_bytes;
  if (low == disk_low_) return;
  disk_low_ = low;
  if (low) {
    spdlog::error("disk nearly full: {} bytes free on {}, below --min-free-bytes {}: produce is refused "
                  "(KAFKA_STORAGE_ERROR, retriable) until space returns; fetch, commits and checkpoints go on",
                  *free, config_.data_dir, config_.min_free_bytes);
  } else {
    spdlog::info("disk space returned: {} bytes free on {}: produce resumes", *free, config_.data_dir);
  }
}

Task<void> Broker::DiskWatchLoop(Broker* broker) {
  Shard& shard = *broker->shards_[0];
  while (true) {
    broker->CheckFreeSpace(shard);
    // Checked right before the wait, with no suspension in between: the stop's
    // Notify runs on this shard too, so it comes before (and ends the loop here)
    // or after the wait began (and wakes it).
    if (broker->stopping_) break;
    co_await broker->disk_waker_.WaitFor(shard.loop(), broker->config_.disk_check_ms);
  }
}

Task<void> Broker::RetentionLoop(Broker* broker, size_t shard_index) {
  Shard& shard = *broker->shards_[shard_index];
  while (!broker->stopping_) {
    co_await broker->retention_wakers_[shard_index]->WaitFor(shard.loop(), broker->config_.retention_check_ms);
    if (broker->stopping_) break;
    co_await broker->ApplyRetentionOn(shard_index);
  }
}

// Deletes old sealed segments of every partition this shard owns, by its topic's
// retention.ms and retention.bytes. Runs on the shard.
Task<void> Broker::ApplyRetentionOn(size_t shard_index) {
  std::vector<std::pair<std::shared_ptr<Topic>, storage::RetentionPolicy>> topics;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, topic] : topics_) {
      topics.push_back({topic, {topic->config.retention_bytes, topic->config.retention_ms}});
    }
  }
  for (auto& [topic, policy] : topics) {
    for (size_t index = 0; index < topic->partitions.size(); ++index) {
      Partition* partition = topic->partitions[index].get();
      if (partition->shard != static_cast<int>(shard_index) || !partition->log) continue;
      // A pinned checkpoint keeps every segment with records at or after its cut.
      std::optional<int64_t> pinned = checkpoints_->PinnedFrom(topic->name, static_cast<int32_t>(index));
      storage::RetentionPin pin = [pinned](const storage::SegmentStats& s) {
        return pinned && s.next_offset.value() > *pinned;
      };
      Result<int> deleted = co_await partition->log->ApplyRetention(policy, pin, &partition->pinned_bytes);
      if (!deleted.ok()) {
        spdlog::error("retention of {}: {}", partition->log->dir(), deleted.status().ToString());
      } else if (*deleted > 0) {
        spdlog::info("retention deleted {} segments of {}", *deleted, partition->log->dir());
      }
    }
  }
}

Task<Status> Broker::AlterTopicConfig(Shard& current, std::string name,
                                      std::map<std::string, std::string> settings,
                                      bool validate_only) {
  std::shared_ptr<Topic> topic = Lookup(name);
  if (!topic) co_return NotFound("unknown topic " + name);
  TopicConfig config = config_.topic_defaults;
  {
    std::lock_guard<std::mutex> lock(mu_);
    config.partitions = topic->config.partitions;
  }
  CO_RETURN_IF_ERROR(config.Apply(settings));
  if (validate_only) co_return Status::Ok();
  CO_RETURN_IF_ERROR(co_await WriteFileDurably(current.fs(), TopicFile(config_.data_dir, name), config.ToJson()));
  std::lock_guard<std::mutex> lock(mu_);
  topic->config = config;
  spdlog::info("changed the settings of topic {}", name);
  co_return Status::Ok();
}

std::vector<Broker::TopicInfo> Broker::Topics() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<TopicInfo> out;
  for (const auto& [name, topic] : topics_) out.push_back({name, topic->config});
  return out;
}

std::optional<Broker::TopicInfo> Broker::FindTopic(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = topics_.find(name);
  if (it == topics_.end()) return std::nullopt;
  return TopicInfo{it->second->name, it->second->config};  // config changes under mu_
}

std::shared_ptr<Broker::Topic> Broker::Lookup(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second;
}

Result<Broker::Partition*> Broker::LookupPartition(const std::string& topic, int32_t partition,
                                                   std::shared_ptr<Topic>& keep) const {
  keep = Lookup(topic);
  if (!keep) return NotFound("unknown topic " + topic);
  if (partition < 0 || partition >= static_cast<int32_t>(keep->partitions.size())) {
    return NotFound("unknown partition " + topic + "/" + std::to_string(partition));
  }
  return keep->partitions[partition].get();
}

Task<Status> Broker::CreateTopic(Shard& current, std::string name, TopicConfig config) {
  CO_RETURN_IF_ERROR(ValidateTopicName(name));
  if (config.partitions < 1 || config.partitions > 10000) {
    co_return InvalidArgument("partitions must be between 1 and 10000");
  }
  {
    // The name is reserved before any I/O: two creations of one topic (a request
    // and an auto-creation) must not write the same files.
    std::lock_guard<std::mutex> lock(mu_);
    if (topics_.count(name) || creating_.count(name)) co_return Busy("topic " + name + " already exists");
    creating_.insert(name);
  }
  Status created = co_await CreateTopicFiles(current, name, config);
  std::lock_guard<std::mutex> lock(mu_);
  creating_.erase(name);
  co_return created;
}

Task<Status> Broker::CreateTopicFiles(Shard& current, std::string name, TopicConfig config) {
  auto topic = std::make_shared<Topic>();
  topic->name = name;
  topic->config = config;
  Status written = co_await WriteTopic(current, *topic);
  if (!written.ok()) {
    // Nothing of a topic that failed halfway stays: its open logs are closed and
    // its files removed, so neither this process nor the next start sees a part.
    Status dropped = co_await DropTopicFiles(current, *topic);
    if (!dropped.ok()) {
      spdlog::error("removing what was created of topic {} failed: {}", name, dropped.ToString());
    }
    co_return written.WithContext("create topic " + name);
  }
  std::lock_guard<std::mutex> lock(mu_);
  topics_[name] = topic;
  spdlog::info("created topic {} with {} partitions", name, config.partitions);
  co_return Status::Ok();
}

Task<Status> Broker::WriteTopic(Shard& current, Topic& topic) {
  const std::string& name = topic.name;
  CO_RETURN_IF_ERROR(current.fs().CreateDirs(TopicDir(config_.data_dir, name)));
  // The new directory's name must survive a power loss like the data in it.
  CO_RETURN_IF_ERROR(current.fs().SyncDir(storage::TopicsRoot(config_.data_dir)));
  CO_RETURN_IF_ERROR(co_await WriteFileDurably(current.fs(), TopicFile(config_.data_dir, name), topic.config.ToJson()));
  for (int32_t p = 0; p < topic.config.partitions; ++p) {
    auto partition = std::make_unique<Partition>();
    partition->shard = ShardFor(name, p);
    Partition* raw = partition.get();
    std::string dir = storage::PartitionPath(config_.data_dir, name, p);
    storage::LogConfig log_config = LogConfigFor(topic.config);
    // Named work and awaiter: GCC 12 destroys temporaries built inside a co_await
    // expression twice when they are passed into the awaited object.
    std::function<Task<Status>()> work = [this, raw, dir, log_config] {
      return OpenPartition(*raw, dir, log_config);
    };
    RunOnShard<Status> hop(current, *shards_[raw->shard], std::move(work));
    Status opened = co_await hop;
    CO_RETURN_IF_ERROR(opened);
    topic.partitions.push_back(std::move(partition));
  }
  co_return current.fs().SyncDir(TopicDir(config_.data_dir, name));
}

Task<Status> Broker::DropTopicFiles(Shard& current, const Topic& topic) {
  for (const auto& partition : topic.partitions) {
    storage::PartitionLog* log = partition->log.get();
    std::function<Task<Status>()> work = [log] { return log->Close(); };
    RunOnShard<Status> hop(current, *shards_[partition->shard], std::move(work));
    Status closed = co_await hop;
    closed.IgnoreError();  // the files go anyway
  }
  CO_RETURN_IF_ERROR(co_await RemoveTree(current.fs(), TopicDir(config_.data_dir, topic.name)));
  co_return current.fs().SyncDir(storage::TopicsRoot(config_.data_dir));
}

Task<Status> Broker::DeleteTopic(Shard& current, std::string name) {
  std::shared_ptr<Topic> topic;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = topics_.find(name);
    if (it == topics_.end()) co_return NotFound("unknown topic " + name);
    topic = it->second;
    topics_.erase(it);
  }
  // The logs are closed; in-flight operations hold `topic` until they finish.
  CO_RETURN_IF_ERROR(co_await DropTopicFiles(current, *topic));
  spdlog::info("deleted topic {}", name);
  co_return Status::Ok();
}

Task<Result<Broker::TopicInfo>> Broker::EnsureTopic(Shard& current, const std::string& name) {
  if (std::optional<TopicInfo> info = FindTopic(name)) co_return *info;
  if (!config_.auto_create_topics) co_return NotFound("unknown topic " + name);
  TopicConfig config = config_.topic_defaults;
  config.partitions = config_.default_partitions;
  Status created = co_await CreateTopic(current, name, config);
  if (!created.ok() && created.code() != StatusCode::kBusy) co_return created;
  std::optional<TopicInfo> info = FindTopic(name);
  // Busy while another request is still creating it: the client retries.
  if (!info) co_return Busy("topic " + name + " is being created");
  co_return *info;
}

namespace {

Task<Result<ProduceResult>> AppendHere(storage::PartitionLog& log, ProducerStateTable& producers,
                                       PartitionTraffic& traffic, MutableBytes batch,
                                       TimestampType timestamp_type, storage::IoClass priority_class) {
  log.set_io_class(priority_class);  // the topic's, which AlterConfigs may have changed
  std::optional<storage::BatchHeader> header = storage::PeekBatchHeader(batch);
  if (!header) co_return Corruption("batch shorter than its header");
  ProducerStateTable::Verdict verdict = producers.Check(*header);
  ProduceResult result{.check = verdict.check};
  if (verdict.check == SequenceCheck::kOutOfOrder || verdict.check == SequenceCheck::kFencedEpoch) {
    co_return result;
  }
  if (verdict.check == SequenceCheck::kDuplicate) {
    // A retry: answer the first attempt's offsets once they are as safe as asked.
    // Generation 0 makes the wait fail if any write failure since may have dropped it.
    result.info = {verdict.duplicate_of.first_offset, verdict.duplicate_of.last_offset,
                   header->max_timestamp, 0};
    co_return result;
  }
  if (timestamp_type == TimestampType::kLogAppendTime) {
    // Checked before stamping: the stamp rewrites the CRC, which would hide damage.
    if (Result<storage::BatchHeader> valid = storage::ValidateBatch(batch); !valid.ok()) {
      co_return valid.status();
    }
    result.log_append_time = SystemClock::Instance().Now();
    storage::StampLogAppendTime(batch, result.log_append_time);
  }
  Result<storage::AppendInfo> info = co_await log.Append(batch);
  if (!info.ok()) co_return info.status();
  result.info = *info;
  ++traffic.produce_batches;
  traffic.produce_records += static_cast<uint64_t>(header->records_count);
  traffic.produce_bytes += batch.size();
  // Recorded at once, before any wait: the producer's next batch may arrive while
  // this one is still being written.
  header->base_offset = info->base_offset;
  producers.Record(*header);
  co_return result;
}

Task<Status> AwaitHere(storage::PartitionLog& log, TimedWaitList& waiters,
                       storage::AppendInfo appended, Acks acks) {
  // Readers see written data: wake the fetches waiting for it once it is.
  Status written = co_await log.WaitWritten(appended);
  waiters.Notify();
  if (!written.ok() || acks != Acks::kDurable) co_return written;
  co_return co_await log.WaitDurable(appended);
}

}  // namespace

Task<Result<ProduceResult>> Broker::Produce(Shard& current, const std::string& topic,
                                            int32_t partition, MutableBytes batch, Acks acks) {
  Result<ProduceResult> result = co_await Append(current, topic, partition, batch);
  if (!result.ok() || result->check == SequenceCheck::kOutOfOrder ||
      result->check == SequenceCheck::kFencedEpoch) {
    co_return result;
  }
  Status acked = co_await AwaitAcks(current, topic, partition, result->info, acks);
  if (!acked.ok()) co_return acked;
  co_return result;
}

Task<Result<ProduceResult>> Broker::Append(Shard& current, const std::string& topic,
                                           int32_t partition, MutableBytes batch) {
  if (disk_low_) {
    co_return NoSpace("only " + std::to_string(disk_free_bytes_.load()) + " bytes free on " + config_.data_dir +
                      " (--min-free-bytes " + std::to_string(config_.min_free_bytes) + ")");
  }
  std::shared_ptr<Topic> keep;
  CO_ASSIGN_OR_RETURN(Partition* p, LookupPartition(topic, partition, keep));
  TimestampType timestamp_type;
  storage::IoClass priority_class;
  {
    std::lock_guard<std::mutex> lock(mu_);  // AlterConfigs changes the config under mu_
    timestamp_type = keep->config.timestamp_type;
    priority_class = keep->config.priority_class;
  }
  std::function<Task<Result<ProduceResult>>()> work = [p, batch, timestamp_type, priority_class] {
    return AppendHere(*p->log, p->producers, p->traffic, batch, timestamp_type, priority_class);
  };
  RunOnShard<Result<ProduceResult>> hop(current, *shards_[p->shard], std::move(work));
  co_return co_await hop;
}

Task<Status> Broker::AwaitAcks(Shard& current, const std::string& topic, int32_t partition,
                               storage::AppendInfo appended, Acks acks) {
  std::shared_ptr<Topic> keep;
  CO_ASSIGN_OR_RETURN(Partition* p, LookupPartition(topic, partition, keep));
  std::function<Task<Status>()> work = [p, appended, acks] {
    return AwaitHere(*p->log, p->data_waiters, appended, acks);
  };
  RunOnShard<Status> hop(current, *shards_[p->shard], std::move(work));
  co_return co_await hop;
}

namespace {

PartitionState StateOf(const storage::PartitionLog& log) {
  return {log.log_start_offset(), log.written_end_offset()};
}

Task<Result<FetchResult>> FetchHere(storage::PartitionLog& log, TimedWaitList& waiters,
                                    EventLoop& loop, Offset offset, size_t max_bytes, size_t min_bytes,
                                    int32_t max_wait_ms) {
  int64_t deadline = SystemClock::Instance().MonotonicNanos() + int64_t{max_wait_ms} * 1'000'000;
  while (true) {
    Result<storage::ReadResult> read = co_await log.Read(offset, max_bytes);
    if (!read.ok()) co_return read.status();
    int64_t left_ms = (deadline - SystemClock::Instance().MonotonicNanos()) / 1'000'000;
    if (read->bytes.size() >= std::max<size_t>(min_bytes, 1) || left_ms <= 0) {
      co_return FetchResult{std::move(read->bytes), StateOf(log)};
    }
    // A long poll: new data or the deadline, whichever comes first.
    co_await waiters.WaitFor(loop, left_ms);
  }
}

}  // namespace

Task<Result<FetchResult>> Broker::Fetch(Shard& current, const std::string& topic, int32_t partition,
                                        Offset offset, size_t max_bytes, size_t min_bytes,
                                        int32_t max_wait_ms) {
  std::shared_ptr<Topic> keep;
  CO_ASSIGN_OR_RETURN(Partition* p, LookupPartition(topic, partition, keep));
  Shard* owner = shards_[p->shard].get();
  std::function<Task<Result<FetchResult>>()> work = [p, owner, offset, max_bytes, min_bytes, max_wait_ms] {
    return FetchHere(*p->log, p->data_waiters, owner->loop(), offset, max_bytes, min_bytes,
                     max_wait_ms);
  };
  RunOnShard<Result<FetchResult>> hop(current, *owner, std::move(work));
  co_return co_await hop;
}

namespace {
Task<Result<PartitionState>> StateHere(storage::PartitionLog& log) { co_return StateOf(log); }
Task<Result<Offset>> LookupHere(storage::PartitionLog& log, TimestampMs ts) {
  co_return co_await log.LookupTimestamp(ts);
}
Task<Result<Offset>> DeleteRecordsHere(storage::PartitionLog& log, Offset offset) {
  if (offset.value() == -1) offset = log.written_end_offset();
  co_return co_await log.DeleteRecordsBefore(offset);
}
}  // namespace

Task<Result<PartitionState>> Broker::State(Shard& current, const std::string& topic, int32_t partition) {
  std::shared_ptr<Topic> keep;
  CO_ASSIGN_OR_RETURN(Partition* p, LookupPartition(topic, partition, keep));
  std::function<Task<Result<PartitionState>>()> work = [p] { return StateHere(*p->log); };
  RunOnShard<Result<PartitionState>> hop(current, *shards_[p->shard], std::move(work));
  co_return co_await hop;
}

Task<Result<Offset>> Broker::DeleteRecords(Shard& current, const std::string& topic,
                                           int32_t partition, Offset offset) {
  std::shared_ptr<Topic> keep;
  CO_ASSIGN_OR_RETURN(Partition* p, LookupPartition(topic, partition, keep));
  std::function<Task<Result<Offset>>()> work = [p, offset] { return DeleteRecordsHere(*p->log, offset); };
  RunOnShard<Result<Offset>> hop(current, *shards_[p->shard], std::move(work));
  co_return co_await hop;
}

Task<Result<Offset>> Broker::OffsetForTimestamp(Shard& current, const std::string& topic,
                                                int32_t partition, TimestampMs ts) {
  std::shared_ptr<Topic> keep;
  CO_ASSIGN_OR_RETURN(Partition* p, LookupPartition(topic, partition, keep));
  std::function<Task<Result<Offset>>()> work = [p, ts] { return LookupHere(*p->log, ts); };
  RunOnShard<Result<Offset>> hop(current, *shards_[p->shard], std::move(work));
  co_return co_await hop;
}

Task<std::vector<Broker::PartitionLag>> Broker::GroupLag(Shard& current, std::string group) {
  GroupOffsets committed = co_await groups_->FetchOffsets(current, group);
  std::vector<PartitionLag> out;
  for (const auto& [tp, value] : committed) {
    Result<PartitionState> state = co_await State(current, tp.topic, tp.partition);
    if (!state.ok()) continue;
    int64_t end = state->high_watermark.value();
    out.push_back({tp.topic, tp.partition, value.offset, end, std::max<int64_t>(end - value.offset, 0)});
  }
  co_return out;
}

std::vector<PartitionStats> Broker::CollectStats(const Shard& shard) const {
  MS_CHECK(shard.IsCurrent()) << "CollectStats runs on the shard it reads";
  std::vector<std::shared_ptr<Topic>> topics;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, topic] : topics_) topics.push_back(topic);
  }
  std::vector<PartitionStats> out;
  for (const std::shared_ptr<Topic>& topic : topics) {
    for (size_t i = 0; i < topic->partitions.size(); ++i) {
      const Partition& p = *topic->partitions[i];
      // A partition still opening (or left closed by a failed creation) has no log.
      if (p.shard != shard.id() || !p.log) continue;
      const storage::PartitionLog& log = *p.log;
      out.push_back({.topic = topic->name,
                     .partition = static_cast<int32_t>(i),
                     .log_start = log.log_start_offset().value(),
                     .high_watermark = log.written_end_offset().value(),
                     .durable_end = log.durable_end_offset().value(),
                     .disk_bytes = log.size_bytes(),
                     .segments = log.segment_count(),
                     .pinned_bytes = p.pinned_bytes,
                     .traffic = p.traffic,
                     .sync = log.sync_stats()});
    }
  }
  return out;
}

}  // namespace millstream::engine
