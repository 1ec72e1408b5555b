// Serializer<T>: how a record type crosses the network and enters snapshots. Specialized for the
// types the built-in jobs use; a new record type adds a specialization. Read returns false on
// malformed bytes (never crashes). Never suspends.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "engine/base/bytes.h"

namespace sluice {

template <typename T>
struct Serializer;

template <>
struct Serializer<std::string> {
  static void Write(ByteWriter& w, const std::string& v) { w.PutString(v); }
  static bool Read(ByteReader& r, std::string* v) { return r.GetString(v); }
};

template <>
struct Serializer<int64_t> {
  static void Write(ByteWriter& w, int64_t v) { w.PutSignedVarint(v); }
  static bool Read(ByteReader& r, int64_t* v) { return r.GetSignedVarint(v); }
};

template <typename A, typename B>
struct Serializer<std::pair<A, B>> {
  static void Write(ByteWriter& w, const std::pair<A, B>& v) {
    Serializer<A>::Write(w, v.first);
    Serializer<B>::Write(w, v.second);
  }
  static bool Read(ByteReader& r, std::pair<A, B>* v) {
    return Serializer<A>::Read(r, &v->first) && Serializer<B>::Read(r, &v->second);
  }
};

}  // namespace sluice
