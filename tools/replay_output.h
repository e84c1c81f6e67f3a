// What `millstream replay` writes and proves: every record in its canonical
// form (docs/checkpoints.md, "The digest", byte for byte), a SHA-256 over all of
// them in order, and a summary per partition. The same class serves the online
// (librdkafka) and the offline (data directory) readers, so both produce the
// same digest for the same records.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace millstream::tools {

struct ReplayRecord {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  std::vector<std::pair<std::string_view, std::optional<std::string_view>>> headers;
};

enum class ReplayFormat { kJsonLines, kRaw, kNone };

class ReplayOutput {
 public:
  // `out` (borrowed) receives the records in `format`; kNone writes none
  // (--verify-only).
  ReplayOutput(std::FILE* out, ReplayFormat format);
  ~ReplayOutput();
  ReplayOutput(const ReplayOutput&) = delete;
  ReplayOutput& operator=(const ReplayOutput&) = delete;

  // Records must come partition after partition, each in offset order.
  void Add(const ReplayRecord& record);
  // A partition that holds no record in the range still gets a summary line.
  void NotePartition(std::string_view topic, int32_t partition);
  // "partition<TAB>TOPIC<TAB>P<TAB>RECORDS<TAB>FIRST<TAB>LAST" per partition
  // (FIRST and LAST -1 when empty), then "records<TAB>N" and "digest<TAB>sha256:HEX".
  std::string Summary();
  std::string HexDigest();

 private:
  struct PartitionSummary {
    int64_t records = 0;
    int64_t first = -1;
    int64_t last = -1;
  };
  std::FILE* out_;
  ReplayFormat format_;
  EVP_MD_CTX* sha_;
  std::string canonical_;  // scratch for one record
  std::map<std::pair<std::string, int32_t>, PartitionSummary> partitions_;
  int64_t total_ = 0;
  std::string digest_;  // set once finished
};

}  // namespace millstream::tools
