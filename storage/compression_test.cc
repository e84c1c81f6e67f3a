#include "storage/compression.h"

#include <gtest/gtest.h>
#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <string>

#include "base/endian.h"

namespace millstream::storage {
namespace {

const std::string kText = [] {
  std::string s;
  for (int i = 0; i < 5000; ++i) s += "goods receipt " + std::to_string(i) + ";";
  return s;
}();

std::vector<std::byte> Bytes(const std::string& s) {
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  return {p, p + s.size()};
}

std::string Text(const Result<std::vector<std::byte>>& r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::string(reinterpret_cast<const char*>(r->data()), r->size()) : "";
}

std::vector<std::byte> Gzip(const std::string& s) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::vector<std::byte> out(deflateBound(&z, s.size()) + 32);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
  z.avail_in = static_cast<uInt>(s.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

TEST(CompressionTest, EveryCodecDecompressesWhatItsLibraryWrote) {
  EXPECT_EQ(Text(Decompress(Compression::kGzip, Gzip(kText))), kText);

  std::string raw;
  snappy::Compress(kText.data(), kText.size(), &raw);
  EXPECT_EQ(Text(Decompress(Compression::kSnappy, Bytes(raw))), kText);

  std::vector<std::byte> lz4(LZ4F_compressFrameBound(kText.size(), nullptr));
  lz4.resize(LZ4F_compressFrame(lz4.data(), lz4.size(), kText.data(), kText.size(), nullptr));
  EXPECT_EQ(Text(Decompress(Compression::kLz4, lz4)), kText);

  std::vector<std::byte> zstd(ZSTD_compressBound(kText.size()));
  zstd.resize(ZSTD_compress(zstd.data(), zstd.size(), kText.data(), kText.size(), 3));
  EXPECT_EQ(Text(Decompress(Compression::kZstd, zstd)), kText);
}

TEST(CompressionTest, SnappyInXerialFramingAsJavaClientsWriteIt) {
  std::string half1 = kText.substr(0, kText.size() / 2), half2 = kText.substr(kText.size() / 2);
  std::string framed("\x82SNAPPY\0", 8);
  framed += std::string("\0\0\0\1\0\0\0\1", 8);  // version 1, compatible version 1
  for (const std::string& part : {half1, half2}) {
    std::string block;
    snappy::Compress(part.data(), part.size(), &block);
    char length[4];
    StoreBigEndian<uint32_t>(reinterpret_cast<std::byte*>(length), static_cast<uint32_t>(block.size()));
    framed += std::string(length, 4) + block;
  }
  EXPECT_EQ(Text(Decompress(Compression::kSnappy, Bytes(framed))), kText);
}

TEST(CompressionTest, DamagedOrTruncatedDataIsCorruptionNotACrash) {
  std::vector<std::byte> gz = Gzip(kText);
  std::vector<std::byte> zstd(ZSTD_compressBound(kText.size()));
  zstd.resize(ZSTD_compress(zstd.data(), zstd.size(), kText.data(), kText.size(), 3));
  std::vector<std::byte> lz4(LZ4F_compressFrameBound(kText.size(), nullptr));
  lz4.resize(LZ4F_compressFrame(lz4.data(), lz4.size(), kText.data(), kText.size(), nullptr));
  for (auto [codec, bytes] : {std::pair{Compression::kGzip, gz}, {Compression::kZstd, zstd}, {Compression::kLz4, lz4}}) {
    std::vector<std::byte> cut(bytes.begin(), bytes.begin() + bytes.size() / 2);
    EXPECT_EQ(Decompress(codec, cut).status().code(), StatusCode::kCorruption) << static_cast<int>(codec);
    std::vector<std::byte> garbage(100, std::byte{0x5a});
    EXPECT_EQ(Decompress(codec, garbage).status().code(), StatusCode::kCorruption) << static_cast<int>(codec);
  }
  EXPECT_EQ(Decompress(Compression::kSnappy, Bytes("\xff\xff\xff\xff\x0f garbage")).status().code(),
            StatusCode::kCorruption);
}

TEST(CompressionTest, OutputBeyondTheLimitIsRefused) {
  EXPECT_EQ(Decompress(Compression::kGzip, Gzip(kText), 1000).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace millstream::storage
