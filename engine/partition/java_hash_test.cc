#include "engine/partition/java_hash.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {
namespace {
namespace java_hash_test {

// The UTF-16 code units of `new String(utf8, UTF_8)`, built from the same steps the hash takes.
std::u16string DecodeAsJava(std::string_view utf8) {
  std::u16string units;
  while (!utf8.empty()) {
    if (static_cast<uint8_t>(utf8[0]) < 0x80) {
      units.push_back(static_cast<char16_t>(utf8[0]));
      utf8.remove_prefix(1);
      continue;
    }
    const java_hash_internal::Utf16Step step = java_hash_internal::DecodeNonAsciiStep(utf8);
    for (int i = 0; i < step.unit_count; ++i) units.push_back(step.units[i]);
    utf8.remove_prefix(step.bytes_used);
  }
  return units;
}

int32_t HashOfUnits(const std::u16string& units) {
  uint32_t hash = 0;
  for (char16_t unit : units) hash = 31 * hash + unit;
  return static_cast<int32_t>(hash);
}

struct Case {
  std::string_view utf8;
  std::u16string_view units;  // what OpenJDK 17's new String(bytes, UTF_8) holds
  int32_t hash;               // its hashCode()
};

// Each row was checked on OpenJDK 17.0.15. Beyond these rows, JavaStringHashCode was compared once
// with OpenJDK 17's new String(bytes, UTF_8).hashCode() on every sequence of 1 to 3 bytes and on
// every sequence of 4 and 5 bytes over 27 boundary bytes (31.7 million in all): no difference.
constexpr Case kCases[] = {
    {"\xc3\xa9", u"\u00e9", 233},
    {"\xf0\x9f\x98\x80", u"\xd83d\xde00", 1772899},
    {"\xf4\x8f\xbf\xbf", u"\xdbff\xdfff", 1803232},  // U+10FFFF, the last code point
    {"\xed\x9f\xbf", u"\ud7ff", 55295},              // U+D7FF, just below the surrogates
    {"\xff", u"\xfffd", 65533},
    {"\x80", u"\xfffd", 65533},
    {"\xc3", u"\xfffd", 65533},              // cut off by the end
    {"\xc3\x41", u"\xfffd\x41", 2031588},    // broken: resume at the breaking byte
    {"\xc0\x80", u"\xfffd\xfffd", 2097056},  // C0, C1 start nothing
    {"\xc1\xbf", u"\xfffd\xfffd", 2097056},
    {"\xe3\x81", u"\xfffd", 65533},  // cut off: one U+FFFD for the rest
    {"\xe3\x81\x41", u"\xfffd\x41", 2031588},
    {"\xe3\x41", u"\xfffd\x41", 2031588},
    {"\xe0\x80\x80", u"\xfffd\xfffd\xfffd", 65074269},  // overlong
    {"\xe0\x9f\xbf", u"\xfffd\xfffd\xfffd", 65074269},
    {"\xe0\xa0", u"\xfffd", 65533},
    {"\xed\xa0\x80", u"\xfffd", 65533},  // an encoded surrogate: one U+FFFD (Java's departure)
    {"\xed\xbf\xbf", u"\xfffd", 65533},
    {"\xed\xa0", u"\xfffd", 65533},
    {"\xed\xa0\x41", u"\xfffd\x41", 2031588},
    {"\xf0\x9f\x98", u"\xfffd", 65533},
    {"\xf0\x9f\x98\x41", u"\xfffd\x41", 2031588},
    {"\xf0\x9f\x41", u"\xfffd\x41", 2031588},
    {"\xf0\x9f", u"\xfffd", 65533},
    {"\xf0", u"\xfffd", 65533},
    {"\xf0\x80\x80\x80", u"\xfffd\xfffd\xfffd\xfffd", 2017367872},  // overlong
    {"\xf4\x90\x80\x80", u"\xfffd\xfffd\xfffd\xfffd", 2017367872},  // above U+10FFFF
    {"\xf4\x90", u"\xfffd\xfffd", 2097056},
    {"\xf5\x80\x80\x80", u"\xfffd\xfffd\xfffd\xfffd", 2017367872},
    {"\xf8\x88\x80\x80\x80", u"\xfffd\xfffd\xfffd\xfffd\xfffd", -1886039875},
    {"\xbf\x80", u"\xfffd\xfffd", 2097056},
    {"\x41\xff\x42", u"\x41\xfffd\x42", 2094054},
    {"\xe1\x80\xe1\x80\x80", u"\xfffd\u1000", 2035619},
};

TEST(JavaHashTest, Utf8DecodesAsJavaStringDoes) {
  for (const Case& c : kCases) {
    EXPECT_EQ(DecodeAsJava(c.utf8), std::u16string(c.units)) << testing::PrintToString(c.utf8);
    EXPECT_EQ(JavaStringHashCode(c.utf8), c.hash) << testing::PrintToString(c.utf8);
    EXPECT_EQ(HashOfUnits(DecodeAsJava(c.utf8)), c.hash);
  }
}

TEST(JavaHashTest, AsciiPrefixesAndSuffixesCarryTheHashThrough) {
  // ASCII bytes before and after a non-ASCII sequence hash as their own code units.
  for (const Case& c : kCases) {
    const std::string wrapped = "key-" + std::string(c.utf8) + "-tail";
    std::u16string units = u"key-";
    units += c.units;
    units += u"-tail";
    EXPECT_EQ(JavaStringHashCode(wrapped), HashOfUnits(units)) << testing::PrintToString(wrapped);
  }
}

TEST(JavaHashTest, AsciiIsThePlainByteLoop) {
  std::string all_ascii;
  for (int c = 0; c < 0x80; ++c) all_ascii.push_back(static_cast<char>(c));
  uint32_t expected = 0;
  for (char c : all_ascii) expected = 31 * expected + static_cast<uint8_t>(c);
  EXPECT_EQ(JavaStringHashCode(all_ascii), static_cast<int32_t>(expected));
  EXPECT_EQ(JavaStringHashCode("the quick brown fox"), 1302335171);
}

TEST(JavaHashTest, PrimitivesHashAsJava) {
  EXPECT_EQ(JavaLongHashCode(int64_t{1} << 32), 1);
  EXPECT_EQ(JavaLongHashCode(-1), 0);
  EXPECT_EQ(JavaBooleanHashCode(true), 1231);
  EXPECT_EQ(JavaBooleanHashCode(false), 1237);
  EXPECT_EQ(JavaDoubleHashCode(1.0), 1072693248);
  EXPECT_EQ(JavaFloatHashCode(1.0f), 1065353216);
}

}  // namespace java_hash_test
}  // namespace
}  // namespace sluice
