// Configuration: job and cluster settings as Flink keeps them, string keys with string values
// ("parallelism.default" → "3"), read through typed option definitions (Flink's ConfigOption).
// Users give them as `-D key=value`; a program checks the whole set against the options it knows
// (Validate) before anything runs, so that an unknown key or a malformed value is an error naming
// the key, never a silent default. After a successful Validate the typed getters cannot fail.
//
// Value syntax (as Flink's ConfigurationUtils / TimeUtils parse them):
//   int, long   decimal, optional sign: "4", "-1"
//   double      a decimal number: "1.5", "0.1", "2" (no inf or nan)
//   bool        "true" or "false" (any case)
//   duration    a number and an optional unit, with optional spaces: "500ms", "10 s", "1 min";
//               units ns, us, ms, s, min, h, d and their long forms (milli, millis,
//               millisecond(s), sec(s), second(s), m, minute(s), hour(s), day(s)); no unit = ms.
//               Read as whole milliseconds (a value that is not a whole number of ms is an
//               error).
//   enum        one of the option's choices, exact spelling (e.g. "EXACTLY_ONCE").
//   string      any text.
// Thread safety: a value; no shared state. Nothing here suspends.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/bytes.h"
#include "engine/base/status.h"

namespace sluice {

enum class ConfigType { kInt, kLong, kDouble, kBool, kDuration, kMemorySize, kEnum, kString };

// One setting: its Flink key, type, default (written as a user would write it) and bounds.
struct ConfigOption {
  std::string key;
  ConfigType type = ConfigType::kString;
  std::string default_value;  // must itself parse; "" only for strings
  std::string description;    // one line, for `sluice jobs --verbose` and errors
  int64_t min = std::numeric_limits<int64_t>::min();  // int, long, duration (ms): inclusive
  int64_t max = std::numeric_limits<int64_t>::max();
  double double_min = -std::numeric_limits<double>::max();  // double: inclusive
  double double_max = std::numeric_limits<double>::max();
  std::vector<std::string> choices;  // enum only
};

// "500ms" → 500. kInvalidArgument naming the text for a malformed duration, an unknown unit, a
// negative value, one that overflows int64 milliseconds or is not a whole number of them.
Result<int64_t> ParseDurationMs(std::string_view text);
// "64mb" → 67108864 (Flink's MemorySize: b, kb, mb, gb, tb and their long names, powers of 1024;
// no unit is bytes). kInvalidArgument naming the text for a malformed size, an unknown unit or
// one that overflows int64 bytes.
Result<int64_t> ParseMemoryBytes(std::string_view text);

class Configuration {
 public:
  // Sets `key` to `value` (replacing an earlier value: the last -D wins, as in Flink).
  void Set(std::string key, std::string value) { entries_[std::move(key)] = std::move(value); }
  // Parses one -D argument, "key=value" (value may be empty, key may not; spaces around the key
  // are an error, to catch shell quoting mistakes). kInvalidArgument naming the argument.
  Status SetFromArgument(std::string_view key_equals_value);
  bool Contains(std::string_view key) const { return entries_.find(key) != entries_.end(); }
  const std::map<std::string, std::string, std::less<>>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

  // Checks that every key set is one of `options` and that every value parses and is within its
  // option's bounds: kInvalidArgument "unknown configuration key 'K'" (listing close keys) or
  // "configuration key 'K': VALUE is not a duration ...".
  Status Validate(std::span<const ConfigOption> options) const;

  // The option's value, or its default when unset. The option's value (or default) must be
  // valid: call Validate first; an invalid value here is a bug (asserted).
  int64_t GetInt(const ConfigOption& option) const;  // kInt and kLong
  double GetDouble(const ConfigOption& option) const;
  bool GetBool(const ConfigOption& option) const;
  int64_t GetDurationMs(const ConfigOption& option) const;
  int64_t GetBytes(const ConfigOption& option) const;  // kMemorySize
  std::string GetString(const ConfigOption& option) const;  // kString and kEnum

  // "key=value" pairs joined by ' ' in key order, as a repro line's -D flags would give them
  // (values are not quoted: the CLI quotes them when it prints a command).
  std::vector<std::string> ToArguments() const;

  void Encode(ByteWriter& w) const;
  // false on malformed bytes (a count or string past the end).
  bool Decode(ByteReader& r);

  bool operator==(const Configuration&) const = default;

 private:
  std::map<std::string, std::string, std::less<>> entries_;
};

// Checks `value` against `option` (type, bounds, choices); kInvalidArgument naming the key.
Status CheckValue(const ConfigOption& option, std::string_view value);

}  // namespace sluice
