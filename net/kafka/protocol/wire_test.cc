#include "net/kafka/protocol/wire.h"

#include <gtest/gtest.h>

#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Bytes;

TEST(ByteReaderTest, ReadsBigEndianIntegers) {
  // clang-format off
  auto in = Bytes({0xfe, 0x01, 0x02, 0x00, 0x00, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                   0xff, 0xfe});
  // clang-format on
  ByteReader r(in);
  EXPECT_EQ(r.Int8(), -2);
  EXPECT_EQ(r.Int16(), 0x0102);
  EXPECT_EQ(r.Int32(), 256);
  EXPECT_EQ(r.Int64(), -2);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ByteReaderTest, ReadPastTheEndIsStickyAndReturnsZero) {
  auto in = Bytes({0x00, 0x01, 0x02});
  ByteReader r(in);
  EXPECT_EQ(r.Int32(), 0);
  EXPECT_EQ(r.error(), ByteReader::Error::kTruncated);
  EXPECT_EQ(r.Int8(), 0);  // a byte is there, but the reader already failed
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ByteReaderTest, ReadsUnsignedAndZigzagVarints) {
  auto in = Bytes({0xac, 0x02, 0x01, 0x03, 0xff, 0xff, 0xff, 0xff, 0x0f});
  ByteReader r(in);
  EXPECT_EQ(r.Uvarint32(), 300u);
  EXPECT_EQ(r.Varint(), -1);
  EXPECT_EQ(r.Varlong(), -2);
  EXPECT_EQ(r.Uvarint32(), UINT32_MAX);
  EXPECT_TRUE(r.ok());
}

TEST(ByteReaderTest, UvarintBeyond32BitsIsRejected) {
  auto in = Bytes({0xff, 0xff, 0xff, 0xff, 0x1f});
  ByteReader r(in);
  r.Uvarint32();
  EXPECT_EQ(r.error(), ByteReader::Error::kBadVarint);
}

TEST(ByteReaderTest, UnfinishedUvarintIsTruncation) {
  auto in = Bytes({0x80, 0x80});
  ByteReader r(in);
  r.Uvarint32();
  EXPECT_EQ(r.error(), ByteReader::Error::kTruncated);
}

TEST(ByteReaderTest, ClassicAndCompactStringsAndNulls) {
  auto in = Bytes({0x00, 0x02, 'h', 'i', 0xff, 0xff, 0x03, 'y', 'o', 0x00, 0x01});
  ByteReader r(in);
  EXPECT_EQ(r.NullableString(false), "hi");
  EXPECT_EQ(r.NullableString(false), std::nullopt);
  EXPECT_EQ(r.NullableString(true), "yo");
  EXPECT_EQ(r.NullableString(true), std::nullopt);
  EXPECT_EQ(r.NullableString(true), "");
  EXPECT_TRUE(r.ok());
}

TEST(ByteReaderTest, StringLongerThanTheInputIsTruncation) {
  auto in = Bytes({0x00, 0x05, 'a', 'b'});
  ByteReader r(in);
  EXPECT_EQ(r.NullableString(false), std::nullopt);
  EXPECT_EQ(r.error(), ByteReader::Error::kTruncated);
}

TEST(ByteReaderTest, NegativeLengthOtherThanNullIsRejected) {
  auto in = Bytes({0xff, 0xfe, 'a', 'b'});
  ByteReader r(in);
  r.StringLength(false);
  EXPECT_EQ(r.error(), ByteReader::Error::kBadLength);
}

TEST(ByteReaderTest, BytesClassicAndCompact) {
  auto in = Bytes({0x00, 0x00, 0x00, 0x02, 0xaa, 0xbb, 0x02, 0xcc, 0xff, 0xff, 0xff, 0xff});
  ByteReader r(in);
  auto a = r.NullableBytes(false);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(std::vector<std::byte>(a->begin(), a->end()), Bytes({0xaa, 0xbb}));
  auto b = r.NullableBytes(true);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->size(), 1u);
  EXPECT_EQ(r.NullableBytes(false), std::nullopt);
  EXPECT_TRUE(r.ok());
}

TEST(ByteReaderTest, ArrayCountLargerThanTheBytesLeftIsRejected) {
  auto in = Bytes({0x00, 0x00, 0x00, 0x03, 0x01, 0x02});
  ByteReader r(in);
  r.ArrayCount(false);
  EXPECT_EQ(r.error(), ByteReader::Error::kBadLength);
}

TEST(ByteReaderTest, CompactArrayCountIsOffByOne) {
  auto in = Bytes({0x00, 0x03, 0x01, 0x02});
  ByteReader r(in);
  EXPECT_EQ(r.ArrayCount(true), -1);
  EXPECT_EQ(r.ArrayCount(true), 2);
  EXPECT_TRUE(r.ok());
}

TEST(ByteReaderTest, SkipsTaggedFieldSections) {
  // Two fields: tag 0 with 2 bytes, tag 5 with 1 byte; then one more byte.
  auto in = Bytes({0x02, 0x00, 0x02, 0xaa, 0xbb, 0x05, 0x01, 0xcc, 0x7f});
  ByteReader r(in);
  r.SkipTaggedFields();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.Int8(), 0x7f);
}

TEST(ByteReaderTest, TaggedFieldSizePastTheEndIsTruncation) {
  auto in = Bytes({0x01, 0x00, 0x05, 0xaa});
  ByteReader r(in);
  r.SkipTaggedFields();
  EXPECT_EQ(r.error(), ByteReader::Error::kTruncated);
}

TEST(ByteWriterTest, WritesWhatTheReaderReads) {
  ByteWriter w;
  w.Int8(-2);
  w.Int16(0x0102);
  w.Int32(-5);
  w.Int64(INT64_MIN);
  w.Uvarint(300);
  w.Varint(-1);
  w.Varlong(INT64_MAX);
  w.String("hi", false);
  w.String("yo", true);
  w.StringLength(-1, true);
  w.Bytes(AsBytes("abc"), false);
  w.ArrayCount(-1, false);
  w.ArrayCount(4, true);
  w.NoTaggedFields();

  ByteReader r(w.bytes());
  EXPECT_EQ(r.Int8(), -2);
  EXPECT_EQ(r.Int16(), 0x0102);
  EXPECT_EQ(r.Int32(), -5);
  EXPECT_EQ(r.Int64(), INT64_MIN);
  EXPECT_EQ(r.Uvarint32(), 300u);
  EXPECT_EQ(r.Varint(), -1);
  EXPECT_EQ(r.Varlong(), INT64_MAX);
  EXPECT_EQ(r.NullableString(false), "hi");
  EXPECT_EQ(r.NullableString(true), "yo");
  EXPECT_EQ(r.NullableString(true), std::nullopt);
  auto abc = r.NullableBytes(false);
  ASSERT_TRUE(abc.has_value());
  EXPECT_EQ(AsStringView(*abc), "abc");
  EXPECT_EQ(r.ArrayCount(false), -1);
  // A compact count of 4 needs four bytes behind it; none follow but the tag byte.
  EXPECT_EQ(w.bytes()[w.size() - 2], std::byte{5});
  EXPECT_TRUE(r.ok());
}

TEST(ByteWriterTest, CompactLengthsAreLengthPlusOne) {
  ByteWriter w;
  w.String("", true);
  w.StringLength(-1, true);
  w.String(std::string(200, 'x'), true);
  ASSERT_GE(w.size(), 4u);
  EXPECT_EQ(w.bytes()[0], std::byte{0x01});
  EXPECT_EQ(w.bytes()[1], std::byte{0x00});
  EXPECT_EQ(w.bytes()[2], std::byte{0xc9});  // 201 = 0xc9 0x01
  EXPECT_EQ(w.bytes()[3], std::byte{0x01});
}

TEST(ByteWriterTest, PatchInt32OverwritesInPlace) {
  ByteWriter w;
  w.Int32(0);
  w.Int8(7);
  w.PatchInt32(0, 1);
  EXPECT_EQ(w.Release(), Bytes({0, 0, 0, 1, 7}));
}

TEST(BytesRefTest, NullDiffersFromEmpty) {
  EXPECT_EQ(BytesRef(), BytesRef());
  EXPECT_FALSE(BytesRef() == BytesRef(ConstBytes()));
  auto a = Bytes({1, 2});
  auto b = Bytes({1, 2});
  EXPECT_EQ(BytesRef(a), BytesRef(b));  // compares contents, not addresses
}

}  // namespace
}  // namespace millstream::net::kafka
