#include "storage/segment_files.h"

#include <xxhash.h>

#include <charconv>
#include <cstdio>
#include <cstring>

#include "base/endian.h"

namespace millstream::storage {

namespace {

constexpr char kOffsetIndexMagic[4] = {'M', 'S', 'O', 'I'};
constexpr char kTimeIndexMagic[4] = {'M', 'S', 'T', 'I'};
constexpr char kSealMagic[4] = {'M', 'S', 'S', 'L'};
constexpr uint16_t kFormatVersion = 1;
constexpr uint16_t kCleanCloseFlag = 1;  // offset index flags, bit 0

// Appends big-endian fields to a byte vector.
class Writer {
 public:
  template <typename T>
  void Put(T v) {
    std::byte bytes[sizeof(T)];
    StoreBigEndian<T>(bytes, v);
    out_.insert(out_.end(), bytes, bytes + sizeof(T));
  }
  void PutMagic(const char (&m)[4]) {
    for (char c : m) out_.push_back(static_cast<std::byte>(c));
  }
  // Appends the XXH3-64 of everything written so far.
  std::vector<std::byte> Finish() {
    Put<uint64_t>(XXH3_64bits(out_.data(), out_.size()));
    return std::move(out_);
  }

 private:
  std::vector<std::byte> out_;
};

// Reads big-endian fields; any read past the end sets failed().
class Reader {
 public:
  explicit Reader(ConstBytes b) : b_(b) {}
  template <typename T>
  T Get() {
    if (pos_ + sizeof(T) > b_.size()) {
      failed_ = true;
      return T{};
    }
    T v = LoadBigEndian<T>(b_.data() + pos_);
    pos_ += sizeof(T);
    return v;
  }
  bool failed() const { return failed_; }
  size_t pos() const { return pos_; }

 private:
  ConstBytes b_;
  size_t pos_ = 0;
  bool failed_ = false;
};

// Checks magic, version and trailing checksum; returns a reader positioned after
// the version field, over the bytes before the checksum.
Result<Reader> OpenChecked(ConstBytes b, const char (&magic)[4], std::string_view what) {
  if (b.size() < 4 + 2 + 2 + 8) return Corruption(std::string(what) + " is too short");
  if (std::memcmp(b.data(), magic, 4) != 0) return Corruption(std::string(what) + " has a bad magic");
  ConstBytes body = b.first(b.size() - 8);
  uint64_t stored = LoadBigEndian<uint64_t>(b.data() + body.size());
  if (XXH3_64bits(body.data(), body.size()) != stored) {
    return Corruption(std::string(what) + " checksum mismatch");
  }
  Reader r(body.subspan(4));
  if (r.Get<uint16_t>() != kFormatVersion) return Corruption(std::string(what) + " has an unknown version");
  return r;  // positioned at the 16-bit flags field
}

void PutStats(Writer& w, const SegmentStats& s) {
  w.Put<int64_t>(s.base_offset.value());
  w.Put<int64_t>(s.next_offset.value());
  w.Put<uint64_t>(s.size);
  w.Put<int64_t>(s.batch_count);
  w.Put<int64_t>(s.record_count);
  w.Put<int64_t>(s.first_timestamp.value());
  w.Put<int64_t>(s.max_timestamp.value());
}

SegmentStats GetStats(Reader& r) {
  SegmentStats s;
  s.base_offset = Offset(r.Get<int64_t>());
  s.next_offset = Offset(r.Get<int64_t>());
  s.size = r.Get<uint64_t>();
  s.batch_count = r.Get<int64_t>();
  s.record_count = r.Get<int64_t>();
  s.first_timestamp = TimestampMs(r.Get<int64_t>());
  s.max_timestamp = TimestampMs(r.Get<int64_t>());
  return s;
}

}  // namespace

std::string SegmentFileName(Offset base, std::string_view extension) {
  char digits[32];
  std::snprintf(digits, sizeof(digits), "%020lld", static_cast<long long>(base.value()));
  return std::string(digits) + std::string(extension);
}

std::optional<Offset> ParseSegmentFileName(std::string_view name, std::string_view extension) {
  if (name.size() != 20 + extension.size() || !name.ends_with(extension)) return std::nullopt;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + 20, v);
  if (ec != std::errc() || ptr != name.data() + 20 || v < 0) return std::nullopt;
  return Offset(v);
}

std::vector<std::byte> EncodeOffsetIndex(const PersistedIndex& index) {
  Writer w;
  w.PutMagic(kOffsetIndexMagic);
  w.Put<uint16_t>(kFormatVersion);
  w.Put<uint16_t>(index.clean_close ? kCleanCloseFlag : 0);
  PutStats(w, index.stats);
  w.Put<uint32_t>(static_cast<uint32_t>(index.offsets.size()));
  for (const OffsetIndexEntry& e : index.offsets) {
    w.Put<uint32_t>(e.relative_offset);
    w.Put<uint32_t>(e.position);
  }
  return w.Finish();
}

std::vector<std::byte> EncodeTimeIndex(const PersistedIndex& index) {
  Writer w;
  w.PutMagic(kTimeIndexMagic);
  w.Put<uint16_t>(kFormatVersion);
  w.Put<uint16_t>(0);
  w.Put<int64_t>(index.stats.base_offset.value());
  w.Put<uint64_t>(index.stats.size);
  w.Put<uint32_t>(static_cast<uint32_t>(index.times.size()));
  for (const TimeIndexEntry& e : index.times) {
    w.Put<int64_t>(e.timestamp);
    w.Put<uint32_t>(e.relative_offset);
  }
  return w.Finish();
}

Result<PersistedIndex> DecodeIndexFiles(ConstBytes offset_file, ConstBytes time_file) {
  PersistedIndex index;
  ASSIGN_OR_RETURN(Reader r, OpenChecked(offset_file, kOffsetIndexMagic, "offset index"));
  index.clean_close = (r.Get<uint16_t>() & kCleanCloseFlag) != 0;
  index.stats = GetStats(r);
  uint32_t n = r.Get<uint32_t>();
  if (r.failed() || n > offset_file.size() / 8) return Corruption("offset index is truncated");
  index.offsets.resize(n);
  for (OffsetIndexEntry& e : index.offsets) {
    e.relative_offset = r.Get<uint32_t>();
    e.position = r.Get<uint32_t>();
  }
  if (r.failed()) return Corruption("offset index is truncated");

  ASSIGN_OR_RETURN(Reader t, OpenChecked(time_file, kTimeIndexMagic, "time index"));
  t.Get<uint16_t>();  // flags, none defined
  int64_t base = t.Get<int64_t>();
  uint64_t size = t.Get<uint64_t>();
  uint32_t m = t.Get<uint32_t>();
  if (t.failed() || m > time_file.size() / 12) return Corruption("time index is truncated");
  if (base != index.stats.base_offset.value() || size != index.stats.size) {
    return Corruption("time index and offset index cover different prefixes");
  }
  index.times.resize(m);
  for (TimeIndexEntry& e : index.times) {
    e.timestamp = t.Get<int64_t>();
    e.relative_offset = t.Get<uint32_t>();
  }
  if (t.failed()) return Corruption("time index is truncated");
  return index;
}

std::vector<std::byte> EncodeSeal(const SealManifest& seal) {
  Writer w;
  w.PutMagic(kSealMagic);
  w.Put<uint16_t>(kFormatVersion);
  w.Put<uint16_t>(0);
  PutStats(w, seal.stats);
  w.Put<uint64_t>(seal.digest_high);
  w.Put<uint64_t>(seal.digest_low);
  return w.Finish();
}

Result<SealManifest> DecodeSeal(ConstBytes bytes) {
  ASSIGN_OR_RETURN(Reader r, OpenChecked(bytes, kSealMagic, "seal manifest"));
  r.Get<uint16_t>();  // flags, none defined
  SealManifest seal;
  seal.stats = GetStats(r);
  seal.digest_high = r.Get<uint64_t>();
  seal.digest_low = r.Get<uint64_t>();
  if (r.failed()) return Corruption("seal manifest is truncated");
  return seal;
}

}  // namespace millstream::storage
