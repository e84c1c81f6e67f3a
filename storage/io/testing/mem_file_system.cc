#include "storage/io/testing/mem_file_system.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

namespace millstream::storage::io::testing {

namespace {

// "a//b/./c/" -> "a/b/c", "/x/../y" -> "/y", "" -> ".". Relative and absolute paths
// are separate trees, rooted at "." and "/".
std::string Normalize(const std::string& path) {
  const bool absolute = !path.empty() && path[0] == '/';
  std::vector<std::string> parts;
  size_t begin = 0;
  while (begin <= path.size()) {
    size_t end = path.find('/', begin);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(begin, end - begin);
    begin = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == ".." && !parts.empty() && parts.back() != "..") {
      parts.pop_back();
    } else if (!(part == ".." && absolute)) {  // "/.." is "/"
      parts.push_back(std::move(part));
    }
  }
  std::string out = absolute ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

bool IsRoot(const std::string& norm) { return norm == "/" || norm == "."; }

// Parent directory and last name of a normalized path that is not a root.
std::pair<std::string, std::string> SplitPath(const std::string& norm) {
  size_t slash = norm.rfind('/');
  if (slash == std::string::npos) return {".", norm};
  if (slash == 0) return {"/", norm.substr(1)};
  return {norm.substr(0, slash), norm.substr(slash + 1)};
}

}  // namespace

struct MemFileSystem::State {
  // One write, truncate or allocate not yet covered by a DataSync, kept so that
  // Crash() can replay a prefix of them onto the durable content.
  struct Op {
    enum class Kind { kWrite, kTruncate, kAllocate };
    Kind kind;
    uint64_t pos;      // write: where it starts; truncate: new size; allocate: range end
    std::string data;  // write only
  };

  struct Inode {
    std::string durable;
    std::string current;
    std::vector<Op> unsynced;
  };

  struct Dir {
    std::map<std::string, std::shared_ptr<Inode>> files;         // current names
    std::map<std::string, std::shared_ptr<Inode>> synced_files;  // as of last SyncDir
    std::set<std::string> subdirs;
  };

  static void Apply(const Op& op, std::string& content) {
    switch (op.kind) {
      case Op::Kind::kWrite:
        // A write past the end leaves a hole, which reads as zeros.
        if (content.size() < op.pos + op.data.size()) content.resize(op.pos + op.data.size());
        content.replace(op.pos, op.data.size(), op.data);
        break;
      case Op::Kind::kTruncate:
        content.resize(op.pos);
        break;
      case Op::Kind::kAllocate:
        if (content.size() < op.pos) content.resize(op.pos);
        break;
    }
  }

  // What survives of one file after a power cut: its durable content plus, with
  // `rng`, a prefix of its unsynced operations. The disk may have written the
  // last write kept only in part, but always whole sectors.
  static void CrashInode(Inode& inode, std::mt19937_64* rng) {
    std::string content = std::move(inode.durable);
    if (rng != nullptr && !inode.unsynced.empty()) {
      size_t keep = std::uniform_int_distribution<size_t>(0, inode.unsynced.size())(*rng);
      for (size_t i = 0; i < keep; ++i) {
        const Op& op = inode.unsynced[i];
        bool last = i + 1 == keep;
        if (last && op.kind == Op::Kind::kWrite && (*rng)() % 2 == 0) {
          uint64_t cut = std::uniform_int_distribution<uint64_t>(0, op.data.size())(*rng);
          uint64_t end = AlignDown(op.pos + cut, kSectorSize);
          if (end <= op.pos) break;  // not even the first sector reached the disk
          Apply(Op{op.kind, op.pos, op.data.substr(0, end - op.pos)}, content);
        } else {
          Apply(op, content);
        }
      }
    }
    inode.current = content;
    inode.durable = std::move(content);
    inode.unsynced.clear();
  }

  Dir* FindDir(const std::string& norm) {
    auto it = dirs.find(norm);
    return it == dirs.end() ? nullptr : &it->second;
  }

  std::shared_ptr<Inode> FindFile(const std::string& norm) {
    if (IsRoot(norm)) return nullptr;
    auto [parent, name] = SplitPath(norm);
    Dir* dir = FindDir(parent);
    if (dir == nullptr) return nullptr;
    auto it = dir->files.find(name);
    return it == dir->files.end() ? nullptr : it->second;
  }

  // Linear in the number of files, which is small in tests; a running total would
  // have to follow renames over existing names and crashes.
  uint64_t UsedBytes() const {
    std::set<const Inode*> seen;
    uint64_t used = 0;
    for (const auto& [path, dir] : dirs) {
      for (const auto& [name, inode] : dir.files) {
        if (seen.insert(inode.get()).second) used += inode->current.size();
      }
    }
    return used;
  }

  Status CheckSpace(uint64_t growth, const std::string& what) const {
    if (!capacity.has_value() || growth == 0) return Status::Ok();
    uint64_t used = UsedBytes();
    if (used + growth <= *capacity) return Status::Ok();
    return StatusFromErrno(ENOSPC, what);
  }

  std::mutex mu;
  uint64_t generation = 0;  // bumped by Crash(); files opened before are dead
  std::optional<uint64_t> capacity;
  std::map<std::string, Dir> dirs;  // by normalized path; the roots always exist
};

class MemFileSystem::MemFile final : public File {
 public:
  MemFile(std::shared_ptr<State> state, std::shared_ptr<State::Inode> inode, std::string path,
          OpenOptions options, uint64_t generation)
      : state_(std::move(state)),
        inode_(std::move(inode)),
        path_(std::move(path)),
        options_(options),
        generation_(generation) {}

  // The data operations do their work synchronously under the lock; the coroutine
  // never suspends, so awaiting it runs it to the end at once.
  Task<Result<size_t>> Write(FilePos pos, std::span<const ConstBytes> pieces) override {
    co_return WriteNow(pos, pieces);
  }
  Task<Result<size_t>> WriteThenSync(FilePos pos, std::span<const ConstBytes> pieces) override {
    Result<size_t> n = WriteNow(pos, pieces);
    if (n.ok()) {
      Status synced = SyncNow();
      if (!synced.ok()) co_return synced;
    }
    co_return n;
  }
  Task<Result<size_t>> Read(FilePos pos, MutableBytes out) override { co_return ReadNow(pos, out); }
  Task<Status> DataSync() override { co_return SyncNow(); }

  Status Truncate(uint64_t size) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    RETURN_IF_ERROR(CheckWritable());
    State::Op op{State::Op::Kind::kTruncate, size, {}};
    State::Apply(op, inode_->current);
    inode_->unsynced.push_back(std::move(op));
    return Status::Ok();
  }

  Status Allocate(uint64_t offset, uint64_t length) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    RETURN_IF_ERROR(CheckWritable());
    uint64_t end = offset + length;
    if (end < offset) return InvalidArgument("allocate range overflows in " + path_);
    if (end <= inode_->current.size()) return Status::Ok();  // already backed
    RETURN_IF_ERROR(state_->CheckSpace(end - inode_->current.size(), "fallocate of " + path_));
    State::Op op{State::Op::Kind::kAllocate, end, {}};
    State::Apply(op, inode_->current);
    inode_->unsynced.push_back(std::move(op));
    return Status::Ok();
  }

  Result<uint64_t> Size() override {
    std::lock_guard<std::mutex> lock(state_->mu);
    RETURN_IF_ERROR(CheckAlive());
    return uint64_t{inode_->current.size()};
  }

  const std::string& path() const override { return path_; }

 private:
  Status CheckAlive() const {
    if (generation_ != state_->generation) return IoError("file system crashed: " + path_);
    return Status::Ok();
  }
  Status CheckWritable() const {
    RETURN_IF_ERROR(CheckAlive());
    if (options_.read_only) return InvalidArgument(path_ + " is open read-only");
    return Status::Ok();
  }
  // O_DIRECT rules, enforced even in memory so alignment bugs show up in unit tests
  // rather than as EINVAL on the first real disk.
  Status CheckAligned(uint64_t pos, const std::byte* addr, size_t len) const {
    if (!options_.direct) return Status::Ok();
    if (pos % kIoAlignment == 0 && reinterpret_cast<uintptr_t>(addr) % kIoAlignment == 0 &&
        len % kIoAlignment == 0) {
      return Status::Ok();
    }
    return InvalidArgument("unaligned direct I/O on " + path_ + ": position " +
                           std::to_string(pos) + ", length " + std::to_string(len));
  }

  Result<size_t> WriteNow(FilePos pos, std::span<const ConstBytes> pieces) {
    std::lock_guard<std::mutex> lock(state_->mu);
    RETURN_IF_ERROR(CheckWritable());
    std::string data;
    for (ConstBytes piece : pieces) {
      RETURN_IF_ERROR(CheckAligned(pos.value() + data.size(), piece.data(), piece.size()));
      data.append(AsStringView(piece));
    }
    if (data.empty()) return size_t{0};
    uint64_t end = pos.value() + data.size();
    if (end > inode_->current.size()) {
      RETURN_IF_ERROR(state_->CheckSpace(end - inode_->current.size(),
                                         "write " + std::to_string(data.size()) + " bytes at " +
                                             std::to_string(pos.value()) + " to " + path_));
    }
    size_t n = data.size();
    State::Op op{State::Op::Kind::kWrite, pos.value(), std::move(data)};
    State::Apply(op, inode_->current);
    inode_->unsynced.push_back(std::move(op));
    return n;
  }

  Result<size_t> ReadNow(FilePos pos, MutableBytes out) {
    std::lock_guard<std::mutex> lock(state_->mu);
    RETURN_IF_ERROR(CheckAlive());
    RETURN_IF_ERROR(CheckAligned(pos.value(), out.data(), out.size()));
    const std::string& content = inode_->current;
    if (pos.value() >= content.size()) return size_t{0};
    size_t n = std::min<uint64_t>(out.size(), content.size() - pos.value());
    std::memcpy(out.data(), content.data() + pos.value(), n);
    return n;
  }

  Status SyncNow() {
    std::lock_guard<std::mutex> lock(state_->mu);
    RETURN_IF_ERROR(CheckAlive());
    inode_->durable = inode_->current;
    inode_->unsynced.clear();
    return Status::Ok();
  }

  std::shared_ptr<State> state_;
  std::shared_ptr<State::Inode> inode_;
  std::string path_;
  OpenOptions options_;
  uint64_t generation_;  // state_->generation when opened
};

MemFileSystem::MemFileSystem() : state_(std::make_shared<State>()) {
  state_->dirs["/"];
  state_->dirs["."];
}

MemFileSystem::~MemFileSystem() = default;

Result<std::unique_ptr<File>> MemFileSystem::Open(const std::string& path, OpenOptions options) {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::string norm = Normalize(path);
  if (state_->FindDir(norm) != nullptr) return InvalidArgument(path + " is a directory");
  auto [parent, name] = SplitPath(norm);
  State::Dir* dir = state_->FindDir(parent);
  if (dir == nullptr) return StatusFromErrno(ENOENT, "open " + path + ": no directory " + parent);
  std::shared_ptr<State::Inode> inode;
  if (auto it = dir->files.find(name); it != dir->files.end()) {
    if (options.create && options.exclusive) {
      return Status(StatusCode::kInvalidArgument, "create " + path + ": already exists", EEXIST);
    }
    inode = it->second;
  } else {
    if (!options.create) return StatusFromErrno(ENOENT, "open " + path);
    // The new name is not durable until SyncDir(parent): synced_files lacks it.
    inode = std::make_shared<State::Inode>();
    dir->files.emplace(name, inode);
  }
  return std::unique_ptr<File>(new MemFile(state_, inode, path, options, state_->generation));
}

Status MemFileSystem::Remove(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::string norm = Normalize(path);
  if (state_->FindDir(norm) != nullptr) return StatusFromErrno(EISDIR, "remove " + path);
  if (state_->FindFile(norm) == nullptr) return StatusFromErrno(ENOENT, "remove " + path);
  auto [parent, name] = SplitPath(norm);
  state_->FindDir(parent)->files.erase(name);
  return Status::Ok();
}

Status MemFileSystem::Rename(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(state_->mu);
  const std::string src = Normalize(from);
  const std::string dst = Normalize(to);
  const std::string what = "rename " + from + " to " + to;
  if (IsRoot(src) || IsRoot(dst)) return InvalidArgument(what + ": cannot rename a root");
  auto [src_parent, src_name] = SplitPath(src);
  auto [dst_parent, dst_name] = SplitPath(dst);
  State::Dir* dst_dir = state_->FindDir(dst_parent);
  if (dst_dir == nullptr) return StatusFromErrno(ENOENT, what);

  if (std::shared_ptr<State::Inode> inode = state_->FindFile(src)) {
    if (state_->FindDir(dst) != nullptr) return StatusFromErrno(EISDIR, what);
    // Take the old name out first: from and to may be the same name.
    state_->FindDir(src_parent)->files.erase(src_name);
    dst_dir->files[dst_name] = std::move(inode);
    return Status::Ok();
  }

  if (state_->FindDir(src) == nullptr) return StatusFromErrno(ENOENT, what);
  if (src == dst) return Status::Ok();
  if (dst.compare(0, src.size() + 1, src + "/") == 0) {
    return InvalidArgument(what + ": target inside the source");
  }
  if (state_->FindFile(dst) != nullptr) return StatusFromErrno(ENOTDIR, what);
  if (State::Dir* old = state_->FindDir(dst)) {
    if (!old->files.empty() || !old->subdirs.empty()) return StatusFromErrno(ENOTEMPTY, what);
    state_->dirs.erase(dst);
  }
  // Re-key the directory and everything below it. Directory names are durable at
  // once in this model, so there is no synced state to keep apart.
  std::vector<std::string> moving;
  for (const auto& [key, dir] : state_->dirs) {
    if (key == src || key.compare(0, src.size() + 1, src + "/") == 0) moving.push_back(key);
  }
  for (const std::string& key : moving) {
    auto node = state_->dirs.extract(key);
    node.key() = dst + key.substr(src.size());
    state_->dirs.insert(std::move(node));
  }
  state_->FindDir(src_parent)->subdirs.erase(src_name);
  state_->FindDir(dst_parent)->subdirs.insert(dst_name);
  return Status::Ok();
}

Result<std::vector<std::string>> MemFileSystem::List(const std::string& dir) {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::string norm = Normalize(dir);
  State::Dir* d = state_->FindDir(norm);
  if (d == nullptr) {
    if (state_->FindFile(norm) != nullptr) return StatusFromErrno(ENOTDIR, "list " + dir);
    return StatusFromErrno(ENOENT, "list " + dir);
  }
  std::vector<std::string> names(d->subdirs.begin(), d->subdirs.end());
  for (const auto& [name, inode] : d->files) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

Status MemFileSystem::CreateDirs(const std::string& dir) {
  std::lock_guard<std::mutex> lock(state_->mu);
  // Walk up to the nearest existing ancestor (a root at the latest), then create
  // downwards.
  std::vector<std::string> missing;
  for (std::string p = Normalize(dir); state_->FindDir(p) == nullptr; p = SplitPath(p).first) {
    if (state_->FindFile(p) != nullptr) return StatusFromErrno(ENOTDIR, "create directory " + dir);
    missing.push_back(p);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    auto [parent, name] = SplitPath(*it);
    state_->dirs[*it];
    state_->FindDir(parent)->subdirs.insert(name);
  }
  return Status::Ok();
}

Status MemFileSystem::RemoveDir(const std::string& dir) {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::string norm = Normalize(dir);
  if (IsRoot(norm)) return InvalidArgument("cannot remove the root directory " + dir);
  State::Dir* d = state_->FindDir(norm);
  if (d == nullptr) {
    if (state_->FindFile(norm) != nullptr) return StatusFromErrno(ENOTDIR, "remove dir " + dir);
    return StatusFromErrno(ENOENT, "remove dir " + dir);
  }
  if (!d->files.empty() || !d->subdirs.empty()) {
    return StatusFromErrno(ENOTEMPTY, "remove dir " + dir);
  }
  state_->dirs.erase(norm);
  auto [parent, name] = SplitPath(norm);
  state_->FindDir(parent)->subdirs.erase(name);
  return Status::Ok();
}

Status MemFileSystem::SyncDir(const std::string& dir) {
  std::lock_guard<std::mutex> lock(state_->mu);
  State::Dir* d = state_->FindDir(Normalize(dir));
  if (d == nullptr) return StatusFromErrno(ENOENT, "sync directory " + dir);
  d->synced_files = d->files;
  return Status::Ok();
}

Result<bool> MemFileSystem::Exists(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::string norm = Normalize(path);
  return state_->FindDir(norm) != nullptr || state_->FindFile(norm) != nullptr;
}

Result<uint64_t> MemFileSystem::FreeBytes(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::string norm = Normalize(path);
  if (state_->FindDir(norm) == nullptr && state_->FindFile(norm) == nullptr) {
    return StatusFromErrno(ENOENT, "statfs " + path);
  }
  if (!state_->capacity.has_value()) return kUnlimitedFreeBytes;
  uint64_t used = state_->UsedBytes();
  // Truncate may grow files past the capacity (sparse files), so clamp at zero.
  return used >= *state_->capacity ? uint64_t{0} : *state_->capacity - used;
}

void MemFileSystem::Crash(std::mt19937_64* rng) {
  std::lock_guard<std::mutex> lock(state_->mu);
  ++state_->generation;
  // Maps iterate in key order, so the same rng seed tears the same files the same way.
  std::set<const State::Inode*> done;
  for (auto& [path, dir] : state_->dirs) {
    for (auto& [name, inode] : dir.synced_files) {
      if (done.insert(inode.get()).second) State::CrashInode(*inode, rng);
    }
    dir.files = dir.synced_files;
  }
}

void MemFileSystem::SetCapacity(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->capacity = bytes;
}

void MemFileSystem::ClearCapacity() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->capacity.reset();
}

Result<std::string> MemFileSystem::ReadAll(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::shared_ptr<State::Inode> inode = state_->FindFile(Normalize(path));
  if (inode == nullptr) return StatusFromErrno(ENOENT, "read " + path);
  return inode->current;
}

Status MemFileSystem::FlipByte(const std::string& path, uint64_t pos) {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::shared_ptr<State::Inode> inode = state_->FindFile(Normalize(path));
  if (inode == nullptr) return StatusFromErrno(ENOENT, "flip byte in " + path);
  if (pos >= inode->current.size()) {
    return OutOfRange("flip byte " + std::to_string(pos) + " past the end of " + path);
  }
  inode->current[pos] = static_cast<char>(inode->current[pos] ^ 0xff);
  if (pos < inode->durable.size()) {
    inode->durable[pos] = static_cast<char>(inode->durable[pos] ^ 0xff);
  }
  return Status::Ok();
}

}  // namespace millstream::storage::io::testing
