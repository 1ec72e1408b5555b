#include "tools/cli_common.h"

#include <fmt/core.h>

#include <cstdio>

namespace sluice::tools {

void PrintError(std::string_view message) {
  fmt::print(stderr, "sluice: error: {}\n", message);
  std::fflush(stderr);
}

int UsageError(std::string_view message) {
  PrintError(message);
  return kExitUsage;
}

void PrintWarning(std::string_view message) {
  fmt::print(stderr, "sluice: warning: {}\n", message);
  std::fflush(stderr);
}

Result<uint64_t> ParseUint64(std::string_view text, std::string_view what) {
  // 20 digits hold every uint64_t; longer (leading zeros aside) always overflows.
  constexpr size_t kDigitsMax = 20;
  if (text.empty()) return InvalidArgumentError(fmt::format("{}: expected a number, got ''", what));
  if (text.size() > kDigitsMax) {
    return InvalidArgumentError(
        fmt::format("{}: '{}' is longer than an unsigned 64-bit number", what, text));
  }
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return InvalidArgumentError(
          fmt::format("{}: '{}' is not an unsigned decimal number", what, text));
    }
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) {
      return InvalidArgumentError(
          fmt::format("{}: '{}' does not fit in an unsigned 64-bit number", what, text));
    }
    value = value * 10 + digit;
  }
  return value;
}

Result<SeedRange> ParseSeedRange(std::string_view text) {
  const size_t dots = text.find("..");
  if (dots == std::string_view::npos) {
    return InvalidArgumentError(
        fmt::format("--seeds: expected A..B (for example 1..200), got '{}'", text));
  }
  ASSIGN_OR_RETURN(const uint64_t first, ParseUint64(text.substr(0, dots), "--seeds start"));
  ASSIGN_OR_RETURN(const uint64_t last, ParseUint64(text.substr(dots + 2), "--seeds end"));
  if (first > last) {
    return InvalidArgumentError(
        fmt::format("--seeds: the start {} is greater than the end {}", first, last));
  }
  if (last - first >= kSweepSeedsMax) {
    return InvalidArgumentError(
        fmt::format("--seeds: {} covers more than {} seeds", text, kSweepSeedsMax));
  }
  return SeedRange{first, last};
}

std::string ShellQuote(std::string_view word) {
  auto safe = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '/' || c == ':' || c == '=' || c == '+' || c == ',' ||
           c == '@';
  };
  bool all_safe = !word.empty();
  for (char c : word) all_safe = all_safe && safe(c);
  if (all_safe) return std::string(word);
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') {
      quoted += "'\\''";  // close the quote, an escaped quote, reopen
    } else {
      quoted.push_back(c);
    }
  }
  quoted.push_back('\'');
  return quoted;
}

std::string_view FirstLine(std::string_view text) {
  const size_t end = text.find('\n');
  return end == std::string_view::npos ? text : text.substr(0, end);
}

}  // namespace sluice::tools
