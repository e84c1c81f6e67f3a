// MemFileSystem: an in-memory FileSystem that remembers what is durable, so tests
// can simulate a power cut (STYLE.md section 5, backend 2). Storage unit tests run on
// it instead of a disk, and crash tests call Crash() to check that everything
// reported durable survives and nothing else is trusted.
//
// The durability model, kept deliberately simple:
// - File content. Each file has its *durable* content (as of its last DataSync or
//   WriteThenSync) and its *current* content, plus the ordered list of writes,
//   truncates and allocates made since that sync (the unsynced operations). Reads
//   see the current content. Crash() resets every file to its durable content and,
//   when given a random generator, replays a random prefix of the unsynced
//   operations, possibly tearing the last write kept at a 512-byte sector boundary.
// - Names. Each directory keeps its current entries and the entries it had at its
//   last SyncDir. Create, rename and remove change only the current entries; a crash
//   reverts every directory to its synced entries (a file created and never
//   dir-synced disappears, an unsynced rename reverts, an unsynced remove comes back
//   with its durable content). A rename across directories needs both synced.
// - Directories themselves are simpler than on a real disk: CreateDirs, RemoveDir
//   and renaming a directory are durable at once, with whatever the directory holds.
// - A crash kills every open File: later calls on it fail with IoError
//   "file system crashed". Open the files again after Crash().
//
// Paths are strings; "a//b/./c" and "a/b/c" name the same file. The roots "/" and
// "." always exist. Data operations complete without suspending: a coroutine that
// awaits one runs straight on, and a task spawned to do I/O may finish before
// Spawn returns. Wrap it in FaultyFileSystem with FaultAction::kDelay to get
// completions that arrive on later turns of the loop, as with io_uring.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "storage/io/file_system.h"

namespace millstream::storage::io::testing {

// Role: a FileSystem backend for tests, with crash, disk-full and corruption hooks.
// Lifecycle: construct, Open/CreateDirs/... as on a disk, Crash() any time, then
// open the files again. Files share the state with it, so a File that outlives its
// MemFileSystem stays safe to call (but nobody can crash or inspect it any more).
// Threading: every method may be called from any thread; one mutex guards the whole
// state. A File is still owned by one thread, as the File contract says.
class MemFileSystem final : public FileSystem {
 public:
  // What FreeBytes reports when no capacity was set.
  static constexpr uint64_t kUnlimitedFreeBytes = uint64_t{1} << 50;
  // Crash() tears writes at this granularity: the sector size of the disks we model.
  static constexpr uint64_t kSectorSize = 512;

  MemFileSystem();
  ~MemFileSystem() override;
  MemFileSystem(const MemFileSystem&) = delete;
  MemFileSystem& operator=(const MemFileSystem&) = delete;

  // FileSystem. Errors follow the real backend: NotFound for a missing file or
  // parent directory, InvalidArgument for misuse (opening a directory, exclusive
  // create of an existing file), IoError with the errno for what the kernel would
  // refuse (ENOTEMPTY, EISDIR, ENOTDIR).
  Result<std::unique_ptr<File>> Open(const std::string& path, OpenOptions options) override;
  Status Remove(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Result<std::vector<std::string>> List(const std::string& dir) override;
  Status CreateDirs(const std::string& dir) override;
  Status RemoveDir(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;
  Result<bool> Exists(const std::string& path) override;
  // Capacity minus the current size of every file, or kUnlimitedFreeBytes.
  Result<uint64_t> FreeBytes(const std::string& path) override;

  // Simulates a power cut. Every directory gets back its entries as of its last
  // SyncDir and every file its durable content. With `rng`, each file also keeps a
  // random prefix of its unsynced operations, and when the last one kept is a write
  // it may be torn (only the part up to a random sector boundary kept). Without
  // `rng` nothing unsynced survives. Afterwards all content counts as durable and
  // every File opened before fails with IoError.
  void Crash(std::mt19937_64* rng = nullptr);

  // Limits the total current size of all files to `bytes`. A Write or Allocate that
  // would grow the files past it fails with NoSpace (errno ENOSPC) and changes
  // nothing. Truncate never fails for space: it makes files sparse on real disks.
  void SetCapacity(uint64_t bytes);
  // Removes the limit again.
  void ClearCapacity();

  // Current (not necessarily durable) content of the file at `path`. NotFound.
  Result<std::string> ReadAll(const std::string& path);
  // XORs the byte at `pos` with 0xff in both the current and the durable content:
  // media corruption that a crash does not undo. NotFound, or OutOfRange past the end.
  Status FlipByte(const std::string& path, uint64_t pos);

 private:
  // Defined in the .cc: the directory tree and file contents, shared with the open
  // files so that a stale File can notice a crash instead of touching freed memory.
  struct State;
  class MemFile;

  std::shared_ptr<State> state_;
};

}  // namespace millstream::storage::io::testing
