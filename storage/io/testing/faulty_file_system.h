// FaultyFileSystem: a FileSystem decorator that breaks calls on purpose, following a
// seeded FaultPlan (STYLE.md section 5, backend 3). It wraps MemFileSystem for crash
// and error-path tests, or a real backend to check that our code survives EIO,
// ENOSPC, short writes, torn writes, reordered completions and flipped bits.
//
// A typical crash test:
//
//   MemFileSystem mem;
//   FaultPlan plan(seed);
//   plan.Add(FaultRule::OnNth(FaultOp::kWrite, 7).Do(FaultAction::kTearAndCrash));
//   FaultyFileSystem fs(&mem, std::move(plan), loop.get());
//   fs.SetCrashHandler([&] { mem.Crash(&rng); });
//   ... run the code under test on fs until it reports IoError ...
//   fs.Restart();  // then recover from what `mem` kept
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/event_loop.h"
#include "storage/io/file_system.h"
#include "storage/io/testing/fault_plan.h"

namespace millstream::storage::io::testing {

// Role: passes every call to the wrapped FileSystem unless a rule of its plan
// fires; then performs the rule's action instead (see FaultAction). Injected errors
// are StatusFromErrno(EIO or ENOSPC), so they carry the errno like real ones.
// Lifecycle: construct over a base, use like any FileSystem. After a kTearAndCrash
// (or TriggerCrash) every call, on the file system and on every File opened from it,
// fails with IoError "file system crashed"; Restart() lets new calls through again,
// while Files opened before the crash stay dead.
// Ownership: `base` and `loop` are borrowed and must outlive this object and every
// File opened through it. It owns its plan.
// Threading: calls may come from several threads (one mutex guards the plan and the
// counters), each File from its owner's thread as usual. Delay needs the calling
// thread to be the one running `loop`.
class FaultyFileSystem final : public FileSystem {
 public:
  // `loop` may be null; kDelay then does nothing.
  FaultyFileSystem(FileSystem* base, FaultPlan plan, EventLoop* loop = nullptr);
  ~FaultyFileSystem() override;
  FaultyFileSystem(const FaultyFileSystem&) = delete;
  FaultyFileSystem& operator=(const FaultyFileSystem&) = delete;

  // FileSystem. Open, Remove, Rename and SyncDir consult the plan; List, CreateDirs,
  // RemoveDir, Exists and FreeBytes only check for a crash before delegating.
  Result<std::unique_ptr<File>> Open(const std::string& path, OpenOptions options) override;
  Status Remove(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Result<std::vector<std::string>> List(const std::string& dir) override;
  Status CreateDirs(const std::string& dir) override;
  Status RemoveDir(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;
  Result<bool> Exists(const std::string& path) override;
  Result<uint64_t> FreeBytes(const std::string& path) override;

  // The plan, to add or clear rules between operations (not while another thread
  // is calling into this object).
  FaultPlan& plan();

  // Called once when a crash is injected, after the torn write reached the base
  // and outside any lock: typically [&] { mem.Crash(&rng); }.
  void SetCrashHandler(std::function<void()> handler);
  // Crashes now, as a kTearAndCrash would: sets crashed() and runs the handler.
  void TriggerCrash();
  // Whether a crash happened since construction or the last Restart().
  bool crashed() const;
  // Lets calls through again after a crash ("the process restarted"). Files opened
  // before the crash keep failing.
  void Restart();

  // Calls of `op` made so far, faulted or not; kAny counts every operation.
  uint64_t calls(FaultOp op) const;
  // Faults injected so far.
  uint64_t faults_injected() const;

 private:
  // Defined in the .cc; shared with the open files so they can see a crash.
  struct State;
  class FaultyFile;

  std::shared_ptr<State> state_;
};

}  // namespace millstream::storage::io::testing
