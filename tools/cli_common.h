// Helpers every `sluice` subcommand shares: exit codes, error printing, strict number parsing and
// shell quoting for the repro commands the CLI prints.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/status.h"

namespace sluice::tools {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // an invariant failed, or the job failed
inline constexpr int kExitUsage = 2;   // bad usage or unreadable input

// Prints "sluice: error: <message>" and a newline on stderr.
void PrintError(std::string_view message);
// Prints the error and returns kExitUsage: `return UsageError("...");`.
int UsageError(std::string_view message);

// Prints "sluice: warning: <message>" and a newline on stderr.
void PrintWarning(std::string_view message);

// Parses a decimal unsigned 64-bit integer: digits only, no sign, no spaces, no overflow.
// kInvalidArgument naming `what` (e.g. "--seed") and the offending text otherwise.
Result<uint64_t> ParseUint64(std::string_view text, std::string_view what);

// An inclusive range of seeds, written "A..B" on the command line.
struct SeedRange {
  uint64_t first = 0;
  uint64_t last = 0;
};
// Most seeds one sweep may run (a bound, so a typo cannot start a run of 2^64 seeds).
inline constexpr uint64_t kSweepSeedsMax = 100'000'000;
// Parses "A..B" with A <= B and at most kSweepSeedsMax seeds; kInvalidArgument naming the problem.
Result<SeedRange> ParseSeedRange(std::string_view text);

// `word` unchanged if it is made of shell-safe characters only, else single-quoted for sh.
std::string ShellQuote(std::string_view word);

// The first line of `text` (without the '\n'); `text` itself if it has one line.
std::string_view FirstLine(std::string_view text);

// Wall-clock seconds since `start` (the steady clock: the CLI's own progress and timeouts, never
// a simulated run's).
inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace sluice::tools
