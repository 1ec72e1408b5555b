#include "engine/partition/key_hash.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "engine/partition/key_group.h"

namespace sluice {
namespace {
namespace key_hash_test {

// Expected values below come from OpenJDK 17 (java.lang hashCode, new String(bytes, UTF_8),
// java.util.Objects.hash) and from Flink's Tuple2.hashCode and MathUtils.murmurHash formulas.

template <typename K>
int32_t Hash(const K& key) {
  return KeyHash<K>::HashCode(key);
}

// A POJO-like key hashed through Tie(): Objects.hash(name, count, ratio).
struct Account {
  std::string name;
  int64_t count = 0;
  double ratio = 0;
  auto Tie() const { return std::tie(name, count, ratio); }
};

// A key with its own hashCode; it also has Tie(), which HashCode() overrides.
struct Custom {
  int32_t a = 0;
  auto Tie() const { return std::tie(a); }
  int32_t HashCode() const { return a * 2; }
};

TEST(KeyHashTest, StringsHashAsJavaStrings) {
  EXPECT_EQ(Hash(std::string("")), 0);
  EXPECT_EQ(Hash(std::string("hello")), 99162322);
  EXPECT_EQ(Hash(std::string("Aa")), 2112);
  EXPECT_EQ(Hash(std::string("BB")), 2112);
  EXPECT_EQ(Hash(std::string_view("word")), 3655434);
  EXPECT_EQ(Hash(std::string("\xc3\xa9")), 233);                     // é, U+00E9
  EXPECT_EQ(Hash(std::string("\xe6\x97\xa5\xe6\x9c\xac")), 835047);  // 日本
  EXPECT_EQ(Hash(std::string("\xf0\x9f\x98\x80")), 1772899);         // 😀 = D83D DE00
  EXPECT_EQ(Hash(std::string("\xf0\x9f\x98\x80")), 55357 * 31 + 56832);
  EXPECT_EQ(Hash(std::string("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80!")),
            -239791036);
  EXPECT_EQ(Hash(std::string("\xff")), 65533);  // invalid UTF-8: U+FFFD
  EXPECT_EQ(Hash(std::string("\x41\xff\x42")), 2094054);
  // The same function as key_group.h's, under both names.
  EXPECT_EQ(JavaStringHash("\xe6\x97\xa5\xe6\x9c\xac"), 835047);
  EXPECT_EQ(JavaStringHashCode("hello"), 99162322);
}

TEST(KeyHashTest, IntegersHashAsJavaIntegersAndLongs) {
  EXPECT_EQ(Hash(int8_t{-5}), -5);
  EXPECT_EQ(Hash(int16_t{-300}), -300);
  EXPECT_EQ(Hash(int32_t{INT32_MIN}), INT32_MIN);
  EXPECT_EQ(Hash(uint8_t{200}), 200);
  EXPECT_EQ(Hash(uint16_t{65535}), 65535);
  EXPECT_EQ(Hash(int64_t{1} << 32), 1);  // Long.hashCode(1L << 32)
  EXPECT_EQ(Hash(int64_t{-1}), 0);
  EXPECT_EQ(Hash(INT64_MIN), INT32_MIN);
  EXPECT_EQ(Hash(int64_t{123456789012}), -1097262584);
  EXPECT_EQ(Hash(int64_t{0x123456789abcdef0}), -2004318072);
  EXPECT_EQ(Hash(static_cast<long long>(123456789012)), -1097262584);
  // uint32_t: the Long of its value, whose hashCode is its 32 bits (Long.hashCode(4000000000L)).
  EXPECT_EQ(Hash(uint32_t{4000000000u}), -294967296);
  // uint64_t: the Long of the same 64 bits.
  EXPECT_EQ(Hash(UINT64_MAX), 0);
  EXPECT_EQ(Hash(uint64_t{0xfedcba9876543210}), -2004318072);
}

TEST(KeyHashTest, BooleansAndFloatingPointHashAsJava) {
  EXPECT_EQ(Hash(true), 1231);
  EXPECT_EQ(Hash(false), 1237);
  EXPECT_EQ(Hash(1.0), 1072693248);
  EXPECT_EQ(Hash(3.25), 1074397184);
  EXPECT_EQ(Hash(-0.0), INT32_MIN);
  EXPECT_EQ(Hash(std::numeric_limits<double>::quiet_NaN()), 2146959360);
  EXPECT_EQ(Hash(std::bit_cast<double>(uint64_t{0x7ff0000000000001})), 2146959360);  // any NaN
  EXPECT_EQ(Hash(1.0f), 1065353216);
  EXPECT_EQ(Hash(3.25f), 1078984704);
  EXPECT_EQ(Hash(-0.0f), INT32_MIN);
  EXPECT_EQ(Hash(std::bit_cast<float>(uint32_t{0xffc00042})), 2143289344);  // any NaN
}

TEST(KeyHashTest, PairsAndTuplesHashAsFlinkTuples) {
  // Tuple2.hashCode: result = f0.hashCode(); result = 31 * result + f1.hashCode().
  EXPECT_EQ(Hash(std::pair<std::string, int32_t>("a", 1)), 97 * 31 + 1);
  EXPECT_EQ(Hash(std::pair<std::string, int32_t>("a", 1)), 3008);
  EXPECT_EQ(Hash(std::tuple<std::string, int32_t>("a", 1)), 3008);
  EXPECT_EQ(Hash(std::pair<std::string, int64_t>("\xe6\x97\xa5\xe6\x9c\xac", int64_t{1} << 32)),
            25886458);
  EXPECT_EQ(Hash(std::tuple<std::string, int32_t, bool>("x", 7, true)), 116768);
  EXPECT_EQ(Hash(std::tuple<int32_t>(42)), 42);  // Tuple1: f0's hash
  EXPECT_EQ(Hash(std::tuple<>()), 0);            // Tuple0.hashCode() is 0
  // A null field hashes to 0.
  EXPECT_EQ(Hash(std::pair<std::optional<std::string>, int32_t>(std::nullopt, 5)), 5);
}

TEST(KeyHashTest, OptionalsHashAsNullableValues) {
  EXPECT_EQ(Hash(std::optional<int64_t>()), 0);
  EXPECT_EQ(Hash(std::optional<std::string>("hello")), 99162322);
}

TEST(KeyHashTest, UserStructsUseHashCodeOrTie) {
  // Objects.hash("alice", 42L, 2.5), which is Arrays.hashCode: 1, then 31 * h + hash(field).
  EXPECT_EQ(Hash(Account{"alice", 42, 2.5}), 159543285);
  uint32_t expected = 1;
  for (int32_t field : {99162322, 42, JavaDoubleHashCode(2.5)}) {
    expected = 31 * expected + static_cast<uint32_t>(field);
  }
  EXPECT_EQ(Hash(Account{"hello", 42, 2.5}), static_cast<int32_t>(expected));
  EXPECT_EQ(Hash(Custom{21}), 42);  // HashCode() wins over Tie()
}

TEST(KeyHashTest, KeyGroupsMatchFlink) {
  // Flink: KeyGroupRangeAssignment.assignToKeyGroup(key, 128) = murmurHash(key.hashCode()) % 128.
  EXPECT_EQ(KeyGroupForKeyOf(std::string("hello"), 128), 35);
  EXPECT_EQ(KeyGroupForKeyOf(std::string("word"), 128), 93);
  EXPECT_EQ(KeyGroupForKeyOf(std::string(""), 128), 94);
  EXPECT_EQ(KeyGroupForKeyOf(std::string("\xe6\x97\xa5\xe6\x9c\xac"), 128), 95);
  EXPECT_EQ(KeyGroupForKeyOf(std::string("\xf0\x9f\x98\x80"), 128), 54);
  EXPECT_EQ(KeyGroupForKeyOf(int32_t{1}, 128), 86);
  EXPECT_EQ(KeyGroupForKeyOf(int32_t{0}, 128), 94);
  EXPECT_EQ(KeyGroupForKeyOf(int32_t{-7}, 128), 33);
  EXPECT_EQ(KeyGroupForKeyOf(int64_t{1} << 32, 128), 86);  // Long.hashCode(1L << 32) == 1
  EXPECT_EQ(KeyGroupForKeyOf(int64_t{123456789012}, 128), 123);
  EXPECT_EQ(KeyGroupForKeyOf(1.0, 128), 71);
  EXPECT_EQ(KeyGroupForKeyOf(true, 128), 77);
  EXPECT_EQ(KeyGroupForKeyOf(std::pair<std::string, int32_t>("a", 1), 128), 29);
  // The formula, spelled out.
  EXPECT_EQ(KeyGroupForKeyOf(int32_t{1}, 128), FlinkMurmurHash(1) % 128);
  EXPECT_EQ(FlinkMurmurHash(1), 68075478);
}

TEST(KeyHashTest, StringKeyGroupsEqualKeyGroupForKeyForAscii) {
  for (std::string_view key : {"", "a", "hello", "word", "The Quick Brown Fox 123!", "~\x7f\x01"}) {
    for (int max_parallelism : {1, 7, 128, 32768}) {
      EXPECT_EQ(KeyGroupForKeyOf(std::string(key), max_parallelism),
                KeyGroupForKey(key, max_parallelism))
          << key;
      EXPECT_EQ(KeyGroupForKeyOf(key, max_parallelism), KeyGroupForKey(key, max_parallelism));
    }
  }
}

}  // namespace key_hash_test
}  // namespace
}  // namespace sluice
