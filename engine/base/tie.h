// Tie(): the one customization point through which generic code sees the fields of a user struct.
// A struct lists its fields once, in a fixed order, as a std::tuple of references:
//
//   struct Click {
//     std::string user;
//     int64_t at_ms = 0;
//     auto Tie() { return std::tie(user, at_ms); }
//     auto Tie() const { return std::tie(user, at_ms); }
//   };
//
// Serializer<Click> (engine/base/serializer.h) then writes and reads the fields in that order, and
// KeyHash<Click> (engine/partition/key_hash.h) hashes them. Reading needs the non-const Tie() (it
// assigns through the references); writing and hashing need only the const one. The order of the
// fields is part of the serialized format and of the key's hash: reordering, adding or removing a
// field changes both (no versioning). Pure; never suspends.
#pragma once

#include <tuple>
#include <type_traits>
#include <utility>

namespace sluice {

namespace tie_internal {

template <typename T>
struct TieTraits {
  static constexpr bool kIsTupleOfReferences = false;
  static constexpr bool kIsAssignable = false;
};

template <typename... Fields>
struct TieTraits<std::tuple<Fields&...>> {
  static constexpr bool kIsTupleOfReferences = true;
  static constexpr bool kIsAssignable = (!std::is_const_v<Fields> && ...);
};

}  // namespace tie_internal

// `v.Tie()` on a const T returns a std::tuple of references to its fields.
template <typename T>
concept HasTie =
    requires(const T& v) { v.Tie(); } &&
    tie_internal::TieTraits<decltype(std::declval<const T&>().Tie())>::kIsTupleOfReferences;

// HasTie, and `v.Tie()` on a non-const T returns a std::tuple of non-const references (so that a
// reader can assign each field).
template <typename T>
concept HasAssignableTie =
    HasTie<T> && requires(T& v) { v.Tie(); } &&
    tie_internal::TieTraits<decltype(std::declval<T&>().Tie())>::kIsAssignable;

}  // namespace sluice
