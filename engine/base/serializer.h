// Serializer<T>: how a record type crosses the network and enters snapshots.
//
//   static void Write(ByteWriter& w, const T& v);  // appends one encoding of v
//   static bool Read(ByteReader& r, T* v);         // consumes one encoding into *v
//
// Read returns false on malformed or truncated bytes and never crashes; after false, *v holds some
// valid value and the reader's position is unspecified (drop the whole buffer). A count prefix
// larger than the remaining bytes could hold (remaining / the fewest bytes an element takes) fails
// before anything is allocated, so a corrupt count reserves at most sizeof(element) bytes per byte
// of input. Pure; never suspends; not thread-safe (nor are ByteWriter and ByteReader, bytes.h).
//
// Formats. No type tags and no framing: the reader knows T. A varint is LEB128 (1 to 10 bytes; a
// value that does not fit in 64 bits is malformed).
//   bool                     1 byte, 0 or 1; any other byte is malformed
//   char                     1 byte, its bits
//   int8_t .. int64_t        zig-zag varint of the value (also signed char, short, int, long,
//                            long long); on Read a value outside T's range is malformed
//   uint8_t .. uint64_t      varint of the value (also the unsigned spellings); on Read a value
//                            outside T's range is malformed
//   float, double            IEEE-754 bits, little-endian, 4 and 8 bytes: bit-exact (-0.0, NaN
//                            payloads and infinities survive)
//   std::string              varint byte count, then the bytes
//   std::pair<A, B>          A, then B
//   std::tuple<Ts...>        each field in order (std::tuple<> is zero bytes)
//   std::optional<T>         1 byte 0 (empty), or 1 byte 1 then T; any other tag is malformed
//   std::vector<T>           varint element count, then each element
//   std::map<K, V>           varint entry count, then key and value of each entry in the map's
//                            order; on Read a key not after the one before it is malformed (so a
//                            duplicate key is)
// A vector or map whose elements can encode to zero bytes (std::vector<std::tuple<>>) does not
// compile: its count could not be checked against the input.
//   struct with Tie()        its fields in Tie() order, as a std::tuple of them (engine/base/tie.h)
// The formats of std::string, int64_t and std::pair are in checkpoints and on the wire: they never
// change. Char types other than char (char8_t, wchar_t, ...) and long double have no serializer.
//
// A record type of your own takes one of two routes:
//   1. Tie(), both the const and the non-const overload (engine/base/tie.h): serialized field by
//      field, nothing else to write.
//   2. An explicit specialization `template <> struct Serializer<MyType> { Write; Read; };`, for a
//      format of its own. It wins over Tie(). If it can write zero bytes it must also declare
//      `static constexpr size_t kMinEncodedBytes = 0;` (count prefixes are checked against the
//      fewest bytes an element takes, taken as 1 unless declared).
#pragma once

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/base/bytes.h"
#include "engine/base/tie.h"

namespace sluice {

template <typename T>
struct Serializer;

namespace serializer_internal {

template <typename T, typename... Candidates>
concept OneOf = (std::same_as<T, Candidates> || ...);

template <typename T>
concept SignedInteger = OneOf<T, signed char, short, int, long, long long>;

template <typename T>
concept UnsignedInteger =
    OneOf<T, unsigned char, unsigned short, unsigned int, unsigned long, unsigned long long>;

// The fewest bytes an encoding of T takes: Serializer<T>::kMinEncodedBytes, or 1 when the
// serializer does not declare it.
template <typename T>
constexpr size_t MinEncodedBytes() {
  if constexpr (requires { Serializer<T>::kMinEncodedBytes; }) {
    return Serializer<T>::kMinEncodedBytes;
  } else {
    return 1;
  }
}

template <typename Tuple>
struct TupleMinEncodedBytes;

template <typename... Fields>
struct TupleMinEncodedBytes<std::tuple<Fields...>> {
  static constexpr size_t kValue =
      (size_t{0} + ... + MinEncodedBytes<std::remove_cvref_t<Fields>>());
};

// Reads a varint count of elements that take at least `min_bytes` each. False when the varint is
// malformed or that many elements could not fit in what remains of the input.
inline bool ReadCount(ByteReader& r, size_t min_bytes, size_t* count) {
  uint64_t n = 0;
  if (!r.GetVarint(&n)) return false;
  if (n > r.remaining() / min_bytes) return false;
  *count = static_cast<size_t>(n);
  return true;
}

// Writes each field of a tuple (of values or of references) in order.
template <typename Tuple>
void WriteFields(ByteWriter& w, const Tuple& fields) {
  std::apply(
      [&w](const auto&... field) {
        (Serializer<std::remove_cvref_t<decltype(field)>>::Write(w, field), ...);
      },
      fields);
}

// Reads each field of a tuple (of values, or of references to assign through) in order; stops at
// the first malformed field.
template <typename Tuple>
bool ReadFields(ByteReader& r, Tuple&& fields) {
  return std::apply(
      [&r](auto&... field) {
        return (Serializer<std::remove_cvref_t<decltype(field)>>::Read(r, &field) && ...);
      },
      fields);
}

}  // namespace serializer_internal

template <>
struct Serializer<bool> {
  static constexpr size_t kMinEncodedBytes = 1;
  static void Write(ByteWriter& w, bool v) { w.PutU8(v ? 1 : 0); }
  static bool Read(ByteReader& r, bool* v) {
    uint8_t byte = 0;
    if (!r.GetU8(&byte) || byte > 1) return false;
    *v = byte == 1;
    return true;
  }
};

template <>
struct Serializer<char> {
  static constexpr size_t kMinEncodedBytes = 1;
  static void Write(ByteWriter& w, char v) { w.PutU8(static_cast<uint8_t>(v)); }
  static bool Read(ByteReader& r, char* v) {
    uint8_t byte = 0;
    if (!r.GetU8(&byte)) return false;
    *v = static_cast<char>(byte);
    return true;
  }
};

template <typename T>
  requires serializer_internal::SignedInteger<T>
struct Serializer<T> {
  static constexpr size_t kMinEncodedBytes = 1;
  static void Write(ByteWriter& w, T v) { w.PutSignedVarint(v); }
  static bool Read(ByteReader& r, T* v) {
    int64_t wide = 0;
    if (!r.GetSignedVarint(&wide)) return false;
    if constexpr (sizeof(T) < sizeof(int64_t)) {
      if (wide < std::numeric_limits<T>::min()) return false;
      if (wide > std::numeric_limits<T>::max()) return false;
    }
    *v = static_cast<T>(wide);
    return true;
  }
};

template <typename T>
  requires serializer_internal::UnsignedInteger<T>
struct Serializer<T> {
  static constexpr size_t kMinEncodedBytes = 1;
  static void Write(ByteWriter& w, T v) { w.PutVarint(v); }
  static bool Read(ByteReader& r, T* v) {
    uint64_t wide = 0;
    if (!r.GetVarint(&wide)) return false;
    if constexpr (sizeof(T) < sizeof(uint64_t)) {
      if (wide > std::numeric_limits<T>::max()) return false;
    }
    *v = static_cast<T>(wide);
    return true;
  }
};

template <>
struct Serializer<float> {
  static constexpr size_t kMinEncodedBytes = 4;
  static void Write(ByteWriter& w, float v) { w.PutU32(std::bit_cast<uint32_t>(v)); }
  static bool Read(ByteReader& r, float* v) {
    uint32_t bits = 0;
    if (!r.GetU32(&bits)) return false;
    *v = std::bit_cast<float>(bits);
    return true;
  }
};

template <>
struct Serializer<double> {
  static constexpr size_t kMinEncodedBytes = 8;
  static void Write(ByteWriter& w, double v) { w.PutU64(std::bit_cast<uint64_t>(v)); }
  static bool Read(ByteReader& r, double* v) {
    uint64_t bits = 0;
    if (!r.GetU64(&bits)) return false;
    *v = std::bit_cast<double>(bits);
    return true;
  }
};

template <>
struct Serializer<std::string> {
  static constexpr size_t kMinEncodedBytes = 1;
  static void Write(ByteWriter& w, const std::string& v) { w.PutString(v); }
  static bool Read(ByteReader& r, std::string* v) { return r.GetString(v); }
};

template <typename A, typename B>
struct Serializer<std::pair<A, B>> {
  static constexpr size_t kMinEncodedBytes =
      serializer_internal::MinEncodedBytes<A>() + serializer_internal::MinEncodedBytes<B>();
  static void Write(ByteWriter& w, const std::pair<A, B>& v) {
    Serializer<A>::Write(w, v.first);
    Serializer<B>::Write(w, v.second);
  }
  static bool Read(ByteReader& r, std::pair<A, B>* v) {
    return Serializer<A>::Read(r, &v->first) && Serializer<B>::Read(r, &v->second);
  }
};

template <typename... Ts>
struct Serializer<std::tuple<Ts...>> {
  static constexpr size_t kMinEncodedBytes =
      serializer_internal::TupleMinEncodedBytes<std::tuple<Ts...>>::kValue;
  static void Write(ByteWriter& w, const std::tuple<Ts...>& v) {
    serializer_internal::WriteFields(w, v);
  }
  static bool Read(ByteReader& r, std::tuple<Ts...>* v) {
    return serializer_internal::ReadFields(r, *v);
  }
};

template <typename T>
struct Serializer<std::optional<T>> {
  static constexpr size_t kMinEncodedBytes = 1;
  static void Write(ByteWriter& w, const std::optional<T>& v) {
    w.PutU8(v.has_value() ? 1 : 0);
    if (v.has_value()) Serializer<T>::Write(w, *v);
  }
  static bool Read(ByteReader& r, std::optional<T>* v) {
    uint8_t tag = 0;
    if (!r.GetU8(&tag) || tag > 1) return false;
    if (tag == 0) {
      v->reset();
      return true;
    }
    return Serializer<T>::Read(r, &v->emplace());
  }
};

template <typename T, typename Allocator>
struct Serializer<std::vector<T, Allocator>> {
  static constexpr size_t kMinEncodedBytes = 1;
  static void Write(ByteWriter& w, const std::vector<T, Allocator>& v) {
    w.PutVarint(v.size());
    for (const T& element : v) Serializer<T>::Write(w, element);
  }
  static bool Read(ByteReader& r, std::vector<T, Allocator>* v) {
    constexpr size_t kElementMinBytes = serializer_internal::MinEncodedBytes<T>();
    static_assert(kElementMinBytes >= 1, "an element that may take zero bytes has no count check");
    size_t count = 0;
    if (!serializer_internal::ReadCount(r, kElementMinBytes, &count)) return false;
    v->clear();
    v->reserve(count);  // bounded: count <= remaining bytes / kElementMinBytes
    for (size_t i = 0; i < count; ++i) {
      T element{};  // a local, not emplace_back(): std::vector<bool> has no bool& to read into
      if (!Serializer<T>::Read(r, &element)) return false;
      v->push_back(std::move(element));
    }
    return true;
  }
};

template <typename K, typename V, typename Compare, typename Allocator>
struct Serializer<std::map<K, V, Compare, Allocator>> {
  static constexpr size_t kMinEncodedBytes = 1;
  static void Write(ByteWriter& w, const std::map<K, V, Compare, Allocator>& v) {
    w.PutVarint(v.size());
    for (const auto& [key, value] : v) {
      Serializer<K>::Write(w, key);
      Serializer<V>::Write(w, value);
    }
  }
  static bool Read(ByteReader& r, std::map<K, V, Compare, Allocator>* v) {
    constexpr size_t kEntryMinBytes =
        serializer_internal::MinEncodedBytes<K>() + serializer_internal::MinEncodedBytes<V>();
    static_assert(kEntryMinBytes >= 1, "an entry that may take zero bytes has no count check");
    size_t count = 0;
    if (!serializer_internal::ReadCount(r, kEntryMinBytes, &count)) return false;
    v->clear();
    for (size_t i = 0; i < count; ++i) {
      K key{};
      V value{};
      if (!Serializer<K>::Read(r, &key) || !Serializer<V>::Read(r, &value)) return false;
      // Write emits keys in ascending order; anything else (a duplicate) is not one of its outputs.
      if (!v->empty() && !v->key_comp()(std::prev(v->end())->first, key)) return false;
      v->emplace_hint(v->end(), std::move(key), std::move(value));
    }
    return true;
  }
};

// A user struct with Tie() (engine/base/tie.h): its fields in Tie() order. An explicit
// specialization of Serializer for the struct wins over this one.
template <typename T>
  requires HasAssignableTie<T>
struct Serializer<T> {
  static constexpr size_t kMinEncodedBytes =
      serializer_internal::TupleMinEncodedBytes<decltype(std::declval<const T&>().Tie())>::kValue;
  static void Write(ByteWriter& w, const T& v) { serializer_internal::WriteFields(w, v.Tie()); }
  static bool Read(ByteReader& r, T* v) { return serializer_internal::ReadFields(r, v->Tie()); }
};

}  // namespace sluice
