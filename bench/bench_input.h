// Inputs for the benchmarks: the fortunes corpus (Debian packages `fortunes`, `fortunes-min`), the
// same text the CLI's word count reads by default, read straight from disk so that the benchmarks
// do not depend on the CLI's libraries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/status.h"

namespace sluice::bench {

inline constexpr char kFortunesDir[] = "/usr/share/games/fortunes";
// The simulator benchmarks' input: the first ~300 KB of the corpus.
inline constexpr size_t kSimulatorInputBytes = 300 * 1000;
// The corpus is ~2.6 MB; anything past this bound is not the corpus we mean to measure.
inline constexpr size_t kCorpusBytesMax = 64 * 1000 * 1000;

// The concatenation, in bytewise file-name order, of the regular files directly under `dir`
// (symlinks skipped) whose names do not end in ".dat" or ".u8". kNotFound if `dir` is missing or
// holds no such file. Blocks the thread (plain file reads); call it outside fibers.
Result<std::string> ReadFortunesCorpus(const std::string& dir = kFortunesDir);

// The longest prefix of `text` that ends at a line boundary and is at most `max_bytes` long (the
// whole first line if even that is longer).
std::string_view PrefixAtLineBoundary(std::string_view text, size_t max_bytes);

// Words in `text` as the word-count job defines them (scenarios/exactly_once.h ForEachWord), which
// is also the job's count of output records.
int64_t CountWordOccurrences(std::string_view text);

}  // namespace sluice::bench
