// KeyHash<K>::HashCode(key): the Java hashCode of the value a C++ key stands for in Flink, so that
// KeyGroupForKeyOf(key, max_parallelism) is the key group Flink gives the same key
// (engine/partition/key_group.h). Java's hashCode functions themselves: java_hash.h.
//
//   C++ key                        stands for in Java            hashCode
//   std::string, std::string_view  String of the UTF-8 decoded   String.hashCode over UTF-16 units
//   int8_t, int16_t, int32_t       Byte, Short, Integer          the value
//   uint8_t, uint16_t              Integer of the value          the value
//   uint32_t                       Long of the value             Long.hashCode: the value's 32 bits
//                                                                as int32 (equal to
//                                                                Integer.hashCode of those bits)
//   int64_t                        Long                          (int)(v ^ (v >>> 32))
//   uint64_t                       Long of the same 64 bits      as int64_t of those bits
//   bool                           Boolean                       1231 true, 1237 false
//   float, double                  Float, Double                 Float.hashCode, Double.hashCode
//                                                                (bits, NaN canonical; java_hash.h)
//   std::pair<A, B>, std::tuple    Flink Tuple2, TupleN          h = hash(f0), then
//                                                                h = 31 * h + hash(fi) (Tuple0: 0)
//   std::optional<T>               a field that may be null      empty: 0 (null), else hash(*v)
//   struct with                    your class's hashCode()       whatever it returns
//     `int32_t HashCode() const`
//   struct with Tie() (only const  a POJO whose hashCode() is    java.util.Arrays.hashCode: h = 1,
//     needed; engine/base/tie.h)   Objects.hash(fields...)       then h = 31 * h + hash(field)
// All arithmetic wraps as Java's int does. char, the other char types and long double have no
// KeyHash (Java's char is UTF-16: say what you mean with an integer type). HashCode() wins over
// Tie(); an explicit specialization of KeyHash wins over both. Pure; never suspends.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "engine/base/tie.h"
#include "engine/partition/java_hash.h"
#include "engine/partition/key_group.h"

namespace sluice {

template <typename K>
struct KeyHash;

// A key type that computes its own Java hashCode.
template <typename K>
concept HasHashCode = requires(const K& key) {
  { key.HashCode() } -> std::same_as<int32_t>;
};

namespace key_hash_internal {

template <typename T, typename... Candidates>
concept OneOf = (std::same_as<T, Candidates> || ...);

// Types whose Java stand-in is an int (Byte, Short, Integer, or an Integer of the value).
template <typename T>
concept IntLike = OneOf<T, signed char, short, int, unsigned char, unsigned short>;

// Types whose Java stand-in is a long.
template <typename T>
concept LongLike = OneOf<T, unsigned int, long, long long, unsigned long, unsigned long long>;

template <typename Field>
int32_t FieldHash(const Field& field) {
  return KeyHash<std::remove_cvref_t<Field>>::HashCode(field);
}

// Flink's Tuple hashCode: hash(f0), then 31 * h + hash(fi); 0 for no fields.
template <typename Tuple>
int32_t FlinkTupleHash(const Tuple& fields) {
  if constexpr (std::tuple_size_v<Tuple> == 0) {
    return 0;
  } else {
    return std::apply(
        [](const auto& first, const auto&... rest) {
          uint32_t hash = static_cast<uint32_t>(FieldHash(first));
          ((hash = 31 * hash + static_cast<uint32_t>(FieldHash(rest))), ...);
          return static_cast<int32_t>(hash);
        },
        fields);
  }
}

// java.util.Arrays.hashCode(Object[]) (what Objects.hash returns): 1, then 31 * h + hash(field).
template <typename Tuple>
int32_t JavaArraysHash(const Tuple& fields) {
  return std::apply(
      [](const auto&... field) {
        uint32_t hash = 1;
        ((hash = 31 * hash + static_cast<uint32_t>(FieldHash(field))), ...);
        return static_cast<int32_t>(hash);
      },
      fields);
}

}  // namespace key_hash_internal

template <>
struct KeyHash<std::string_view> {
  static int32_t HashCode(std::string_view key) { return JavaStringHashCode(key); }
};

template <>
struct KeyHash<std::string> {
  static int32_t HashCode(const std::string& key) { return JavaStringHashCode(key); }
};

template <typename K>
  requires key_hash_internal::IntLike<K>
struct KeyHash<K> {
  static int32_t HashCode(K key) { return static_cast<int32_t>(key); }
};

template <typename K>
  requires key_hash_internal::LongLike<K>
struct KeyHash<K> {
  static int32_t HashCode(K key) {
    // uint32_t widens to the Long of its value; uint64_t keeps its 64 bits as a signed Long.
    return JavaLongHashCode(static_cast<int64_t>(key));
  }
};

template <>
struct KeyHash<bool> {
  static int32_t HashCode(bool key) { return JavaBooleanHashCode(key); }
};

template <>
struct KeyHash<float> {
  static int32_t HashCode(float key) { return JavaFloatHashCode(key); }
};

template <>
struct KeyHash<double> {
  static int32_t HashCode(double key) { return JavaDoubleHashCode(key); }
};

template <typename A, typename B>
struct KeyHash<std::pair<A, B>> {
  static int32_t HashCode(const std::pair<A, B>& key) {
    return key_hash_internal::FlinkTupleHash(std::tie(key.first, key.second));
  }
};

template <typename... Ts>
struct KeyHash<std::tuple<Ts...>> {
  static int32_t HashCode(const std::tuple<Ts...>& key) {
    return key_hash_internal::FlinkTupleHash(key);
  }
};

template <typename T>
struct KeyHash<std::optional<T>> {
  static int32_t HashCode(const std::optional<T>& key) {
    return key.has_value() ? KeyHash<T>::HashCode(*key) : 0;  // Java's null hashes to 0
  }
};

template <typename K>
  requires HasHashCode<K>
struct KeyHash<K> {
  static int32_t HashCode(const K& key) { return key.HashCode(); }
};

template <typename K>
  requires(HasTie<K> && !HasHashCode<K>)
struct KeyHash<K> {
  static int32_t HashCode(const K& key) { return key_hash_internal::JavaArraysHash(key.Tie()); }
};

// The key group Flink assigns `key`: KeyGroupForHash of its Java hashCode.
template <typename K>
int KeyGroupForKeyOf(const K& key, int max_parallelism) {
  return KeyGroupForHash(KeyHash<K>::HashCode(key), max_parallelism);
}

}  // namespace sluice
