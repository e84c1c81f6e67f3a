#include "storage/io/uring_file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <coroutine>
#include <utility>

#include "storage/io/completion_status.h"

namespace millstream::storage::io {

namespace {

// The kernel caps one read or write at MAX_RW_COUNT (INT_MAX rounded down to a
// page) and returns a short count beyond it; we cap first so that the length we
// hand the ring always fits its 32-bit fields.
constexpr size_t kMaxOpBytes = 0x7ffff000;

// Repeats a system call that a signal interrupted before it did anything.
template <typename Call>
auto RetryOnEintr(Call call) {
  auto rc = call();
  while (rc == -1 && errno == EINTR) rc = call();
  return rc;
}

// Owns a file descriptor; closes it on destruction. A close error is dropped: after
// close(2) the descriptor is gone either way, and durability comes from DataSync.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// The iovec list of one write, capped at what one operation takes (IOV_MAX pieces,
// kMaxOpBytes bytes). It must stay alive until the write's completion arrived: the
// kernel may read the list at any time before that (io-wq punts the request).
class WriteList {
 public:
  explicit WriteList(std::span<const ConstBytes> pieces) {
    iov_.reserve(std::min<size_t>(pieces.size(), IOV_MAX));
    for (ConstBytes piece : pieces) {
      // An empty piece adds nothing, and must not make a list that fits look capped.
      if (piece.empty()) continue;
      if (iov_.size() == IOV_MAX || bytes_ == kMaxOpBytes) {
        capped_ = true;
        break;
      }
      size_t len = std::min(piece.size(), kMaxOpBytes - bytes_);
      capped_ = capped_ || len < piece.size();
      // iovec is shared by readv and writev, hence the non-const base; writes only read it.
      iov_.push_back({const_cast<std::byte*>(piece.data()), len});
      bytes_ += len;
    }
  }
  WriteList(const WriteList&) = delete;
  WriteList& operator=(const WriteList&) = delete;

  // Bytes one operation will write: less than asked when `capped()`.
  size_t bytes() const { return bytes_; }
  bool capped() const { return capped_; }
  bool empty() const { return iov_.empty(); }

  void Prep(io_uring_sqe* sqe, int fd, uint64_t pos) const {
    // One piece (the usual append) needs no iovec import in the kernel.
    if (iov_.size() == 1) {
      io_uring_prep_write(sqe, fd, iov_[0].iov_base, static_cast<unsigned>(iov_[0].iov_len), pos);
    } else {
      io_uring_prep_writev(sqe, fd, iov_.data(), static_cast<unsigned>(iov_.size()), pos);
    }
  }

 private:
  std::vector<iovec> iov_;
  size_t bytes_ = 0;
  bool capped_ = false;
};

// Awaitable for a write linked (IOSQE_IO_LINK) to an fdatasync. Both SQEs come from
// one NextSqes call so that they are submitted in the same batch, which the link
// requires. The kernel starts the sync only after the write completed in full; a
// short or failed write cancels it (-ECANCELED). The two completions may arrive in
// different turns, so the awaiter resumes when the second one arrives.
class LinkedWriteSync {
 public:
  struct Results {
    int32_t write;
    int32_t sync;
  };

  LinkedWriteSync(EventLoop& loop, int fd, const WriteList& list, uint64_t pos)
      : loop_(loop), fd_(fd), list_(list), pos_(pos) {}
  LinkedWriteSync(const LinkedWriteSync&) = delete;
  LinkedWriteSync& operator=(const LinkedWriteSync&) = delete;

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    waiter_ = h;
    io_uring_sqe* sqes[2];
    loop_.NextSqes(sqes, 2);
    list_.Prep(sqes[0], fd_, pos_);
    sqes[0]->flags |= IOSQE_IO_LINK;
    io_uring_prep_fsync(sqes[1], fd_, IORING_FSYNC_DATASYNC);
    loop_.SetCompletion(sqes[0], &write_);
    loop_.SetCompletion(sqes[1], &sync_);
  }
  Results await_resume() const noexcept { return {write_.result, sync_.result}; }

 private:
  class Part final : public EventLoop::Completion {
   public:
    explicit Part(LinkedWriteSync* owner) : owner_(owner) {}
    void OnComplete(int32_t res, uint32_t) override {
      result = res;
      owner_->PartDone();  // may resume the awaiter, which destroys *this: nothing after
    }
    int32_t result = 0;

   private:
    LinkedWriteSync* owner_;
  };

  void PartDone() {
    if (--pending_ == 0) waiter_.resume();
  }

  EventLoop& loop_;
  int fd_;
  const WriteList& list_;
  uint64_t pos_;
  std::coroutine_handle<> waiter_;
  int pending_ = 2;
  Part write_{this};
  Part sync_{this};
};

std::string WriteWhat(size_t bytes, uint64_t pos) {
  return "write " + std::to_string(bytes) + " bytes at " + std::to_string(pos) + " to";
}

bool Aligned(uint64_t v) { return v % kIoAlignment == 0; }

// One open file. Every operation runs on the loop's thread; the descriptor is
// closed on destruction, which must not happen while an operation is in flight
// (its coroutine frame points at this object).
class UringFile final : public File {
 public:
  // `direct`: the caller asked for direct I/O, so alignment is enforced even when the
  // file system made us fall back to buffered I/O.
  UringFile(EventLoop& loop, int fd, std::string path, bool direct)
      : loop_(loop), fd_(fd), path_(std::move(path)), direct_(direct) {}
  UringFile(const UringFile&) = delete;
  UringFile& operator=(const UringFile&) = delete;
  ~UringFile() override {
    MS_CHECK(in_flight_ == 0) << "closing " << path_ << " with " << in_flight_
                              << " operations in flight";
  }

  Task<Result<size_t>> Write(FilePos pos, std::span<const ConstBytes> pieces) override;
  Task<Result<size_t>> WriteThenSync(FilePos pos, std::span<const ConstBytes> pieces) override;
  Task<Result<size_t>> Read(FilePos pos, MutableBytes out) override;
  Task<Status> DataSync() override;
  Status Truncate(uint64_t size) override;
  Status Allocate(uint64_t offset, uint64_t length) override;
  Result<uint64_t> Size() override;
  void WillNeed(uint64_t offset, uint64_t length) override {
    // Starts readahead and returns; a failure only costs the overlap.
    (void)posix_fadvise(fd_.get(), static_cast<off_t>(offset), static_cast<off_t>(length), POSIX_FADV_WILLNEED);
  }
  const std::string& path() const override { return path_; }

 private:
  // InvalidArgument unless the I/O meets the O_DIRECT rules (when direct_ only).
  Status CheckAlignment(std::string_view op, uint64_t pos, const std::byte* data, size_t len) const;
  Status CheckAlignment(uint64_t pos, std::span<const ConstBytes> pieces) const;

  EventLoop& loop_;
  ScopedFd fd_;
  const std::string path_;
  const bool direct_;
  int in_flight_ = 0;  // operations submitted whose completion has not arrived
};

Status UringFile::CheckAlignment(std::string_view op, uint64_t pos, const std::byte* data,
                                 size_t len) const {
  if (!direct_) return Status::Ok();
  if (Aligned(pos) && Aligned(len) && Aligned(reinterpret_cast<uintptr_t>(data))) {
    return Status::Ok();
  }
  return InvalidArgument("direct " + std::string(op) + " of " + std::to_string(len) + " bytes at " +
                         std::to_string(pos) + " in " + path_ + " is not aligned to " +
                         std::to_string(kIoAlignment));
}

Status UringFile::CheckAlignment(uint64_t pos, std::span<const ConstBytes> pieces) const {
  for (ConstBytes piece : pieces) {
    if (piece.empty()) continue;  // never reaches the kernel, so its address does not matter
    RETURN_IF_ERROR(CheckAlignment("write", pos, piece.data(), piece.size()));
    pos += piece.size();
  }
  return Status::Ok();
}

Task<Result<size_t>> UringFile::Write(FilePos pos, std::span<const ConstBytes> pieces) {
  CO_RETURN_IF_ERROR(CheckAlignment(pos.value(), pieces));
  WriteList list(pieces);
  if (list.empty()) co_return size_t{0};
  auto prep = [&list, fd = fd_.get(), at = pos.value()](io_uring_sqe* sqe) {
    list.Prep(sqe, fd, at);
  };
  ++in_flight_;
  int32_t res = co_await UringOp<decltype(prep)>(loop_, prep);
  --in_flight_;
  co_return CompletionToResult(res, WriteWhat(list.bytes(), pos.value()), path_);
}

Task<Result<size_t>> UringFile::WriteThenSync(FilePos pos, std::span<const ConstBytes> pieces) {
  CO_RETURN_IF_ERROR(CheckAlignment(pos.value(), pieces));
  WriteList list(pieces);
  if (list.empty()) {
    Status synced = co_await DataSync();
    if (!synced.ok()) co_return synced;
    co_return size_t{0};
  }
  // The pieces exceed what one operation takes, so the write is short even if the
  // kernel writes all it was given. Report it like any short write: the count,
  // without syncing (the caller finishes and syncs).
  if (list.capped()) {
    Result<size_t> written = co_await Write(pos, pieces);
    co_return written;
  }

  in_flight_ += 2;
  LinkedWriteSync::Results res = co_await LinkedWriteSync(loop_, fd_.get(), list, pos.value());
  in_flight_ -= 2;
  Result<size_t> written =
      CompletionToResult(res.write, WriteWhat(list.bytes(), pos.value()), path_);
  // A failed or short write cancelled the sync; its -ECANCELED adds nothing.
  if (!written.ok() || *written < list.bytes()) co_return written;
  Result<size_t> synced = CompletionToResult(res.sync, "fdatasync after write of", path_);
  if (!synced.ok()) co_return synced.status();
  co_return written;
}

Task<Result<size_t>> UringFile::Read(FilePos pos, MutableBytes out) {
  CO_RETURN_IF_ERROR(CheckAlignment("read", pos.value(), out.data(), out.size()));
  if (out.empty()) co_return size_t{0};
  auto len = static_cast<unsigned>(std::min(out.size(), kMaxOpBytes));
  auto prep = [fd = fd_.get(), data = out.data(), len, at = pos.value()](io_uring_sqe* sqe) {
    io_uring_prep_read(sqe, fd, data, len, at);
  };
  ++in_flight_;
  int32_t res = co_await UringOp<decltype(prep)>(loop_, prep);
  --in_flight_;
  co_return CompletionToResult(
      res, "read " + std::to_string(len) + " bytes at " + std::to_string(pos.value()) + " from",
      path_);
}

Task<Status> UringFile::DataSync() {
  auto prep = [fd = fd_.get()](io_uring_sqe* sqe) {
    io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
  };
  ++in_flight_;
  int32_t res = co_await UringOp<decltype(prep)>(loop_, prep);
  --in_flight_;
  co_return CompletionToResult(res, "fdatasync of", path_).status();
}

Status UringFile::Truncate(uint64_t size) {
  int rc = RetryOnEintr([&] { return ::ftruncate(fd_.get(), static_cast<off_t>(size)); });
  if (rc != 0) return StatusFromErrno(errno, "truncate " + path_ + " to " + std::to_string(size));
  return Status::Ok();
}

Status UringFile::Allocate(uint64_t offset, uint64_t length) {
  // fallocate rejects an empty range with EINVAL; reserving nothing is trivially done.
  if (length == 0) return Status::Ok();
  int rc = RetryOnEintr([&] {
    return ::fallocate(fd_.get(), 0, static_cast<off_t>(offset), static_cast<off_t>(length));
  });
  if (rc != 0) {
    return StatusFromErrno(errno, "allocate " + std::to_string(length) + " bytes at " +
                                      std::to_string(offset) + " in " + path_);
  }
  return Status::Ok();
}

Result<uint64_t> UringFile::Size() {
  struct stat st;
  if (::fstat(fd_.get(), &st) != 0) return StatusFromErrno(errno, "fstat " + path_);
  return static_cast<uint64_t>(st.st_size);
}

int OpenFd(const std::string& path, int flags) {
  return RetryOnEintr([&] { return ::open(path.c_str(), flags, 0644); });
}

}  // namespace

Result<std::unique_ptr<File>> UringFileSystem::Open(const std::string& path, OpenOptions options) {
  int flags = O_CLOEXEC | (options.read_only ? O_RDONLY : O_RDWR);
  if (options.create) flags |= O_CREAT;
  if (options.create && options.exclusive) flags |= O_EXCL;

  int fd = OpenFd(path, options.direct ? flags | O_DIRECT : flags);
  if (fd < 0 && options.direct && errno == EINVAL) {
    // The file system cannot do direct I/O. The kernel checks that only after it
    // created the file, so a failed O_CREAT|O_EXCL attempt may have left the file
    // behind: it is ours, and the retry must not fail on it with EEXIST.
    fd = OpenFd(path, flags & ~O_EXCL);
    if (fd >= 0) ++direct_fallbacks_;
  }
  if (fd < 0) {
    int err = errno;
    if (err == EEXIST) {
      return Status(StatusCode::kInvalidArgument, "create " + path + ": already exists", err);
    }
    return StatusFromErrno(err, "open " + path);
  }
  return std::unique_ptr<File>(new UringFile(loop_, fd, path, options.direct));
}

Status UringFileSystem::Remove(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return StatusFromErrno(errno, "remove " + path);
  return Status::Ok();
}

Status UringFileSystem::Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return StatusFromErrno(errno, "rename " + from + " to " + to);
  }
  return Status::Ok();
}

Result<std::vector<std::string>> UringFileSystem::List(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return StatusFromErrno(errno, "list " + dir);
  std::vector<std::string> names;
  int err = 0;
  while (true) {
    // readdir returns nullptr both at the end and on error; only errno tells them apart.
    errno = 0;
    dirent* entry = ::readdir(d);
    if (entry == nullptr) {
      err = errno;
      break;
    }
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(d);
  if (err != 0) return StatusFromErrno(err, "list " + dir);
  std::sort(names.begin(), names.end());
  return names;
}

Status UringFileSystem::CreateDirs(const std::string& dir) {
  // mkdir each prefix in turn; EEXIST is fine as long as it is a directory.
  for (size_t end = 0; end != std::string::npos;) {
    end = dir.find('/', end + 1);
    std::string prefix = dir.substr(0, end);
    if (prefix.empty() || prefix.back() == '/') continue;  // leading or doubled '/'
    if (::mkdir(prefix.c_str(), 0755) == 0) continue;
    int err = errno;
    struct stat st;
    if (err == EEXIST && ::stat(prefix.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
    if (err == EEXIST) err = ENOTDIR;
    return StatusFromErrno(err, "create directory " + prefix);
  }
  return Status::Ok();
}

Status UringFileSystem::RemoveDir(const std::string& dir) {
  if (::rmdir(dir.c_str()) != 0) return StatusFromErrno(errno, "remove directory " + dir);
  return Status::Ok();
}

Status UringFileSystem::SyncDir(const std::string& dir) {
  ScopedFd fd(OpenFd(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return StatusFromErrno(errno, "open directory " + dir);
  if (RetryOnEintr([&] { return ::fsync(fd.get()); }) != 0) {
    return StatusFromErrno(errno, "fsync directory " + dir);
  }
  return Status::Ok();
}

Result<bool> UringFileSystem::Exists(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return true;
  // ENOTDIR: a component of the path is a file, so nothing can exist below it.
  if (errno == ENOENT || errno == ENOTDIR) return false;
  return StatusFromErrno(errno, "stat " + path);
}

Result<uint64_t> UringFileSystem::FreeBytes(const std::string& path) {
  struct statvfs st;
  if (::statvfs(path.c_str(), &st) != 0) return StatusFromErrno(errno, "statvfs " + path);
  // f_bavail, not f_bfree: blocks reserved for root are not ours to use.
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

}  // namespace millstream::storage::io
