#include "storage/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>

#include "base/endian.h"

namespace millstream::storage {

namespace {

Status TooLarge(size_t max_bytes) {
  return Corruption("decompressed records exceed " + std::to_string(max_bytes) + " bytes");
}

Result<std::vector<std::byte>> Gunzip(ConstBytes in, size_t max_bytes) {
  z_stream z{};
  // 16 + MAX_WBITS: a gzip header and trailer (RFC 1952), as Kafka's gzip codec writes.
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return Corruption("gzip: cannot start zlib");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::vector<std::byte> out;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (out.size() >= max_bytes) {
      inflateEnd(&z);
      return TooLarge(max_bytes);
    }
    size_t had = out.size();
    out.resize(std::min(max_bytes, std::max<size_t>(had * 2, 64 * 1024)));
    z.next_out = reinterpret_cast<Bytef*>(out.data() + had);
    z.avail_out = static_cast<uInt>(out.size() - had);
    rc = inflate(&z, Z_NO_FLUSH);
    out.resize(out.size() - z.avail_out);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      return Corruption("gzip: " + std::string(z.msg != nullptr ? z.msg : "bad data"));
    }
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
      inflateEnd(&z);
      return Corruption("gzip: truncated");
    }
  }
  inflateEnd(&z);
  return out;
}

Status SnappyBlock(const char* data, size_t size, std::vector<std::byte>& out, size_t max_bytes) {
  size_t length = 0;
  if (!snappy::GetUncompressedLength(data, size, &length)) return Corruption("snappy: bad block header");
  if (out.size() + length > max_bytes) return TooLarge(max_bytes);
  size_t had = out.size();
  out.resize(had + length);
  if (!snappy::RawUncompress(data, size, reinterpret_cast<char*>(out.data() + had))) {
    return Corruption("snappy: bad block");
  }
  return Status::Ok();
}

// Java clients write snappy in xerial's framing (magic, version, compatible
// version, then big-endian length-prefixed blocks); librdkafka writes one raw
// block. Both are read.
Result<std::vector<std::byte>> Unsnappy(ConstBytes in, size_t max_bytes) {
  static constexpr unsigned char kXerial[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
  const char* p = reinterpret_cast<const char*>(in.data());
  std::vector<std::byte> out;
  if (in.size() >= 16 && std::memcmp(in.data(), kXerial, sizeof(kXerial)) == 0) {
    size_t at = 16;  // magic, int32 version, int32 compatible version
    while (at < in.size()) {
      if (in.size() - at < 4) return Corruption("snappy: truncated block length");
      auto length = static_cast<size_t>(LoadBigEndian<uint32_t>(in.data() + at));
      at += 4;
      if (length > in.size() - at) return Corruption("snappy: block runs past the records");
      RETURN_IF_ERROR(SnappyBlock(p + at, length, out, max_bytes));
      at += length;
    }
    return out;
  }
  RETURN_IF_ERROR(SnappyBlock(p, in.size(), out, max_bytes));
  return out;
}

// Kafka's lz4 codec is the LZ4 frame format (magic 0x184D2204).
Result<std::vector<std::byte>> Unlz4(ConstBytes in, size_t max_bytes) {
  LZ4F_dctx* ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) return Corruption("lz4: no context");
  std::vector<std::byte> out;
  size_t at = 0;
  size_t hint = 1;
  while (hint != 0) {
    if (at >= in.size()) {
      LZ4F_freeDecompressionContext(ctx);
      return Corruption("lz4: truncated frame");
    }
    if (out.size() >= max_bytes) {
      LZ4F_freeDecompressionContext(ctx);
      return TooLarge(max_bytes);
    }
    size_t had = out.size();
    out.resize(std::min(max_bytes, std::max<size_t>(had * 2, 64 * 1024)));
    size_t out_size = out.size() - had;
    size_t in_size = in.size() - at;
    hint = LZ4F_decompress(ctx, out.data() + had, &out_size, in.data() + at, &in_size, nullptr);
    if (LZ4F_isError(hint)) {
      std::string why = LZ4F_getErrorName(hint);
      LZ4F_freeDecompressionContext(ctx);
      return Corruption("lz4: " + why);
    }
    out.resize(had + out_size);
    at += in_size;
  }
  LZ4F_freeDecompressionContext(ctx);
  return out;
}

Result<std::vector<std::byte>> Unzstd(ConstBytes in, size_t max_bytes) {
  ZSTD_DStream* stream = ZSTD_createDStream();
  if (stream == nullptr) return Corruption("zstd: no context");
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  std::vector<std::byte> out;
  size_t rc = 1;
  while (rc != 0) {
    if (out.size() >= max_bytes) {
      ZSTD_freeDStream(stream);
      return TooLarge(max_bytes);
    }
    size_t had = out.size();
    out.resize(std::min(max_bytes, std::max<size_t>(had * 2, 64 * 1024)));
    ZSTD_outBuffer output{out.data() + had, out.size() - had, 0};
    rc = ZSTD_decompressStream(stream, &output, &input);
    out.resize(had + output.pos);
    if (ZSTD_isError(rc)) {
      std::string why = ZSTD_getErrorName(rc);
      ZSTD_freeDStream(stream);
      return Corruption("zstd: " + why);
    }
    if (rc != 0 && input.pos == input.size && output.pos < output.size) {
      ZSTD_freeDStream(stream);
      return Corruption("zstd: truncated frame");
    }
  }
  ZSTD_freeDStream(stream);
  return out;
}

}  // namespace

Result<std::vector<std::byte>> Decompress(Compression codec, ConstBytes compressed, size_t max_bytes) {
  switch (codec) {
    case Compression::kNone: return std::vector<std::byte>(compressed.begin(), compressed.end());
    case Compression::kGzip: return Gunzip(compressed, max_bytes);
    case Compression::kSnappy: return Unsnappy(compressed, max_bytes);
    case Compression::kLz4: return Unlz4(compressed, max_bytes);
    case Compression::kZstd: return Unzstd(compressed, max_bytes);
  }
  return Corruption("unknown compression codec " + std::to_string(static_cast<int>(codec)));
}

}  // namespace millstream::storage
