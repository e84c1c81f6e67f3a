#include "tools/replay_output.h"

#include <nlohmann/json.hpp>

#include "base/utf8.h"

namespace millstream::tools {

namespace {

void PutBigEndian(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutBytes(std::string& out, std::optional<std::string_view> bytes) {
  if (!bytes) {
    PutBigEndian(out, static_cast<uint32_t>(-1), 4);
    return;
  }
  PutBigEndian(out, static_cast<uint32_t>(bytes->size()), 4);
  out.append(*bytes);
}

// A JSON string when the bytes are UTF-8 text, else {"base64": "..."}: the output
// stays lossless whatever a producer sent.
nlohmann::json Text(std::optional<std::string_view> bytes) {
  if (!bytes) return nullptr;
  if (IsUtf8(*bytes)) return std::string(*bytes);
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes->data());
  size_t n = bytes->size();
  for (size_t i = 0; i < n; i += 3) {
    uint32_t chunk = uint32_t{p[i]} << 16 | (i + 1 < n ? uint32_t{p[i + 1]} << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    b64 += kAlphabet[(chunk >> 18) & 63];
    b64 += kAlphabet[(chunk >> 12) & 63];
    b64 += i + 1 < n ? kAlphabet[(chunk >> 6) & 63] : '=';
    b64 += i + 2 < n ? kAlphabet[chunk & 63] : '=';
  }
  return {{"base64", b64}};
}

}  // namespace

ReplayOutput::ReplayOutput(std::FILE* out, ReplayFormat format)
    : out_(out), format_(format), sha_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(sha_, EVP_sha256(), nullptr);
}

ReplayOutput::~ReplayOutput() { EVP_MD_CTX_free(sha_); }

void ReplayOutput::NotePartition(std::string_view topic, int32_t partition) {
  partitions_.try_emplace({std::string(topic), partition});
}

void ReplayOutput::Add(const ReplayRecord& r) {
  // The canonical form (docs/checkpoints.md, "The digest"); all integers big-endian.
  canonical_.clear();
  PutBigEndian(canonical_, r.topic.size(), 2);
  canonical_.append(r.topic);
  PutBigEndian(canonical_, static_cast<uint32_t>(r.partition), 4);
  PutBigEndian(canonical_, static_cast<uint64_t>(r.offset), 8);
  PutBigEndian(canonical_, static_cast<uint64_t>(r.timestamp_ms), 8);
  PutBytes(canonical_, r.key);
  PutBytes(canonical_, r.value);
  PutBigEndian(canonical_, r.headers.size(), 4);
  for (const auto& [name, value] : r.headers) {
    PutBytes(canonical_, name);
    PutBytes(canonical_, value);
  }
  EVP_DigestUpdate(sha_, canonical_.data(), canonical_.size());
  PartitionSummary& s = partitions_[{std::string(r.topic), r.partition}];
  if (s.records == 0) s.first = r.offset;
  s.last = r.offset;
  ++s.records;
  ++total_;
  if (format_ == ReplayFormat::kRaw) {
    std::fwrite(canonical_.data(), 1, canonical_.size(), out_);
  } else if (format_ == ReplayFormat::kJsonLines) {
    nlohmann::json headers = nlohmann::json::array();
    for (const auto& [name, value] : r.headers) headers.push_back({{"key", Text(name)}, {"value", Text(value)}});
    nlohmann::json line = {{"topic", std::string(r.topic)}, {"partition", r.partition}, {"offset", r.offset},
                           {"timestamp", r.timestamp_ms}, {"key", Text(r.key)}, {"value", Text(r.value)},
                           {"headers", headers}};
    std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::fwrite(text.data(), 1, text.size(), out_);
  }
}

std::string ReplayOutput::HexDigest() {
  if (digest_.empty()) {
    unsigned char sum[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(sha_, sum, &length);
    static constexpr char kHex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < length; ++i) {
      digest_ += kHex[sum[i] >> 4];
      digest_ += kHex[sum[i] & 15];
    }
  }
  return digest_;
}

std::string ReplayOutput::Summary() {
  std::string out;
  for (const auto& [tp, s] : partitions_) {
    out += "partition\t" + tp.first + "\t" + std::to_string(tp.second) + "\t" + std::to_string(s.records) + "\t" +
           std::to_string(s.first) + "\t" + std::to_string(s.last) + "\n";
  }
  out += "records\t" + std::to_string(total_) + "\n";
  out += "digest\tsha256:" + HexDigest() + "\n";
  return out;
}

}  // namespace millstream::tools
