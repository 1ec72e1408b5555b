// Java's hashCode of the java.lang values a Sluice key stands for, bit for bit, so that a key lands
// in the same key group here as in Flink (engine/partition/key_group.h). Which C++ key type stands
// for which Java value is engine/partition/key_hash.h's business. Pure; never suspend.
//
// Long.hashCode      (int)(v ^ (v >>> 32))
// Boolean.hashCode   1231 for true, 1237 for false
// Float.hashCode     floatToIntBits: the IEEE-754 bits, every NaN as 0x7fc00000
// Double.hashCode    Long.hashCode(doubleToLongBits): the bits, every NaN as 0x7ff8000000000000
//                    (so 0.0 and -0.0 hash differently, as in Java)
// String.hashCode    s[0]*31^(n-1) + ... + s[n-1] in wrapping int32 arithmetic, over the UTF-16
//                    code units of the String. A Sluice string holds UTF-8 bytes; the String it
//                    stands for is `new String(bytes, StandardCharsets.UTF_8)` (OpenJDK 17 and 21,
//                    String.decodeUTF8_UTF16), which JavaStringHashCode reproduces without building
//                    it:
//   - an ASCII byte is one code unit of the same value. A string of only ASCII bytes costs the
//     plain byte loop (the fast path: one call per record on a hash-partitioned edge), no decoding;
//   - a well-formed sequence of 2 or 3 bytes is one code unit; one of 4 bytes (U+10000..U+10FFFF)
//     is a surrogate pair, high then low (U+1F600 is D83D DE00);
//   - malformed bytes become U+FFFD (65533), one per "maximal subpart" (Unicode §3.9, U+FFFD
//     substitution of maximal subparts), as Java does: a byte that starts no sequence (80..BF, C0,
//     C1, F5..FF) is one U+FFFD; a sequence broken by a byte that cannot come next at that place
//     (not a continuation, or outside the range its lead allows: E0 80..9F, F0 80..8F, F4 90..BF
//     are overlong or above U+10FFFF) is one U+FFFD for the lead and the good continuations before
//     the break, and decoding resumes at the breaking byte; a sequence cut off by the end of the
//     input is one U+FFFD for what remains;
//   - Java's one departure from maximal subparts, reproduced: it takes ED A0..BF (the start of an
//     encoded surrogate, U+D800..U+DFFF) as a good prefix, so ED A0..BF 80..BF is one U+FFFD (not
//     three), and ED A0..BF followed by a non-continuation or by the end is one U+FFFD (not two).
#pragma once

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/base/assert.h"

namespace sluice {

inline int32_t JavaLongHashCode(int64_t value) {
  const uint64_t bits = static_cast<uint64_t>(value);
  return static_cast<int32_t>(static_cast<uint32_t>(bits ^ (bits >> 32)));
}

inline int32_t JavaBooleanHashCode(bool value) { return value ? 1231 : 1237; }

inline int32_t JavaFloatHashCode(float value) {
  if (std::isnan(value)) return 0x7fc00000;  // floatToIntBits: every NaN is the canonical one
  return static_cast<int32_t>(std::bit_cast<uint32_t>(value));
}

inline int32_t JavaDoubleHashCode(double value) {
  constexpr uint64_t kCanonicalNan = 0x7ff8000000000000ull;  // doubleToLongBits of every NaN
  const uint64_t bits = std::isnan(value) ? kCanonicalNan : std::bit_cast<uint64_t>(value);
  return JavaLongHashCode(static_cast<int64_t>(bits));
}

namespace java_hash_internal {

constexpr char16_t kReplacement = 0xfffd;

// One step of Java's UTF-8 decoding: the bytes it consumes and the UTF-16 code units it yields.
struct Utf16Step {
  size_t bytes_used = 0;  // 1 to 4
  int unit_count = 0;     // 1, or 2 for a surrogate pair
  char16_t units[2] = {0, 0};
};

inline bool IsContinuation(uint8_t byte) { return (byte & 0xc0) == 0x80; }

inline Utf16Step Replace(size_t bytes_used) { return Utf16Step{bytes_used, 1, {kReplacement, 0}}; }

// A step starting at a lead byte E0..EF (a 3-byte sequence).
inline Utf16Step DecodeThreeByteStep(const uint8_t* s, size_t size) {
  const uint8_t lead = s[0];
  const auto breaks_second = [lead](uint8_t second) {
    const bool overlong = lead == 0xe0 && second < 0xa0;  // E0 80..9F encodes below U+0800
    return overlong || !IsContinuation(second);
  };
  if (size < 3) {
    // Cut off by the end: one U+FFFD for what remains, unless the second byte already breaks it.
    if (size == 2 && breaks_second(s[1])) return Replace(1);
    return Replace(size);
  }
  if (breaks_second(s[1])) return Replace(1);
  if (!IsContinuation(s[2])) return Replace(2);
  const char16_t unit = static_cast<char16_t>(((lead & 0x0f) << 12) | ((s[1] & 0x3f) << 6) |
                                              (s[2] & 0x3f));
  if (unit >= 0xd800 && unit <= 0xdfff) return Replace(3);  // a surrogate: see the top
  return Utf16Step{3, 1, {unit, 0}};
}

// A step starting at a lead byte F0..F7 (a 4-byte sequence, or a byte that starts none).
inline Utf16Step DecodeFourByteStep(const uint8_t* s, size_t size) {
  const uint8_t lead = s[0];
  const auto breaks_second = [lead](uint8_t second) {
    const bool overlong = lead == 0xf0 && second < 0x90;    // below U+10000
    const bool too_large = lead == 0xf4 && second >= 0x90;  // above U+10FFFF
    return overlong || too_large || !IsContinuation(second);
  };
  if (lead > 0xf4) return Replace(1);  // F5..F7 would encode above U+10FFFF
  if (size < 2) return Replace(1);
  if (breaks_second(s[1])) return Replace(1);
  if (size < 3) return Replace(2);  // cut off by the end
  if (!IsContinuation(s[2])) return Replace(2);
  if (size < 4) return Replace(3);  // cut off by the end
  if (!IsContinuation(s[3])) return Replace(3);
  const uint32_t code_point = ((lead & 0x07u) << 18) | ((s[1] & 0x3fu) << 12) |
                              ((s[2] & 0x3fu) << 6) | (s[3] & 0x3fu);
  SLUICE_ASSERT(code_point >= 0x10000, "the second-byte check rejects overlong 4-byte forms");
  SLUICE_ASSERT(code_point <= 0x10ffff, "the lead and second-byte checks reject > U+10FFFF");
  const uint32_t offset = code_point - 0x10000;
  return Utf16Step{4, 2, {static_cast<char16_t>(0xd800 + (offset >> 10)),
                          static_cast<char16_t>(0xdc00 + (offset & 0x3ff))}};
}

// One step of decoding `s`, which is not empty and starts with a byte >= 0x80.
inline Utf16Step DecodeNonAsciiStep(std::string_view s) {
  SLUICE_ASSERT(!s.empty(), "a step decodes at least one byte");
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(s.data());
  const uint8_t lead = bytes[0];
  SLUICE_ASSERT(lead >= 0x80, "ASCII bytes are decoded by the caller's loop");
  if (lead >= 0xc2 && lead <= 0xdf) {
    if (s.size() < 2) return Replace(1);  // cut off by the end
    if (!IsContinuation(bytes[1])) return Replace(1);
    return Utf16Step{2, 1, {static_cast<char16_t>(((lead & 0x1f) << 6) | (bytes[1] & 0x3f)), 0}};
  }
  if (lead >= 0xe0 && lead <= 0xef) return DecodeThreeByteStep(bytes, s.size());
  if (lead >= 0xf0 && lead <= 0xf7) return DecodeFourByteStep(bytes, s.size());
  return Replace(1);  // 80..BF, C0, C1, F8..FF start no sequence
}

// String.hashCode of what `utf8` decodes to, decoding step by step. Out of line, so that the ASCII
// loop in JavaStringHashCode stays a few instructions wherever it is inlined.
[[gnu::noinline]] inline int32_t HashDecodingUtf8(std::string_view utf8) {
  uint32_t hash = 0;  // unsigned: wraps as Java's int does
  std::string_view rest = utf8;
  while (!rest.empty()) {
    const uint8_t byte = static_cast<uint8_t>(rest[0]);
    if (byte < 0x80) {
      hash = 31 * hash + byte;
      rest.remove_prefix(1);
      continue;
    }
    const Utf16Step step = DecodeNonAsciiStep(rest);
    SLUICE_ASSERT(step.bytes_used >= 1, "every step makes progress");
    SLUICE_ASSERT(step.bytes_used <= rest.size(), "a step consumes only bytes that are there");
    for (int i = 0; i < step.unit_count; ++i) hash = 31 * hash + step.units[i];
    rest.remove_prefix(step.bytes_used);
  }
  return static_cast<int32_t>(hash);
}

}  // namespace java_hash_internal

// String.hashCode of the String that `utf8` decodes to (see the top of this file).
inline int32_t JavaStringHashCode(std::string_view utf8) {
  // The plain byte loop, noting on the side whether any byte was not ASCII: the OR runs beside the
  // multiply chain, so an ASCII key costs what the byte loop alone does. Otherwise start again on
  // the decoding path.
  uint32_t hash = 0;  // unsigned: wraps as Java's int does
  uint8_t any_high_bit = 0;
  for (const char c : utf8) {
    const uint8_t byte = static_cast<uint8_t>(c);
    any_high_bit |= byte;
    hash = 31 * hash + byte;
  }
  if ((any_high_bit & 0x80) == 0) [[likely]] return static_cast<int32_t>(hash);
  return java_hash_internal::HashDecodingUtf8(utf8);
}

}  // namespace sluice
