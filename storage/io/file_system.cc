#include "storage/io/file_system.h"

namespace millstream::storage::io {

Task<Status> WriteFully(File& file, FilePos pos, ConstBytes data) {
  while (!data.empty()) {
    ConstBytes piece[1] = {data};
    Result<size_t> n = co_await file.Write(pos, piece);
    if (!n.ok()) co_return n.status();
    if (*n == 0) co_return IoError("write made no progress at " + file.path());
    data = data.subspan(*n);
    pos += *n;
  }
  co_return Status::Ok();
}

Task<Status> ReadFully(File& file, FilePos pos, MutableBytes out) {
  while (!out.empty()) {
    Result<size_t> n = co_await file.Read(pos, out);
    if (!n.ok()) co_return n.status();
    if (*n == 0) {
      co_return OutOfRange("read past the end of " + file.path() + " at " +
                           std::to_string(pos.value()));
    }
    out = out.subspan(*n);
    pos += *n;
  }
  co_return Status::Ok();
}

Task<Status> WriteFullyThenSync(File& file, FilePos pos, ConstBytes data) {
  ConstBytes piece[1] = {data};
  Result<size_t> n = co_await file.WriteThenSync(pos, piece);
  if (!n.ok()) co_return n.status();
  if (*n == data.size()) co_return Status::Ok();
  // Short write: the linked sync was cancelled. Finish the write, then sync.
  Status rest = co_await WriteFully(file, pos + *n, data.subspan(*n));
  if (!rest.ok()) co_return rest;
  co_return co_await file.DataSync();
}

Task<Status> ReplaceFile(FileSystem& fs, const std::string& path, ConstBytes content) {
  std::string tmp = path + ".tmp";
  Result<std::unique_ptr<File>> file = fs.Open(tmp, {.create = true});
  if (!file.ok()) co_return file.status();
  CO_RETURN_IF_ERROR((*file)->Truncate(0));
  CO_RETURN_IF_ERROR(co_await WriteFullyThenSync(**file, FilePos(0), content));
  co_return fs.Rename(tmp, path);
}

Task<Result<std::vector<std::byte>>> ReadWholeFile(FileSystem& fs, const std::string& path) {
  Result<std::unique_ptr<File>> file = fs.Open(path, {.read_only = true});
  if (!file.ok()) co_return file.status();
  Result<uint64_t> size = (*file)->Size();
  if (!size.ok()) co_return size.status();
  std::vector<std::byte> bytes(*size);
  Status s = co_await ReadFully(**file, FilePos(0), bytes);
  if (!s.ok()) co_return s;
  co_return std::move(bytes);
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace millstream::storage::io
