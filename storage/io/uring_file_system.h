// The production FileSystem: data operations (Write, Read, DataSync, WriteThenSync)
// go through the io_uring of the calling thread's EventLoop; name-space operations,
// Truncate, Allocate and Size are plain synchronous system calls, because they are
// rare and io_uring offers no benefit for them (STYLE.md section 5).
//
// Every completion result is converted by CompletionToResult
// (storage/io/completion_status.h), the one place where errnos become Statuses.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/event_loop.h"
#include "storage/io/file_system.h"

namespace millstream::storage::io {

// Files on the local kernel file system, read and written through io_uring.
//
// Lifecycle: construct with the EventLoop of the owning thread, Open files, destroy
// the files, then the file system. Threading: one thread, the loop's; every File it
// opens submits to that loop. Ownership: `loop` is borrowed and must outlive this
// object and every File it opened. Files are owned by the caller and do not point
// back at the file system, so they may outlive it (but not the loop).
//
// Error mapping beyond FileSystem's contract: ENOSPC/EDQUOT → NoSpace, ENOENT →
// NotFound, EINVAL → InvalidArgument, an existing file on exclusive create →
// InvalidArgument with errno EEXIST, anything else → IoError with its errno.
//
// Direct I/O: Open with options.direct tries O_DIRECT and, when the kernel refuses
// it with EINVAL (a file system without direct I/O), opens buffered instead. Either
// way Write/Read then require kIoAlignment for buffer addresses, lengths and
// positions and return InvalidArgument otherwise, so that behaviour does not depend
// on where the data directory lives.
class UringFileSystem final : public FileSystem {
 public:
  explicit UringFileSystem(EventLoop& loop) : loop_(loop) {}
  UringFileSystem(const UringFileSystem&) = delete;
  UringFileSystem& operator=(const UringFileSystem&) = delete;

  Result<std::unique_ptr<File>> Open(const std::string& path, OpenOptions options) override;
  Status Remove(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Result<std::vector<std::string>> List(const std::string& dir) override;
  Status CreateDirs(const std::string& dir) override;
  Status RemoveDir(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;
  Result<bool> Exists(const std::string& path) override;
  Result<uint64_t> FreeBytes(const std::string& path) override;

  // How many Opens asked for direct I/O and got buffered I/O because the file
  // system refused O_DIRECT. For logs and tests; nothing depends on it.
  uint64_t direct_fallbacks() const { return direct_fallbacks_; }

 private:
  EventLoop& loop_;
  uint64_t direct_fallbacks_ = 0;
};

}  // namespace millstream::storage::io
