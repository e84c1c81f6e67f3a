// The file-system seam (STYLE.md section 5, docs/architecture.md). Every byte the
// storage engine reads or writes goes through FileSystem and File, so that the
// same code runs on io_uring (production), in memory, and under fault injection.
//
// Data operations (Write, Read, DataSync, WriteThenSync) are asynchronous Tasks that
// complete on the EventLoop of the calling thread. Name-space operations (open,
// remove, rename, list, directory sync) and size changes (Truncate, Allocate) are
// rare and run synchronously.
//
// Durability words: an operation is *written* when its completion arrived and
// *durable* after a DataSync (or WriteThenSync) that started after it completed.
// A new name (create, rename, remove) is durable after SyncDir of its directory.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strong_id.h"
#include "base/task.h"

namespace millstream::storage::io {

struct OpenOptions {
  bool create = false;     // create the file if it does not exist
  bool exclusive = false;  // with create: fail with InvalidArgument if it exists
  bool read_only = false;
  // Bypass the page cache (O_DIRECT). Positions, lengths and buffer addresses of
  // Write/Read must then be multiples of kIoAlignment. A backend that cannot do
  // direct I/O on this file system (tmpfs) falls back to buffered I/O silently;
  // alignment is still required so that behaviour does not depend on where the
  // data directory lives.
  bool direct = false;
};

// An open file. Owned by one thread; every call must come from the thread whose
// EventLoop the file's FileSystem was created with. Closed on destruction.
class File {
 public:
  virtual ~File() = default;

  // Writes `pieces` back to back at `pos`. Returns the number of bytes written, which
  // may be less than asked (a short write): callers loop (see WriteFully).
  // Errors: NoSpace (ENOSPC/EDQUOT), IoError (EIO and others), InvalidArgument.
  virtual Task<Result<size_t>> Write(FilePos pos, std::span<const ConstBytes> pieces) = 0;

  // Write, then fdatasync, linked so that the sync starts only after the write
  // completed in full. On success with the full length, the bytes (and all earlier
  // writes to this file) are durable. A short count means the sync did not run.
  virtual Task<Result<size_t>> WriteThenSync(FilePos pos, std::span<const ConstBytes> pieces) = 0;

  // Reads up to out.size() bytes at `pos`; fewer only at the end of the file.
  virtual Task<Result<size_t>> Read(FilePos pos, MutableBytes out) = 0;

  // fdatasync: every completed write to this file becomes durable.
  virtual Task<Status> DataSync() = 0;

  // Sets the file size (durable after the next DataSync).
  virtual Status Truncate(uint64_t size) = 0;
  // Reserves [offset, offset+length) and extends the size to cover it (fallocate
  // mode 0), so later writes inside it do not change the size. NoSpace when full.
  virtual Status Allocate(uint64_t offset, uint64_t length) = 0;
  virtual Result<uint64_t> Size() = 0;

  // A hint that [offset, offset+length) will be read soon: the backend may start
  // reading it in the background (the io_uring one asks the kernel's page cache
  // to, POSIX_FADV_WILLNEED). It changes nothing but timing; the default ignores it.
  virtual void WillNeed(uint64_t offset, uint64_t length) {
    (void)offset;
    (void)length;
  }

  virtual const std::string& path() const = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Opens (or with options.create, creates) `path`. NotFound when it does not exist.
  virtual Result<std::unique_ptr<File>> Open(const std::string& path, OpenOptions options) = 0;
  // Removes a file. NotFound when absent.
  virtual Status Remove(const std::string& path) = 0;
  // Atomically replaces `to` with `from`.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // Names (not paths) of the entries of `dir`, sorted, without "." and "..".
  virtual Result<std::vector<std::string>> List(const std::string& dir) = 0;
  // Creates `dir` and its missing parents; Ok when it already exists.
  virtual Status CreateDirs(const std::string& dir) = 0;
  // Removes an empty directory. NotFound when absent.
  virtual Status RemoveDir(const std::string& dir) = 0;
  // Makes the names in `dir` (creations, renames, removals) durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  virtual Result<bool> Exists(const std::string& path) = 0;
  // Bytes free for an unprivileged writer on the file system holding `path`.
  virtual Result<uint64_t> FreeBytes(const std::string& path) = 0;
};

// Writes all of `data` at `pos`, looping on short writes. A write that makes no
// progress at all is reported as IoError rather than looping forever.
Task<Status> WriteFully(File& file, FilePos pos, ConstBytes data);
// Reads exactly out.size() bytes at `pos`; OutOfRange if the file ends first.
Task<Status> ReadFully(File& file, FilePos pos, MutableBytes out);
// Writes all of `data` at `pos` and makes it durable: WriteThenSync, and after a
// short write the rest with a plain loop followed by DataSync.
Task<Status> WriteFullyThenSync(File& file, FilePos pos, ConstBytes data);

// Replaces the file at `path` with `content` atomically: written and made durable
// under `path` + ".tmp", then renamed over `path`. A crash leaves the old file or
// the new one (and maybe a stray .tmp). The new name is durable only after
// SyncDir of its directory, which is the caller's to do (several renames may
// share one).
Task<Status> ReplaceFile(FileSystem& fs, const std::string& path, ConstBytes content);

// The whole content of the file at `path` (small files: indexes, seals).
Task<Result<std::vector<std::byte>>> ReadWholeFile(FileSystem& fs, const std::string& path);

// Joins a directory and a name with one '/'.
std::string JoinPath(const std::string& dir, const std::string& name);
// The directory part of `path` ("." when it has none).
std::string DirName(const std::string& path);

}  // namespace millstream::storage::io
