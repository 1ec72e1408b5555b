// The job input the CLI hands to word count: a file named with --input, or else the fortunes
// corpus (Debian packages `fortunes` and `fortunes-min`).
#pragma once

#include <string>

#include "engine/base/status.h"

namespace sluice::tools {

inline constexpr char kFortunesDir[] = "/usr/share/games/fortunes";

// The fortunes corpus under `dir`: the concatenation, in bytewise file-name order, of the regular
// files directly under `dir` (symlinks are skipped) whose names do not end in ".dat" or ".u8".
// kNotFound telling the user to install `fortunes` if `dir` is missing or holds no such file.
Result<std::string> ReadFortunesCorpus(const std::string& dir = kFortunesDir);

// What tools/make_sim_input.sh writes from `text`: its first `max_bytes` bytes without their last
// line (whole or cut: `head -c max_bytes | sed '$d'`). The CI sweeps and the regression schedules
// (scenarios/regressions/) run on FirstLines(corpus, 300000).
std::string FirstLines(const std::string& text, size_t max_bytes);

// `input_path`'s bytes, or the fortunes corpus when `input_path` is empty. Errors name the file
// ("--input 'x': ...") or the corpus directory.
Result<std::string> LoadInput(const std::string& input_path);

}  // namespace sluice::tools
