// `millstream dump FILE`: prints a segment's batches, and the records of
// uncompressed batches, as JSON lines. Bytes that are valid UTF-8 print as strings;
// other bytes print as {"base64": "..."}.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>

#include "storage/record_batch.h"
#include "storage/record_batch_format.h"
#include "tools/commands.h"

namespace millstream::tools {

namespace {

std::string Base64(ConstBytes b) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < b.size(); i += 3) {
    uint32_t v = (uint32_t(b[i]) << 16) | (uint32_t(b[i + 1]) << 8) | uint32_t(b[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += kAlphabet[(v >> k) & 63];
  }
  if (i < b.size()) {
    uint32_t v = uint32_t(b[i]) << 16;
    if (i + 1 < b.size()) v |= uint32_t(b[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < b.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past
// U+10FFFF, so every string handed to the JSON writer is one it accepts.
bool IsUtf8(ConstBytes b) {
  size_t i = 0;
  while (i < b.size()) {
    auto c = static_cast<uint8_t>(b[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint8_t lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
      n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (i + n > b.size()) return false;
    auto second = static_cast<uint8_t>(b[i + 1]);
    if (second < lo || second > hi) return false;
    for (size_t k = 2; k < n; ++k) {
      if ((static_cast<uint8_t>(b[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

nlohmann::json BytesJson(const std::optional<ConstBytes>& b) {
  if (!b) return nullptr;
  if (IsUtf8(*b)) return std::string(AsStringView(*b));
  return {{"base64", Base64(*b)}};
}

// nlohmann throws on invalid UTF-8; IsUtf8 keeps it out, and `replace` makes sure
// that nothing can throw here anyway.
std::string Print(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

const char* CompressionName(storage::Compression c) {
  switch (c) {
    case storage::Compression::kNone: return "none";
    case storage::Compression::kGzip: return "gzip";
    case storage::Compression::kSnappy: return "snappy";
    case storage::Compression::kLz4: return "lz4";
    case storage::Compression::kZstd: return "zstd";
  }
  return "unknown";
}

int RunDump(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "dump: cannot open %s\n", path.c_str());
    return 2;
  }
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ConstBytes data(reinterpret_cast<const std::byte*>(raw.data()), raw.size());
  uint64_t pos = 0;
  while (pos + storage::batch_format::kHeaderSize <= data.size()) {
    std::optional<storage::BatchHeader> h = storage::PeekBatchHeader(data.subspan(pos));
    if (h->batch_length == 0 && h->magic == 0) break;  // preallocated zeros: the end
    if (h->batch_length < 49 || pos + h->total_size() > data.size()) {
      std::fprintf(stderr, "dump: %s:%llu: bad batch length %d\n", path.c_str(),
                   static_cast<unsigned long long>(pos), h->batch_length);
      return 1;
    }
    ConstBytes batch = data.subspan(pos, h->total_size());
    Result<storage::BatchHeader> checked = storage::CheckBatchFraming(batch);
    nlohmann::json line = {
        {"batch_position", pos},         {"base_offset", h->base_offset.value()},
        {"last_offset", h->last_offset().value()}, {"size", h->total_size()},
        {"records", h->records_count},   {"compression", CompressionName(h->compression())},
        {"base_timestamp", h->base_timestamp.value()}, {"max_timestamp", h->max_timestamp.value()},
        {"producer_id", h->producer_id}, {"producer_epoch", h->producer_epoch},
        {"base_sequence", h->base_sequence}, {"control", h->is_control()},
        {"crc_ok", checked.ok()}};
    std::printf("%s\n", Print(line).c_str());
    if (!checked.ok()) {
      std::fprintf(stderr, "dump: %s:%llu: %s\n", path.c_str(), static_cast<unsigned long long>(pos),
                   checked.status().message().c_str());
      return 1;
    }
    if (h->compression() == storage::Compression::kNone) {
      storage::RecordReader reader(*h, batch.subspan(storage::batch_format::kRecords));
      while (std::optional<storage::RecordView> r = reader.Next()) {
        nlohmann::json headers = nlohmann::json::array();
        for (const auto& hd : r->headers) {
          headers.push_back({{"key", BytesJson(hd.key)}, {"value", BytesJson(hd.value)}});
        }
        nlohmann::json rec = {{"offset", r->offset.value()}, {"timestamp", r->timestamp.value()},
                              {"key", BytesJson(r->key)}, {"value", BytesJson(r->value)},
                              {"headers", headers}};
        std::printf("%s\n", Print(rec).c_str());
      }
      if (!reader.status().ok()) {
        std::fprintf(stderr, "dump: %s:%llu: %s\n", path.c_str(),
                     static_cast<unsigned long long>(pos), reader.status().message().c_str());
        return 1;
      }
    }
    pos += h->total_size();
  }
  return 0;
}

}  // namespace

CommandRunner RegisterDump(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("dump", "Print a segment's batches and records as JSON lines");
  cmd->add_option("FILE", *path, "A segment file (<base offset>.log)")->required()->check(CLI::ExistingFile);
  return [path] { return RunDump(*path); };
}

}  // namespace millstream::tools
