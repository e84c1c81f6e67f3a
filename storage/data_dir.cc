#include "storage/data_dir.h"

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace millstream::storage {

std::string TopicsRoot(const std::string& data_dir) { return io::JoinPath(data_dir, "topics"); }

std::string PartitionPath(const std::string& data_dir, const std::string& topic, int32_t partition) {
  return io::JoinPath(io::JoinPath(TopicsRoot(data_dir), topic), std::to_string(partition));
}

Result<std::vector<PartitionDir>> ListPartitions(io::FileSystem& fs, const std::string& data_dir) {
  std::vector<PartitionDir> out;
  std::string root = TopicsRoot(data_dir);
  ASSIGN_OR_RETURN(bool exists, fs.Exists(root));
  if (!exists) return out;
  ASSIGN_OR_RETURN(std::vector<std::string> topics, fs.List(root));
  for (const std::string& topic : topics) {
    Result<std::vector<std::string>> parts = fs.List(io::JoinPath(root, topic));
    // A stray file is not a topic; any other failure (permissions, I/O) must not
    // make a topic silently disappear from serve or verify.
    if (!parts.ok() && parts.status().sys_errno() == ENOTDIR) continue;
    if (!parts.ok()) return parts.status().WithContext("list topic " + topic);
    for (const std::string& name : *parts) {
      int32_t partition = 0;
      auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), partition);
      if (ec != std::errc() || ptr != name.data() + name.size() || partition < 0) continue;
      // Only the canonical spelling: "007" would otherwise be served from ".../7".
      if (name != std::to_string(partition)) continue;
      out.push_back({topic, partition, PartitionPath(data_dir, topic, partition)});
    }
  }
  std::sort(out.begin(), out.end(), [](const PartitionDir& a, const PartitionDir& b) {
    return a.topic != b.topic ? a.topic < b.topic : a.partition < b.partition;
  });
  return out;
}

Task<Result<Offset>> ReadDeletedBefore(io::FileSystem& fs, const std::string& partition_dir) {
  Result<std::vector<std::byte>> text = co_await io::ReadWholeFile(fs, io::JoinPath(partition_dir, "log_start_offset"));
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) co_return Offset(0);
    co_return text.status();
  }
  std::string digits(reinterpret_cast<const char*>(text->data()), text->size());
  int64_t value = -1;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || value < 0) co_return Corruption(partition_dir + "/log_start_offset does not hold an offset");
  co_return Offset(value);
}

}  // namespace millstream::storage

