// Flexible-version behaviour of the Decoder and Encoder on small test messages:
// tagged fields (known, unknown, nested, malformed), compact encodings, and the
// Struct word. The real APIs in the first cut are mostly not flexible, so the
// generic machinery is pinned down here.
#include <gtest/gtest.h>

#include "net/kafka/protocol/decoder.h"
#include "net/kafka/protocol/encoder.h"
#include "net/kafka/protocol/schema.h"
#include "net/kafka/protocol/testing/codec_testing.h"

namespace millstream::net::kafka {
namespace {

using testing::Bytes;

struct Item {
  int32_t id = 0;
  std::optional<std::string> note;  // tag 1

  template <typename V>
  void Fields(V& v) {
    v.Int32("id", id);
    v.Tagged(1, "note", note, Since(1));
  }
  bool operator==(const Item&) const = default;
};

struct Envelope {
  std::string name;
  std::optional<std::vector<Item>> extra;  // tag 2, declared before tag 0
  std::vector<Item> items;
  std::optional<int64_t> epoch;     // tag 0
  Item single;                      // a nested struct, not an array element
  std::optional<Item> tagged_item;  // tag 5

  template <typename V>
  void Fields(V& v) {
    v.String("name", name);
    v.Tagged(2, "extra", extra, Since(1));
    v.Array("items", items);
    v.Tagged(0, "epoch", epoch, Since(1));
    v.Struct("single", single, Since(1));
    v.Tagged(5, "tagged_item", tagged_item, Since(1));
  }
  bool operator==(const Envelope&) const = default;
};

constexpr int16_t kFlexibleVersion = 1;

std::vector<std::byte> Encode(const Envelope& e, int16_t version = kFlexibleVersion,
                              bool flexible = true) {
  ByteWriter w;
  Status s = EncodeMessage(e, version, flexible, w);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return w.Release();
}

Result<Envelope> Decode(ConstBytes bytes, int16_t version = kFlexibleVersion,
                        bool flexible = true) {
  Envelope e;
  RETURN_IF_ERROR(DecodeMessage(bytes, version, flexible, e));
  return e;
}

TEST(TaggedFieldsTest, KnownTagsAreWrittenInAscendingOrder) {
  Envelope e;
  e.name = "a";
  e.extra = std::vector<Item>{{.id = 1}};
  e.epoch = 5;
  // clang-format off
  EXPECT_EQ(Encode(e), Bytes({
                           0x02, 'a',                           // name: compact "a"
                           0x01,                                // items: empty compact array
                           0x00, 0x00, 0x00, 0x00, 0x00,        // single: id 0, no tags
                           0x02,                                // tagged section: 2 fields
                           0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 5,  // tag 0 (epoch), 8 bytes
                           0x02, 0x06,                          // tag 2 (extra), 6 bytes:
                           0x02, 0, 0, 0, 1, 0x00,              //   [ {id 1, no tags} ]
                       }));
  // clang-format on
}

TEST(TaggedFieldsTest, KnownTagsRoundTrip) {
  Envelope e;
  e.name = "orders";
  e.extra = std::vector<Item>{{.id = 1, .note = "x"}, {.id = 2}};
  e.items = {{.id = 3, .note = "nested tag"}, {.id = 4, .note = std::nullopt}};
  e.epoch = -1;
  e.single = {.id = 9, .note = "in a struct"};
  e.tagged_item = Item{.id = 10, .note = "tagged struct with its own tag"};
  auto decoded = Decode(Encode(e));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, e);
}

TEST(TaggedFieldsTest, AbsentTagsLeaveDefaults) {
  auto decoded = Decode(Bytes({0x02, 'a', 0x01, 0, 0, 0, 0, 0x00, 0x00}));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_FALSE(decoded->epoch.has_value());
  EXPECT_FALSE(decoded->extra.has_value());
}

TEST(TaggedFieldsTest, UnknownTagsAreSkipped) {
  // clang-format off
  auto decoded = Decode(Bytes({
      0x02, 'a', 0x01, 0, 0, 0, 0, 0x00,
      0x03,                                // three tagged fields
      0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 7,  // tag 0: epoch 7 (known)
      0x03, 0x02, 0xde, 0xad,              // tag 3: unknown, skipped
      0x81, 0x01, 0x00,                    // tag 129: unknown, empty
  }));
  // clang-format on
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->epoch, 7);
}

TEST(TaggedFieldsTest, TagsAreMatchedPerStruct) {
  // Tag 1 means "note" inside an Item but nothing at the top level: there it is
  // unknown and skipped.
  // clang-format off
  auto decoded = Decode(Bytes({0x02, 'a', 0x01, 0, 0, 0, 0, 0x00,  //
                               0x01, 0x01, 0x02, 0x01, 'z'}));
  // clang-format on
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_FALSE(decoded->single.note.has_value());
}

TEST(TaggedFieldsTest, ValueShorterThanItsDeclaredSizeIsRejected) {
  // tag 0 declares 9 bytes, but an int64 epoch uses 8.
  // clang-format off
  auto decoded = Decode(Bytes({0x02, 'a', 0x01, 0, 0, 0, 0, 0x00,  //
                               0x01, 0x00, 0x09, 0, 0, 0, 0, 0, 0, 0, 7, 0}));
  // clang-format on
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(), "tagged field 0 has 1 unread bytes at field 'epoch'");
}

TEST(TaggedFieldsTest, ValueLongerThanItsDeclaredSizeIsTruncation) {
  // clang-format off
  auto decoded = Decode(Bytes({0x02, 'a', 0x01, 0, 0, 0, 0, 0x00,  //
                               0x01, 0x00, 0x04, 0, 0, 0, 7}));
  // clang-format on
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(), "truncated at field 'epoch'");
}

TEST(TaggedFieldsTest, AbsurdTagCountIsRejected) {
  auto decoded = Decode(Bytes({0x02, 'a', 0x01, 0, 0, 0, 0, 0x00, 0x7f, 0x00, 0x00}));
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().message().find("tagged-field count 127"), std::string::npos)
      << decoded.status().ToString();
}

TEST(TaggedFieldsTest, ErrorsInsideNestedElementsNameTheirPath) {
  Envelope e;
  e.items = {{.id = 1}, {.id = 2, .note = "abc"}};
  auto bytes = Encode(e);
  // Drop the single struct and the top-level tag section (6 bytes), then two
  // bytes of items[1]'s tagged note.
  auto decoded = Decode(ConstBytes(bytes).first(bytes.size() - 8));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(), "truncated at field 'items[1].<tagged fields>'");
}

TEST(TaggedFieldsTest, NonFlexibleVersionsHaveNoTagSections) {
  Envelope e;
  e.name = "a";
  e.epoch = 5;  // dropped: not flexible, so no tagged fields at all
  e.items = {{.id = 1, .note = "dropped"}};
  auto bytes = Encode(e, /*version=*/1, /*flexible=*/false);
  // clang-format off
  EXPECT_EQ(bytes, Bytes({0x00, 0x01, 'a',         // classic string
                          0, 0, 0, 1, 0, 0, 0, 1,  // classic array of one id
                          0, 0, 0, 0}));           // single: id 0
  // clang-format on
  auto decoded = Decode(bytes, 1, false);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_FALSE(decoded->epoch.has_value());
}

TEST(TaggedFieldsTest, FieldsOutsideTheirVersionsAreSkippedOnBothSides) {
  Envelope e;
  e.name = "a";
  e.single.id = 42;  // `single` exists from version 1
  auto bytes = Encode(e, /*version=*/0, /*flexible=*/true);
  EXPECT_EQ(bytes, Bytes({0x02, 'a', 0x01, 0x00}));
  auto decoded = Decode(bytes, 0, true);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->single.id, 0);
}

}  // namespace
}  // namespace millstream::net::kafka
