#include "engine/config/configuration.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <utility>

#include "engine/base/assert.h"

namespace sluice {
namespace {

constexpr int64_t kNsPerMs = 1000 * 1000;
constexpr size_t kSuggestionsMax = 3;  // close keys an unknown-key error lists

struct DurationUnit {
  std::string_view name;
  int64_t ns;  // nanoseconds per unit
};
// Flink's TimeUtils.TimeUnit labels; "m" is minutes, as there.
constexpr DurationUnit kDurationUnits[] = {
    {"ns", 1},
    {"nano", 1},
    {"nanos", 1},
    {"nanosecond", 1},
    {"nanoseconds", 1},
    {"us", 1000},
    {"micro", 1000},
    {"micros", 1000},
    {"microsecond", 1000},
    {"microseconds", 1000},
    {"ms", kNsPerMs},
    {"milli", kNsPerMs},
    {"millis", kNsPerMs},
    {"millisecond", kNsPerMs},
    {"milliseconds", kNsPerMs},
    {"s", 1000 * kNsPerMs},
    {"sec", 1000 * kNsPerMs},
    {"secs", 1000 * kNsPerMs},
    {"second", 1000 * kNsPerMs},
    {"seconds", 1000 * kNsPerMs},
    {"m", 60 * 1000 * kNsPerMs},
    {"min", 60 * 1000 * kNsPerMs},
    {"minute", 60 * 1000 * kNsPerMs},
    {"minutes", 60 * 1000 * kNsPerMs},
    {"h", 3600 * 1000 * kNsPerMs},
    {"hour", 3600 * 1000 * kNsPerMs},
    {"hours", 3600 * 1000 * kNsPerMs},
    {"d", 24 * 3600 * 1000 * kNsPerMs},
    {"day", 24 * 3600 * 1000 * kNsPerMs},
    {"days", 24 * 3600 * 1000 * kNsPerMs},
};

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<int64_t> ParseInteger(std::string_view text) {
  text = Trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return InvalidArgumentError("'" + std::string(text) + "' is not an integer");
  }
  return value;
}

Result<double> ParseDouble(std::string_view text) {
  text = Trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value,
                                            std::chars_format::fixed);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value)) {
    return InvalidArgumentError("'" + std::string(text) + "' is not a decimal number");
  }
  return value;
}

Result<bool> ParseBool(std::string_view text) {
  const std::string lower = Lower(Trim(text));
  if (lower == "true") return true;
  if (lower == "false") return false;
  return InvalidArgumentError("'" + std::string(text) + "' is not true or false");
}

// Shortest text that reads back as `value` ("1.5", "0.1"; "..." for the unbounded ends).
std::string FormatDouble(double value) {
  if (value <= -std::numeric_limits<double>::max()) return "...";
  if (value >= std::numeric_limits<double>::max()) return "...";
  char buffer[64];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  SLUICE_ASSERT(error == std::errc(), "64 bytes hold any double");
  return std::string(buffer, end);
}

// Levenshtein distance, for suggesting a key close to a misspelt one.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string UnknownKeyError(std::string_view key, std::span<const ConfigOption> options) {
  std::vector<std::pair<size_t, std::string_view>> close;
  for (const ConfigOption& option : options) {
    const size_t distance = EditDistance(key, option.key);
    if (distance <= std::max<size_t>(2, key.size() / 4)) close.emplace_back(distance, option.key);
  }
  std::sort(close.begin(), close.end());
  std::string message = "unknown configuration key '" + std::string(key) + "'";
  if (!close.empty()) {
    message += " (did you mean";
    for (size_t i = 0; i < close.size() && i < kSuggestionsMax; ++i) {
      message += (i == 0 ? " '" : ", '") + std::string(close[i].second) + "'";
    }
    message += "?)";
  }
  return message;
}

const ConfigOption* FindOption(std::span<const ConfigOption> options, std::string_view key) {
  for (const ConfigOption& option : options) {
    if (option.key == key) return &option;
  }
  return nullptr;
}

}  // namespace

Result<int64_t> ParseDurationMs(std::string_view text) {
  const std::string_view trimmed = Trim(text);
  size_t digits = 0;
  while (digits < trimmed.size() && std::isdigit(static_cast<unsigned char>(trimmed[digits]))) {
    ++digits;
  }
  const std::string quoted = "'" + std::string(text) + "'";
  if (digits == 0) return InvalidArgumentError(quoted + " is not a duration (e.g. 500ms, 10 s)");
  uint64_t amount = 0;
  const auto [end, error] = std::from_chars(trimmed.data(), trimmed.data() + digits, amount);
  if (error != std::errc() || end != trimmed.data() + digits) {
    return InvalidArgumentError(quoted + " is too large a duration");
  }
  const std::string unit = Lower(Trim(trimmed.substr(digits)));
  int64_t unit_ns = kNsPerMs;  // no unit: milliseconds
  if (!unit.empty()) {
    const auto* found = std::find_if(std::begin(kDurationUnits), std::end(kDurationUnits),
                                     [&](const DurationUnit& u) { return u.name == unit; });
    if (found == std::end(kDurationUnits)) {
      return InvalidArgumentError(quoted + " has an unknown time unit '" + unit +
                                  "' (ns, us, ms, s, min, h, d)");
    }
    unit_ns = found->ns;
  }
  if (unit_ns >= kNsPerMs) {
    const int64_t per_ms = unit_ns / kNsPerMs;
    if (amount > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / per_ms)) {
      return InvalidArgumentError(quoted + " is too large a duration");
    }
    return static_cast<int64_t>(amount) * per_ms;
  }
  const uint64_t per_ms = static_cast<uint64_t>(kNsPerMs / unit_ns);
  if (amount % per_ms != 0) {
    return InvalidArgumentError(quoted + " is not a whole number of milliseconds");
  }
  return static_cast<int64_t>(amount / per_ms);
}

Result<int64_t> ParseMemoryBytes(std::string_view text) {
  const std::string_view trimmed = Trim(text);
  size_t digits = 0;
  while (digits < trimmed.size() && std::isdigit(static_cast<unsigned char>(trimmed[digits]))) {
    ++digits;
  }
  const std::string quoted = "'" + std::string(text) + "'";
  if (digits == 0) return InvalidArgumentError(quoted + " is not a memory size (e.g. 64mb, 4 kb)");
  uint64_t amount = 0;
  const auto [end, error] = std::from_chars(trimmed.data(), trimmed.data() + digits, amount);
  if (error != std::errc() || end != trimmed.data() + digits) {
    return InvalidArgumentError(quoted + " is too large a memory size");
  }
  // Flink's MemorySize units, all powers of 1024; no unit: bytes.
  struct Unit {
    std::string_view name;
    int shift;
  };
  static constexpr Unit kUnits[] = {
      {"", 0},   {"b", 0},   {"bytes", 0},     {"k", 10},  {"kb", 10},
      {"kibibytes", 10},     {"m", 20},        {"mb", 20}, {"mebibytes", 20},
      {"g", 30}, {"gb", 30}, {"gibibytes", 30}, {"t", 40},  {"tb", 40},
      {"tebibytes", 40}};
  const std::string unit = Lower(Trim(trimmed.substr(digits)));
  const auto* found = std::find_if(std::begin(kUnits), std::end(kUnits),
                                   [&](const Unit& u) { return u.name == unit; });
  if (found == std::end(kUnits)) {
    return InvalidArgumentError(quoted + " has an unknown memory unit '" + unit +
                                "' (b, kb, mb, gb, tb)");
  }
  if (amount > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) >> found->shift)) {
    return InvalidArgumentError(quoted + " is too large a memory size");
  }
  return static_cast<int64_t>(amount << found->shift);
}

Status CheckValue(const ConfigOption& option, std::string_view value) {
  const std::string where = "configuration key '" + option.key + "'";
  auto check_range = [&](Result<int64_t> parsed, std::string_view unit) -> Status {
    if (!parsed.ok()) return parsed.status().WithContext(where);
    if (*parsed < option.min || *parsed > option.max) {
      std::string bounds = "[" + std::to_string(option.min) + ", " +
                           (option.max == std::numeric_limits<int64_t>::max()
                                ? std::string("...")
                                : std::to_string(option.max)) +
                           "]";
      return InvalidArgumentError(where + ": " + std::to_string(*parsed) + std::string(unit) +
                                  " is outside " + bounds + std::string(unit));
    }
    return Status::Ok();
  };
  switch (option.type) {
    case ConfigType::kInt: {
      auto parsed = ParseInteger(value);
      if (parsed.ok() && (*parsed < std::numeric_limits<int32_t>::min() ||
                          *parsed > std::numeric_limits<int32_t>::max())) {
        return InvalidArgumentError(where + ": " + std::string(value) + " is not a 32-bit int");
      }
      return check_range(std::move(parsed), "");
    }
    case ConfigType::kLong:
      return check_range(ParseInteger(value), "");
    case ConfigType::kDuration:
      return check_range(ParseDurationMs(value), " ms");
    case ConfigType::kMemorySize:
      return check_range(ParseMemoryBytes(value), " bytes");
    case ConfigType::kDouble: {
      auto parsed = ParseDouble(value);
      if (!parsed.ok()) return parsed.status().WithContext(where);
      if (*parsed < option.double_min || *parsed > option.double_max) {
        return InvalidArgumentError(where + ": " + std::string(Trim(value)) + " is outside [" +
                                    FormatDouble(option.double_min) + ", " +
                                    FormatDouble(option.double_max) + "]");
      }
      return Status::Ok();
    }
    case ConfigType::kBool: {
      auto parsed = ParseBool(value);
      return parsed.ok() ? Status::Ok() : parsed.status().WithContext(where);
    }
    case ConfigType::kEnum: {
      if (std::find(option.choices.begin(), option.choices.end(), value) != option.choices.end()) {
        return Status::Ok();
      }
      std::string choices;
      for (const std::string& choice : option.choices) choices += (choices.empty() ? "" : ", ") + choice;
      return InvalidArgumentError(where + ": '" + std::string(value) + "' is not one of " + choices);
    }
    case ConfigType::kString:
      return Status::Ok();
  }
  return InternalError(where + ": unknown option type");
}

Status Configuration::SetFromArgument(std::string_view key_equals_value) {
  const size_t equals = key_equals_value.find('=');
  const std::string quoted = "-D '" + std::string(key_equals_value) + "'";
  if (equals == std::string_view::npos) {
    return InvalidArgumentError(quoted + ": expected key=value");
  }
  const std::string_view key = key_equals_value.substr(0, equals);
  if (key.empty()) return InvalidArgumentError(quoted + ": the key is empty");
  if (Trim(key) != key) return InvalidArgumentError(quoted + ": spaces around the key");
  Set(std::string(key), std::string(key_equals_value.substr(equals + 1)));
  return Status::Ok();
}

Status Configuration::Validate(std::span<const ConfigOption> options) const {
  for (const auto& [key, value] : entries_) {
    const ConfigOption* option = FindOption(options, key);
    if (option == nullptr) return InvalidArgumentError(UnknownKeyError(key, options));
    RETURN_IF_ERROR(CheckValue(*option, value));
  }
  return Status::Ok();
}

namespace {
std::string_view ValueOrDefault(const std::map<std::string, std::string, std::less<>>& entries,
                                const ConfigOption& option) {
  auto it = entries.find(option.key);
  return it == entries.end() ? std::string_view(option.default_value) : std::string_view(it->second);
}
}  // namespace

int64_t Configuration::GetInt(const ConfigOption& option) const {
  SLUICE_ASSERT(option.type == ConfigType::kInt || option.type == ConfigType::kLong,
                "GetInt reads an int or long option");
  auto parsed = ParseInteger(ValueOrDefault(entries_, option));
  SLUICE_ASSERT(parsed.ok(), "the configuration was validated before it is read");
  return *parsed;
}

double Configuration::GetDouble(const ConfigOption& option) const {
  SLUICE_ASSERT(option.type == ConfigType::kDouble, "GetDouble reads a double option");
  auto parsed = ParseDouble(ValueOrDefault(entries_, option));
  SLUICE_ASSERT(parsed.ok(), "the configuration was validated before it is read");
  return *parsed;
}

bool Configuration::GetBool(const ConfigOption& option) const {
  SLUICE_ASSERT(option.type == ConfigType::kBool, "GetBool reads a bool option");
  auto parsed = ParseBool(ValueOrDefault(entries_, option));
  SLUICE_ASSERT(parsed.ok(), "the configuration was validated before it is read");
  return *parsed;
}

int64_t Configuration::GetDurationMs(const ConfigOption& option) const {
  SLUICE_ASSERT(option.type == ConfigType::kDuration, "GetDurationMs reads a duration option");
  auto parsed = ParseDurationMs(ValueOrDefault(entries_, option));
  SLUICE_ASSERT(parsed.ok(), "the configuration was validated before it is read");
  return *parsed;
}

int64_t Configuration::GetBytes(const ConfigOption& option) const {
  SLUICE_ASSERT(option.type == ConfigType::kMemorySize, "GetBytes reads a memory size option");
  auto parsed = ParseMemoryBytes(ValueOrDefault(entries_, option));
  SLUICE_ASSERT(parsed.ok(), "the configuration was validated before it is read");
  return *parsed;
}

std::string Configuration::GetString(const ConfigOption& option) const {
  SLUICE_ASSERT(option.type == ConfigType::kString || option.type == ConfigType::kEnum,
                "GetString reads a string or enum option");
  return std::string(ValueOrDefault(entries_, option));
}

std::vector<std::string> Configuration::ToArguments() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& [key, value] : entries_) out.push_back(key + "=" + value);
  return out;
}

void Configuration::Encode(ByteWriter& w) const {
  w.PutVarint(entries_.size());
  for (const auto& [key, value] : entries_) {
    w.PutString(key);
    w.PutString(value);
  }
}

bool Configuration::Decode(ByteReader& r) {
  entries_.clear();
  uint64_t count = 0;
  if (!r.GetVarint(&count)) return false;
  for (uint64_t i = 0; i < count; ++i) {
    std::string key, value;
    if (!r.GetString(&key) || !r.GetString(&value)) return false;
    entries_[std::move(key)] = std::move(value);
  }
  return true;
}

}  // namespace sluice
