#include "engine/base/serializer.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace sluice {
namespace {
namespace serializer_test {

// A user record serialized through Tie().
struct Click {
  std::string user;
  int64_t at_ms = 0;
  std::optional<double> price;
  bool operator==(const Click&) const = default;
  auto Tie() { return std::tie(user, at_ms, price); }
  auto Tie() const { return std::tie(user, at_ms, price); }
};

// A record with Tie() and an explicit Serializer: the specialization wins (it writes one byte).
struct Tagged {
  uint8_t tag = 0;
  std::string ignored_by_serializer;
  auto Tie() { return std::tie(tag, ignored_by_serializer); }
  auto Tie() const { return std::tie(tag, ignored_by_serializer); }
};

}  // namespace serializer_test
}  // namespace

template <>
struct Serializer<serializer_test::Tagged> {
  static void Write(ByteWriter& w, const serializer_test::Tagged& v) {
    w.PutU8(static_cast<uint8_t>(v.tag ^ 0xa5));
  }
  static bool Read(ByteReader& r, serializer_test::Tagged* v) {
    uint8_t byte = 0;
    if (!r.GetU8(&byte)) return false;
    v->tag = static_cast<uint8_t>(byte ^ 0xa5);
    return true;
  }
};

namespace {
namespace serializer_test {

// Only a const Tie(): hashable and writable in principle, but not readable, so not serializable.
struct ConstTieOnly {
  int32_t a = 0;
  auto Tie() const { return std::tie(a); }
};

struct Empty {
  bool operator==(const Empty&) const = default;
  auto Tie() { return std::tie(); }
  auto Tie() const { return std::tie(); }
};

static_assert(HasAssignableTie<Click>);
static_assert(HasTie<ConstTieOnly>);
static_assert(!HasAssignableTie<ConstTieOnly>);
static_assert(!HasTie<std::string>);
static_assert(Serializer<Click>::kMinEncodedBytes == 1 + 1 + 1);
static_assert(Serializer<std::tuple<double, float, std::tuple<>>>::kMinEncodedBytes == 12);
static_assert(Serializer<Empty>::kMinEncodedBytes == 0);

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

template <typename T>
std::string Encode(const T& value) {
  std::string out;
  ByteWriter w(&out);
  Serializer<T>::Write(w, value);
  return out;
}

// Reads one T from `bytes`; true only if it is well formed.
template <typename T>
bool ReadOne(std::string_view bytes, T* value) {
  ByteReader r(bytes);
  return Serializer<T>::Read(r, value);
}

// Round-trips `value`, then checks that Read consumes exactly its encoding (a trailing byte stays
// in the reader) and that every strict prefix of the encoding is rejected.
template <typename T>
void CheckValue(const T& value) {
  const std::string bytes = Encode(value);
  T decoded{};
  ByteReader r(bytes);
  ASSERT_TRUE(Serializer<T>::Read(r, &decoded));
  EXPECT_TRUE(r.empty());
  EXPECT_TRUE(decoded == value);

  const std::string with_trailer = bytes + "!";
  ByteReader trailing(with_trailer);
  T again{};
  ASSERT_TRUE(Serializer<T>::Read(trailing, &again));
  EXPECT_EQ(trailing.rest(), "!");

  for (size_t length = 0; length < bytes.size(); ++length) {
    T partial{};
    EXPECT_FALSE(ReadOne(std::string_view(bytes).substr(0, length), &partial))
        << "a prefix of " << length << " of " << bytes.size() << " bytes decoded";
  }
}

template <typename T>
void CheckLimits() {
  using Limits = std::numeric_limits<T>;
  for (T v : {Limits::min(), Limits::max(), T{0}, T{1}, static_cast<T>(Limits::max() / 2),
              static_cast<T>(Limits::min() / 2), static_cast<T>(Limits::max() - 1)}) {
    CheckValue(v);
  }
  if constexpr (std::is_signed_v<T>) CheckValue(T{-1});
}

TEST(SerializerTest, IntegersRoundTripAtTheirLimits) {
  CheckLimits<int8_t>();
  CheckLimits<int16_t>();
  CheckLimits<int32_t>();
  CheckLimits<int64_t>();
  CheckLimits<uint8_t>();
  CheckLimits<uint16_t>();
  CheckLimits<uint32_t>();
  CheckLimits<uint64_t>();
  CheckLimits<long long>();
  CheckLimits<unsigned long long>();
}

TEST(SerializerTest, BoolCharAndStringRoundTrip) {
  CheckValue(true);
  CheckValue(false);
  for (char c : {'\0', 'a', '\x7f', '\x80', '\xff'}) CheckValue(c);
  CheckValue(std::string());
  CheckValue(std::string("hello"));
  CheckValue(std::string("nul\0inside\xff", 11));
  CheckValue(std::string(300, 'x'));  // a two-byte length
}

TEST(SerializerTest, FloatingPointIsBitExact) {
  for (double v :
       {0.0, -0.0, 1.0, -2.5, 1e-310, std::numeric_limits<double>::max(),
        std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}) {
    CheckValue(v);
    double decoded = 0;
    ASSERT_TRUE(ReadOne(Encode(v), &decoded));
    EXPECT_EQ(std::bit_cast<uint64_t>(decoded), std::bit_cast<uint64_t>(v));
  }
  for (float v : {0.0f, -0.0f, 1.0f, -2.5f, 1e-40f, std::numeric_limits<float>::infinity()}) {
    CheckValue(v);
    float decoded = 0;
    ASSERT_TRUE(ReadOne(Encode(v), &decoded));
    EXPECT_EQ(std::bit_cast<uint32_t>(decoded), std::bit_cast<uint32_t>(v));
  }
  // NaN payloads survive (NaN != NaN, so compare the bits).
  const double nan = std::bit_cast<double>(uint64_t{0x7ff0000000000123});
  double decoded_nan = 0;
  ASSERT_TRUE(ReadOne(Encode(nan), &decoded_nan));
  EXPECT_EQ(std::bit_cast<uint64_t>(decoded_nan), uint64_t{0x7ff0000000000123});
  const float nan_f = std::bit_cast<float>(uint32_t{0xffc00042});
  float decoded_nan_f = 0;
  ASSERT_TRUE(ReadOne(Encode(nan_f), &decoded_nan_f));
  EXPECT_EQ(std::bit_cast<uint32_t>(decoded_nan_f), uint32_t{0xffc00042});
}

TEST(SerializerTest, ContainersRoundTrip) {
  CheckValue(std::pair<std::string, int64_t>("a", -2));
  CheckValue(std::tuple<>());
  CheckValue(std::tuple<int32_t, std::string, double>(-7, "seven", 7.5));
  CheckValue(std::optional<int32_t>());
  CheckValue(std::optional<int32_t>(0));
  CheckValue(std::optional<std::string>("x"));
  CheckValue(std::vector<int32_t>());
  CheckValue(std::vector<int32_t>{1, -1, INT32_MIN, INT32_MAX});
  CheckValue(std::vector<bool>{true, false, true});
  CheckValue(std::vector<double>{0.5, -0.0});
  CheckValue(std::map<std::string, int64_t>());
  CheckValue(std::map<std::string, int64_t>{{"a", 1}, {"b", -2}, {"c", INT64_MIN}});
  CheckValue(std::map<int32_t, std::string>{{-5, "minus"}, {0, ""}, {9, "nine"}});
}

TEST(SerializerTest, NestedTypesRoundTrip) {
  using Entries = std::vector<std::pair<std::string, std::optional<int32_t>>>;
  CheckValue(Entries{{"a", 1}, {"", std::nullopt}, {"ccc", INT32_MIN}});
  CheckValue(std::map<std::string, std::vector<Click>>{
      {"eu", {Click{"ann", 1, 2.5}, Click{"bob", -1, std::nullopt}}}, {"us", {}}});
  CheckValue(std::tuple<std::map<uint16_t, bool>, std::optional<std::vector<std::string>>, char>(
      {{1, true}, {65535, false}}, std::vector<std::string>{"x", "yz"}, 'q'));
  CheckValue(std::optional<std::optional<uint8_t>>(std::optional<uint8_t>()));
  CheckValue(std::vector<std::vector<int8_t>>{{}, {-128, 127}, {0}});
}

TEST(SerializerTest, UserStructsSerializeThroughTie) {
  CheckValue(Click{"ann", 1700000000000, 9.99});
  CheckValue(Click{});
  // Field by field, in Tie() order, with no header: exactly the tuple of the fields.
  EXPECT_EQ(Encode(Click{"ab", -3, std::nullopt}), Bytes({2, 'a', 'b', 5, 0}));
  EXPECT_EQ(
      Encode(Click{"ab", -3, std::nullopt}),
      Encode(std::tuple<std::string, int64_t, std::optional<double>>("ab", -3, std::nullopt)));
  CheckValue(Empty{});
  EXPECT_EQ(Encode(Empty{}), "");
}

TEST(SerializerTest, AnExplicitSpecializationWinsOverTie) {
  EXPECT_EQ(Encode(Tagged{0x0f, "not written"}), Bytes({0xaa}));
  Tagged decoded;
  ASSERT_TRUE(ReadOne(Bytes({0xaa}), &decoded));
  EXPECT_EQ(decoded.tag, 0x0f);
  // Inside a container too, and its count check uses the default minimum of one byte.
  std::vector<Tagged> many;
  ASSERT_TRUE(ReadOne(Bytes({2, 0xa5, 0xa4}), &many));
  ASSERT_EQ(many.size(), 2u);
  EXPECT_EQ(many[1].tag, 1);
}

// These formats are in checkpoints and on the wire: the bytes must never change.
TEST(SerializerTest, StringInt64AndPairBytesArePinned) {
  EXPECT_EQ(Encode(std::string("")), Bytes({0}));
  EXPECT_EQ(Encode(std::string("abc")), Bytes({3, 'a', 'b', 'c'}));
  EXPECT_EQ(Encode(std::string(200, 'z')).substr(0, 3), Bytes({0xc8, 0x01, 'z'}));
  EXPECT_EQ(Encode(int64_t{0}), Bytes({0}));
  EXPECT_EQ(Encode(int64_t{-1}), Bytes({1}));
  EXPECT_EQ(Encode(int64_t{1}), Bytes({2}));
  EXPECT_EQ(Encode(int64_t{63}), Bytes({0x7e}));
  EXPECT_EQ(Encode(int64_t{-64}), Bytes({0x7f}));
  EXPECT_EQ(Encode(int64_t{64}), Bytes({0x80, 0x01}));
  EXPECT_EQ(Encode(int64_t{300}), Bytes({0xd8, 0x04}));
  EXPECT_EQ(Encode(INT64_MAX), Bytes({0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
  EXPECT_EQ(Encode(INT64_MIN), Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
  EXPECT_EQ(Encode(std::pair<std::string, int64_t>("a", -2)), Bytes({1, 'a', 3}));
  EXPECT_EQ(Encode(std::pair<int64_t, std::string>(64, "")), Bytes({0x80, 0x01, 0}));
}

TEST(SerializerTest, OtherFormatsAreAsDocumented) {
  EXPECT_EQ(Encode(true), Bytes({1}));
  EXPECT_EQ(Encode(false), Bytes({0}));
  EXPECT_EQ(Encode('\xfe'), Bytes({0xfe}));
  EXPECT_EQ(Encode(int8_t{-1}), Bytes({1}));
  EXPECT_EQ(Encode(int32_t{-64}), Encode(int64_t{-64}));  // narrow signed: same zig-zag varint
  EXPECT_EQ(Encode(uint8_t{200}), Bytes({0xc8, 0x01}));
  EXPECT_EQ(Encode(uint32_t{300}), Bytes({0xac, 0x02}));
  EXPECT_EQ(Encode(UINT64_MAX),
            Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
  EXPECT_EQ(Encode(1.0f), Bytes({0, 0, 0x80, 0x3f}));
  EXPECT_EQ(Encode(1.0), Bytes({0, 0, 0, 0, 0, 0, 0xf0, 0x3f}));
  EXPECT_EQ(Encode(std::tuple<int32_t, bool>(1, true)), Bytes({2, 1}));
  EXPECT_EQ(Encode(std::optional<int32_t>()), Bytes({0}));
  EXPECT_EQ(Encode(std::optional<int32_t>(1)), Bytes({1, 2}));
  EXPECT_EQ(Encode(std::vector<uint16_t>{1, 2}), Bytes({2, 1, 2}));
  EXPECT_EQ(Encode(std::map<int32_t, bool>{{1, false}, {-1, true}}), Bytes({2, 1, 1, 2, 0}));
}

TEST(SerializerTest, NarrowIntegersRejectOutOfRangeValues) {
  int8_t i8 = 0;
  EXPECT_TRUE(ReadOne(Encode(int64_t{127}), &i8));
  EXPECT_TRUE(ReadOne(Encode(int64_t{-128}), &i8));
  EXPECT_FALSE(ReadOne(Encode(int64_t{128}), &i8));
  EXPECT_FALSE(ReadOne(Encode(int64_t{-129}), &i8));
  int16_t i16 = 0;
  EXPECT_FALSE(ReadOne(Encode(int64_t{32768}), &i16));
  EXPECT_FALSE(ReadOne(Encode(int64_t{-32769}), &i16));
  int32_t i32 = 0;
  EXPECT_TRUE(ReadOne(Encode(int64_t{INT32_MIN}), &i32));
  EXPECT_FALSE(ReadOne(Encode(int64_t{INT32_MAX} + 1), &i32));
  EXPECT_FALSE(ReadOne(Encode(int64_t{INT32_MIN} - 1), &i32));
  uint8_t u8 = 0;
  EXPECT_TRUE(ReadOne(Encode(uint64_t{255}), &u8));
  EXPECT_FALSE(ReadOne(Encode(uint64_t{256}), &u8));
  uint16_t u16 = 0;
  EXPECT_FALSE(ReadOne(Encode(uint64_t{65536}), &u16));
  uint32_t u32 = 0;
  EXPECT_TRUE(ReadOne(Encode(uint64_t{UINT32_MAX}), &u32));
  EXPECT_FALSE(ReadOne(Encode(uint64_t{UINT32_MAX} + 1), &u32));
}

TEST(SerializerTest, VarintsBeyondSixtyFourBitsAreMalformed) {
  uint64_t u64 = 0;
  int64_t i64 = 0;
  // Ten bytes whose last carries more than bit 63.
  const std::string overflow = Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02});
  EXPECT_FALSE(ReadOne(overflow, &u64));
  EXPECT_FALSE(ReadOne(overflow, &i64));
  // Eleven bytes.
  const std::string too_long =
      Bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00});
  EXPECT_FALSE(ReadOne(too_long, &u64));
  std::string s;
  EXPECT_FALSE(ReadOne(too_long, &s));
}

TEST(SerializerTest, MalformedTagsAndKeysAreRejected) {
  bool b = false;
  EXPECT_FALSE(ReadOne(Bytes({2}), &b));
  EXPECT_FALSE(ReadOne(Bytes({0xff}), &b));
  std::optional<int32_t> opt;
  EXPECT_FALSE(ReadOne(Bytes({2, 0}), &opt));
  std::map<int32_t, bool> map;
  EXPECT_FALSE(ReadOne(Bytes({2, 2, 1, 2, 0}), &map));  // key 1 twice
  EXPECT_FALSE(ReadOne(Bytes({2, 4, 1, 2, 0}), &map));  // 2 then 1: descending
  EXPECT_TRUE(ReadOne(Bytes({2, 2, 1, 4, 0}), &map));   // 1 then 2
  // Read replaces, never appends to, what the container held.
  EXPECT_EQ(map.size(), 2u);
  ASSERT_TRUE(ReadOne(Bytes({1, 6, 1}), &map));
  EXPECT_EQ(map, (std::map<int32_t, bool>{{3, true}}));
  std::vector<int32_t> vec{9, 9, 9};
  ASSERT_TRUE(ReadOne(Bytes({1, 2}), &vec));
  EXPECT_EQ(vec, std::vector<int32_t>{1});
}

TEST(SerializerTest, HugeCountsFailWithoutAllocating) {
  // A count near 2^62 in front of a few bytes: must fail on the count, not try to allocate.
  const std::string huge_count =
      Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f, 1, 2});
  std::string s;
  EXPECT_FALSE(ReadOne(huge_count, &s));
  std::vector<int32_t> ints;
  EXPECT_FALSE(ReadOne(huge_count, &ints));
  std::vector<std::string> strings;
  EXPECT_FALSE(ReadOne(huge_count, &strings));
  std::map<int32_t, int32_t> map;
  EXPECT_FALSE(ReadOne(huge_count, &map));
  std::vector<Click> clicks;
  EXPECT_FALSE(ReadOne(huge_count, &clicks));
  // The check counts the fewest bytes an element takes: two doubles need 16 bytes, not 15.
  std::vector<double> doubles;
  EXPECT_FALSE(ReadOne(Bytes({2}) + std::string(15, '\0'), &doubles));
  EXPECT_TRUE(ReadOne(Bytes({2}) + std::string(16, '\0'), &doubles));
  // A map entry of two int32s takes at least two bytes.
  EXPECT_FALSE(ReadOne(Bytes({2, 2, 2, 4}), &map));
  // A count equal to the remaining bytes of one-byte elements is fine.
  std::vector<uint8_t> small;
  EXPECT_TRUE(ReadOne(Bytes({3, 1, 2, 3}), &small));
  EXPECT_FALSE(ReadOne(Bytes({4, 1, 2, 3}), &small));
}

}  // namespace serializer_test
}  // namespace
}  // namespace sluice
