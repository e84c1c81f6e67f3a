#include "engine/checkpoint_store.h"

#include <spdlog/spdlog.h>
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/endian.h"
#include "storage/io/file_system.h"

namespace millstream::engine {

namespace {

constexpr char kMagic[8] = {'M', 'S', 'C', 'K', 'P', 'T', '0', '1'};
constexpr const char* kExtension = ".ckpt";

std::string DirOf(const std::string& data_dir) { return storage::io::JoinPath(data_dir, "checkpoints"); }

// magic, u32 length, JSON, u64 XXH3-64 of everything before (big-endian).
std::vector<std::byte> Frame(const std::string& json) {
  std::vector<std::byte> out(sizeof(kMagic) + 4 + json.size() + 8);
  std::memcpy(out.data(), kMagic, sizeof(kMagic));
  StoreBigEndian<uint32_t>(out.data() + sizeof(kMagic), static_cast<uint32_t>(json.size()));
  std::memcpy(out.data() + sizeof(kMagic) + 4, json.data(), json.size());
  uint64_t sum = XXH3_64bits(out.data(), out.size() - 8);
  StoreBigEndian<uint64_t>(out.data() + out.size() - 8, sum);
  return out;
}

Result<std::string> Unframe(const std::vector<std::byte>& bytes) {
  if (bytes.size() < sizeof(kMagic) + 4 + 8 || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return Corruption("not a checkpoint file (magic)");
  }
  uint32_t length = LoadBigEndian<uint32_t>(bytes.data() + sizeof(kMagic));
  if (sizeof(kMagic) + 4 + static_cast<size_t>(length) + 8 != bytes.size()) {
    return Corruption("length field does not match the file size");
  }
  if (XXH3_64bits(bytes.data(), bytes.size() - 8) != LoadBigEndian<uint64_t>(bytes.data() + bytes.size() - 8)) {
    return Corruption("checksum mismatch");
  }
  return std::string(reinterpret_cast<const char*>(bytes.data()) + sizeof(kMagic) + 4, length);
}

Task<Result<std::map<std::string, Checkpoint>>> LoadAll(storage::io::FileSystem* fs, std::string dir) {
  std::map<std::string, Checkpoint> out;
  CO_RETURN_IF_ERROR(fs->CreateDirs(dir));
  CO_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->List(dir));
  for (const std::string& file : names) {
    if (!file.ends_with(kExtension)) continue;  // a leftover .tmp of an interrupted save
    std::string path = storage::io::JoinPath(dir, file);
    Result<std::vector<std::byte>> bytes = co_await storage::io::ReadWholeFile(*fs, path);
    Result<Checkpoint> checkpoint = bytes.ok() ? DecodeCheckpointFile(*bytes) : Result<Checkpoint>(bytes.status());
    if (!checkpoint.ok()) {
      // Loud, not fatal: the broker serves; this checkpoint is not there (nor its pin).
      spdlog::error("checkpoint file {} is left out: {}", path, checkpoint.status().ToString());
      continue;
    }
    if (file != checkpoint->name + kExtension) {
      // A renamed file: its name is what Remove would delete, so refuse the mismatch.
      spdlog::error("checkpoint file {} is left out: it holds checkpoint {}", path, checkpoint->name);
      continue;
    }
    out[checkpoint->name] = std::move(*checkpoint);
  }
  co_return out;
}

Task<Status> WriteFile(storage::io::FileSystem* fs, std::string dir, std::string name, std::vector<std::byte> bytes) {
  std::string path = storage::io::JoinPath(dir, name + kExtension);
  CO_RETURN_IF_ERROR(co_await storage::io::ReplaceFile(*fs, path, bytes));
  co_return fs->SyncDir(dir);
}

Task<Status> RemoveFile(storage::io::FileSystem* fs, std::string dir, std::string name) {
  CO_RETURN_IF_ERROR(fs->Remove(storage::io::JoinPath(dir, name + kExtension)));
  co_return fs->SyncDir(dir);
}

}  // namespace

std::string Checkpoint::ToJson() const {
  nlohmann::json parts = nlohmann::json::array();
  for (const CutPartition& p : partitions) {
    parts.push_back({{"topic", p.topic}, {"partition", p.partition}, {"log_start_offset", p.log_start},
                     {"end_offset", p.end}, {"newest_timestamp_ms", p.newest_timestamp_ms}});
  }
  nlohmann::json offsets = nlohmann::json::array();
  for (const CutGroupOffset& g : groups) {
    offsets.push_back({{"group", g.group}, {"topic", g.topic}, {"partition", g.partition}, {"offset", g.offset}});
  }
  nlohmann::json j = {{"version", 1},       {"name", name},         {"created_ms", created_ms},
                      {"note", note},       {"pinned", pinned},     {"partitions", parts},
                      {"group_offsets", offsets}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Checkpoint> Checkpoint::FromJson(const std::string& text) {
  // nlohmann throws on a field of the wrong type (value() included): a damaged
  // but checksummed file must be refused, not crash the broker's start.
  try {
    return FromJsonOrThrow(text);
  } catch (const nlohmann::json::exception& e) {
    return Corruption(std::string("checkpoint JSON: ") + e.what());
  }
}

Result<Checkpoint> Checkpoint::FromJsonOrThrow(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || j.value("version", 0) != 1) {
    return Corruption("not a version 1 checkpoint");
  }
  // The name and the cut must be there; the rest has defaults.
  Checkpoint c;
  auto field_ok = [&](const char* key, auto check) { return j.contains(key) && check(j[key]); };
  if (!field_ok("name", [](const nlohmann::json& v) { return v.is_string(); }) ||
      !field_ok("partitions", [](const nlohmann::json& v) { return v.is_array(); })) {
    return Corruption("checkpoint without name or partitions");
  }
  c.name = j["name"].get<std::string>();
  c.created_ms = j.value("created_ms", int64_t{0});
  c.note = j.value("note", std::string());
  c.pinned = j.value("pinned", false);
  for (const nlohmann::json& p : j["partitions"]) {
    if (!p.is_object() || !p.contains("topic") || !p["topic"].is_string()) return Corruption("bad partition entry");
    c.partitions.push_back({p["topic"].get<std::string>(), p.value("partition", 0), p.value("log_start_offset", int64_t{0}),
                            p.value("end_offset", int64_t{0}), p.value("newest_timestamp_ms", int64_t{-1})});
  }
  if (j.contains("group_offsets") && j["group_offsets"].is_array()) {
    for (const nlohmann::json& g : j["group_offsets"]) {
      if (!g.is_object()) return Corruption("bad group offset entry");
      c.groups.push_back({g.value("group", std::string()), g.value("topic", std::string()), g.value("partition", 0),
                          g.value("offset", int64_t{0})});
    }
  }
  return c;
}

const CutPartition* Checkpoint::Find(const std::string& topic, int32_t partition) const {
  for (const CutPartition& p : partitions) {
    if (p.topic == topic && p.partition == partition) return &p;
  }
  return nullptr;
}

std::string CheckpointPath(const std::string& data_dir, const std::string& name) {
  return storage::io::JoinPath(DirOf(data_dir), name + kExtension);
}

Result<Checkpoint> DecodeCheckpointFile(const std::vector<std::byte>& bytes) {
  ASSIGN_OR_RETURN(std::string json, Unframe(bytes));
  return Checkpoint::FromJson(json);
}

Status ValidateCheckpointName(const std::string& name) {
  if (name.empty() || name.size() > 200) return InvalidArgument("checkpoint name must have 1 to 200 characters");
  if (name == "." || name == "..") return InvalidArgument("checkpoint name cannot be . or ..");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-';
    if (!ok) return InvalidArgument("checkpoint name '" + name + "' has characters other than [a-zA-Z0-9._-]");
  }
  return Status::Ok();
}

Result<std::unique_ptr<CheckpointStore>> CheckpointStore::Open(Shard& shard, std::string data_dir) {
  std::unique_ptr<CheckpointStore> store(new CheckpointStore(shard, DirOf(data_dir)));
  std::function<Task<Result<std::map<std::string, Checkpoint>>>(Shard&)> load = [dir = store->dir_](Shard& s) {
    return LoadAll(&s.fs(), dir);
  };
  std::optional<Result<std::map<std::string, Checkpoint>>> loaded = CallOnShard(shard, std::move(load));
  if (!loaded) return ShuttingDown("shard stopped");
  if (!loaded->ok()) return loaded->status().WithContext("load checkpoints");
  store->checkpoints_ = std::move(**loaded);
  store->IndexPins();
  return store;
}

Status CheckpointStore::Save(const Checkpoint& checkpoint) {
  std::vector<std::byte> bytes = Frame(checkpoint.ToJson());
  std::function<Task<Status>(Shard&)> write = [dir = dir_, name = checkpoint.name, bytes](Shard& s) {
    return WriteFile(&s.fs(), dir, name, bytes);
  };
  std::optional<Status> written = CallOnShard(shard_, std::move(write));
  if (!written) return ShuttingDown("shard stopped");
  RETURN_IF_ERROR(*written);
  std::lock_guard<std::mutex> lock(mu_);
  checkpoints_[checkpoint.name] = checkpoint;
  IndexPins();
  return Status::Ok();
}

Status CheckpointStore::Remove(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (checkpoints_.count(name) == 0) return NotFound("no checkpoint " + name);
  }
  std::function<Task<Status>(Shard&)> remove = [dir = dir_, name](Shard& s) { return RemoveFile(&s.fs(), dir, name); };
  std::optional<Status> removed = CallOnShard(shard_, std::move(remove));
  if (!removed) return ShuttingDown("shard stopped");
  RETURN_IF_ERROR(*removed);
  std::lock_guard<std::mutex> lock(mu_);
  checkpoints_.erase(name);
  IndexPins();
  return Status::Ok();
}

std::optional<Checkpoint> CheckpointStore::Find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = checkpoints_.find(name);
  if (it == checkpoints_.end()) return std::nullopt;
  return it->second;
}

std::vector<Checkpoint> CheckpointStore::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Checkpoint> out;
  for (const auto& [name, c] : checkpoints_) out.push_back(c);
  return out;
}

void CheckpointStore::IndexPins() {
  pinned_from_.clear();
  for (const auto& [name, c] : checkpoints_) {
    if (!c.pinned) continue;
    for (const CutPartition& p : c.partitions) {
      auto [it, added] = pinned_from_.try_emplace({p.topic, p.partition}, p.end);
      if (!added) it->second = std::min(it->second, p.end);
    }
  }
}

void CheckpointStore::HoldEverything(bool hold) {
  std::lock_guard<std::mutex> lock(mu_);
  holding_everything_ += hold ? 1 : -1;
}

std::optional<int64_t> CheckpointStore::PinnedFrom(const std::string& topic, int32_t partition) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (holding_everything_ > 0) return 0;
  auto it = pinned_from_.find({topic, partition});
  if (it == pinned_from_.end()) return std::nullopt;
  return it->second;
}

}  // namespace millstream::engine
