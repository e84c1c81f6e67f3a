#include "storage/io/testing/faulty_file_system.h"

#include <cerrno>
#include <mutex>
#include <optional>
#include <utility>

namespace millstream::storage::io::testing {

namespace {

size_t TotalSize(std::span<const ConstBytes> pieces) {
  size_t total = 0;
  for (ConstBytes piece : pieces) total += piece.size();
  return total;
}

// The first `keep` bytes of `pieces`, as pieces.
std::vector<ConstBytes> Prefix(std::span<const ConstBytes> pieces, size_t keep) {
  std::vector<ConstBytes> out;
  for (ConstBytes piece : pieces) {
    if (keep == 0) break;
    size_t n = std::min(keep, piece.size());
    out.push_back(piece.first(n));
    keep -= n;
  }
  return out;
}

// Length of a short write of `total` bytes: a strict prefix, non-empty when that is
// possible, in whole blocks for direct files (whose pieces are block multiples).
size_t ShortWriteLength(size_t total, bool direct, uint64_t random) {
  if (direct) {
    size_t blocks = total / kIoAlignment;
    if (blocks < 2) return 0;
    return kIoAlignment * (1 + random % (blocks - 1));
  }
  if (total < 2) return 0;
  return 1 + random % (total - 1);
}

// Length of the part of a write at `pos` that reached the disk before the power
// went: it ends on a sector boundary of the file, before the end of the write.
size_t TornWriteLength(uint64_t pos, size_t total, bool direct, uint64_t random) {
  if (total == 0) return 0;
  const uint64_t sector = direct ? kIoAlignment : 512;
  uint64_t end = AlignDown(pos + random % total, sector);
  return end > pos ? end - pos : 0;
}

Status Injected(int sys_errno, FaultOp op, const std::string& path) {
  return StatusFromErrno(sys_errno, "injected fault: " + std::string(FaultOpName(op)) + " " + path);
}

Status CrashedError(const std::string& path) { return IoError("file system crashed: " + path); }

}  // namespace

struct FaultyFileSystem::State {
  // What Begin() decided for one call.
  struct Decision {
    std::optional<FaultAction> action;
    uint64_t random = 0;      // for the action's details, drawn only when it fires
    uint64_t generation = 0;  // for Open: the generation the new file belongs to
  };

  State(FileSystem* base_fs, FaultPlan fault_plan, EventLoop* event_loop)
      : base(base_fs), loop(event_loop), plan(std::move(fault_plan)) {}

  // Every operation starts here: counts the call, refuses it after a crash (or when
  // `file_generation` is from before one), and asks the plan for a fault.
  Result<Decision> Begin(FaultOp op, const std::string& path,
                         std::optional<uint64_t> file_generation = std::nullopt) {
    std::lock_guard<std::mutex> lock(mu);
    ++calls[static_cast<size_t>(op)];
    if (crashed || file_generation.value_or(generation) != generation) {
      return CrashedError(path);
    }
    Decision d;
    d.action = plan.Decide(op, path);
    if (d.action.has_value()) d.random = plan.rng()();
    d.generation = generation;
    return d;
  }

  Status CheckAlive(const std::string& path, std::optional<uint64_t> file_generation) {
    std::lock_guard<std::mutex> lock(mu);
    if (crashed || file_generation.value_or(generation) != generation) {
      return CrashedError(path);
    }
    return Status::Ok();
  }

  void Crash() {
    std::function<void()> handler;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (crashed) return;
      crashed = true;
      ++generation;
      handler = on_crash;
    }
    // Outside the lock: the handler usually crashes the base file system, which
    // must not wait on us.
    if (handler) handler();
  }

  // The actions that replace an operation outright, for every kind of operation;
  // nullopt when the operation should go ahead (possibly modified by the caller).
  std::optional<Status> Replace(FaultAction action, FaultOp op, const std::string& path) {
    switch (action) {
      case FaultAction::kFailEio:
        return Injected(EIO, op, path);
      case FaultAction::kFailEnospc:
        return Injected(ENOSPC, op, path);
      case FaultAction::kTearAndCrash:
        Crash();
        return CrashedError(path);
      case FaultAction::kShortWrite:
      case FaultAction::kDelay:
      case FaultAction::kFlipBitOnRead:
        break;
    }
    return std::nullopt;
  }

  FileSystem* const base;
  EventLoop* const loop;
  std::mutex mu;  // guards everything below
  FaultPlan plan;
  std::array<uint64_t, kFaultOpCount> calls{};
  bool crashed = false;
  uint64_t generation = 0;  // bumped by each crash; files from before are dead
  std::function<void()> on_crash;
};

class FaultyFileSystem::FaultyFile final : public File {
 public:
  FaultyFile(std::shared_ptr<State> state, std::unique_ptr<File> base, bool direct,
             uint64_t generation)
      : state_(std::move(state)),
        base_(std::move(base)),
        direct_(direct),
        generation_(generation) {}

  Task<Result<size_t>> Write(FilePos pos, std::span<const ConstBytes> pieces) override {
    return DoWrite(FaultOp::kWrite, pos, pieces);
  }
  Task<Result<size_t>> WriteThenSync(FilePos pos, std::span<const ConstBytes> pieces) override {
    return DoWrite(FaultOp::kWriteThenSync, pos, pieces);
  }

  Task<Result<size_t>> Read(FilePos pos, MutableBytes out) override {
    CO_ASSIGN_OR_RETURN(State::Decision d, state_->Begin(FaultOp::kRead, path(), generation_));
    bool flip = false;
    if (d.action.has_value()) {
      if (auto replaced = state_->Replace(*d.action, FaultOp::kRead, path())) co_return *replaced;
      if (*d.action == FaultAction::kDelay) co_await Delay(d.random);
      flip = *d.action == FaultAction::kFlipBitOnRead;
    }
    Result<size_t> n = co_await base_->Read(pos, out);
    if (flip && n.ok() && *n > 0) {
      uint64_t bit = d.random % (*n * 8);
      out[bit / 8] ^= std::byte{static_cast<unsigned char>(1u << (bit % 8))};
    }
    co_return n;
  }

  Task<Status> DataSync() override {
    CO_ASSIGN_OR_RETURN(State::Decision d, state_->Begin(FaultOp::kDataSync, path(), generation_));
    if (d.action.has_value()) {
      if (auto replaced = state_->Replace(*d.action, FaultOp::kDataSync, path())) {
        co_return *replaced;
      }
      if (*d.action == FaultAction::kDelay) co_await Delay(d.random);
    }
    co_return co_await base_->DataSync();
  }

  Status Truncate(uint64_t size) override {
    ASSIGN_OR_RETURN(State::Decision d, state_->Begin(FaultOp::kTruncate, path(), generation_));
    if (d.action.has_value()) {
      if (auto replaced = state_->Replace(*d.action, FaultOp::kTruncate, path())) return *replaced;
    }
    return base_->Truncate(size);
  }

  Status Allocate(uint64_t offset, uint64_t length) override {
    ASSIGN_OR_RETURN(State::Decision d, state_->Begin(FaultOp::kAllocate, path(), generation_));
    if (d.action.has_value()) {
      if (auto replaced = state_->Replace(*d.action, FaultOp::kAllocate, path())) return *replaced;
    }
    return base_->Allocate(offset, length);
  }

  Result<uint64_t> Size() override {
    RETURN_IF_ERROR(state_->CheckAlive(path(), generation_));
    return base_->Size();
  }

  const std::string& path() const override { return base_->path(); }

 private:
  Task<Result<size_t>> DoWrite(FaultOp op, FilePos pos, std::span<const ConstBytes> pieces) {
    CO_ASSIGN_OR_RETURN(State::Decision d, state_->Begin(op, path(), generation_));
    if (d.action.has_value()) {
      switch (*d.action) {
        case FaultAction::kFlipBitOnRead:  // never chosen for a write
          break;
        case FaultAction::kFailEio:
        case FaultAction::kFailEnospc:
          co_return *state_->Replace(*d.action, op, path());
        case FaultAction::kDelay:
          co_await Delay(d.random);
          break;
        case FaultAction::kShortWrite: {
          // Never followed by the sync, even for WriteThenSync: the linked fdatasync
          // of a short write is cancelled.
          size_t keep = ShortWriteLength(TotalSize(pieces), direct_, d.random);
          if (keep == 0) co_return size_t{0};
          std::vector<ConstBytes> prefix = Prefix(pieces, keep);
          co_return co_await base_->Write(pos, prefix);
        }
        case FaultAction::kTearAndCrash: {
          size_t keep = TornWriteLength(pos.value(), TotalSize(pieces), direct_, d.random);
          if (keep > 0) {
            std::vector<ConstBytes> prefix = Prefix(pieces, keep);
            Result<size_t> torn = co_await base_->Write(pos, prefix);
            torn.status().IgnoreError();  // the caller sees the crash either way
          }
          state_->Crash();
          co_return CrashedError(path());
        }
      }
    }
    if (op == FaultOp::kWriteThenSync) co_return co_await base_->WriteThenSync(pos, pieces);
    co_return co_await base_->Write(pos, pieces);
  }

  Task<void> Delay(uint64_t random) {
    if (state_->loop == nullptr) co_return;
    for (uint64_t i = 0, turns = 1 + random % 4; i < turns; ++i) co_await state_->loop->Yield();
  }

  std::shared_ptr<State> state_;
  std::unique_ptr<File> base_;
  bool direct_;
  uint64_t generation_;  // state_->generation when opened
};

FaultyFileSystem::FaultyFileSystem(FileSystem* base, FaultPlan plan, EventLoop* loop)
    : state_(std::make_shared<State>(base, std::move(plan), loop)) {
  MS_CHECK(base != nullptr) << "FaultyFileSystem needs a file system to wrap";
}

FaultyFileSystem::~FaultyFileSystem() = default;

Result<std::unique_ptr<File>> FaultyFileSystem::Open(const std::string& path, OpenOptions options) {
  ASSIGN_OR_RETURN(State::Decision d, state_->Begin(FaultOp::kOpen, path));
  if (d.action.has_value()) {
    if (auto replaced = state_->Replace(*d.action, FaultOp::kOpen, path)) return *replaced;
  }
  ASSIGN_OR_RETURN(std::unique_ptr<File> file, state_->base->Open(path, options));
  return std::unique_ptr<File>(
      new FaultyFile(state_, std::move(file), options.direct, d.generation));
}

Status FaultyFileSystem::Remove(const std::string& path) {
  ASSIGN_OR_RETURN(State::Decision d, state_->Begin(FaultOp::kRemove, path));
  if (d.action.has_value()) {
    if (auto replaced = state_->Replace(*d.action, FaultOp::kRemove, path)) return *replaced;
  }
  return state_->base->Remove(path);
}

Status FaultyFileSystem::Rename(const std::string& from, const std::string& to) {
  ASSIGN_OR_RETURN(State::Decision d, state_->Begin(FaultOp::kRename, from));
  if (d.action.has_value()) {
    if (auto replaced = state_->Replace(*d.action, FaultOp::kRename, from)) return *replaced;
  }
  return state_->base->Rename(from, to);
}

Status FaultyFileSystem::SyncDir(const std::string& dir) {
  ASSIGN_OR_RETURN(State::Decision d, state_->Begin(FaultOp::kSyncDir, dir));
  if (d.action.has_value()) {
    if (auto replaced = state_->Replace(*d.action, FaultOp::kSyncDir, dir)) return *replaced;
  }
  return state_->base->SyncDir(dir);
}

Result<std::vector<std::string>> FaultyFileSystem::List(const std::string& dir) {
  RETURN_IF_ERROR(state_->CheckAlive(dir, std::nullopt));
  return state_->base->List(dir);
}

Status FaultyFileSystem::CreateDirs(const std::string& dir) {
  RETURN_IF_ERROR(state_->CheckAlive(dir, std::nullopt));
  return state_->base->CreateDirs(dir);
}

Status FaultyFileSystem::RemoveDir(const std::string& dir) {
  RETURN_IF_ERROR(state_->CheckAlive(dir, std::nullopt));
  return state_->base->RemoveDir(dir);
}

Result<bool> FaultyFileSystem::Exists(const std::string& path) {
  RETURN_IF_ERROR(state_->CheckAlive(path, std::nullopt));
  return state_->base->Exists(path);
}

Result<uint64_t> FaultyFileSystem::FreeBytes(const std::string& path) {
  RETURN_IF_ERROR(state_->CheckAlive(path, std::nullopt));
  return state_->base->FreeBytes(path);
}

FaultPlan& FaultyFileSystem::plan() { return state_->plan; }

void FaultyFileSystem::SetCrashHandler(std::function<void()> handler) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->on_crash = std::move(handler);
}

void FaultyFileSystem::TriggerCrash() { state_->Crash(); }

bool FaultyFileSystem::crashed() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->crashed;
}

void FaultyFileSystem::Restart() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->crashed = false;
}

uint64_t FaultyFileSystem::calls(FaultOp op) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (op != FaultOp::kAny) return state_->calls[static_cast<size_t>(op)];
  uint64_t total = 0;
  for (uint64_t n : state_->calls) total += n;
  return total;
}

uint64_t FaultyFileSystem::faults_injected() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->plan.faults_injected();
}

}  // namespace millstream::storage::io::testing
