// Word count, the main job: a word is a maximal run of ASCII letters and digits, lowercased; every
// other byte separates words. For each occurrence the job emits "word<TAB>n", n being that word's
// running count (kept per key in ValueState<int64_t>), into a two-phase-commit file sink.
//   Source (lines) -> Tokenize (flat_map) ==key_by(word)==> Count (keyed) -> Sink
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "engine/api/chain.h"
#include "engine/jobs/job_spec.h"

namespace sluice {

// Appends the words of `line` (lowercased) to *out.
void TokenizeLine(std::string_view line, Collector<std::string>* out);
// Calls fn(word) for every word of `text`, in order (the reference tokenizer checks use).
template <typename Fn>
void ForEachWord(std::string_view text, Fn&& fn) {
  std::string word;
  for (char c : text) {
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (letter) {
      word.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    } else if (!word.empty()) {
      fn(word);
      word.clear();
    }
  }
  if (!word.empty()) fn(word);
}

JobGraph BuildWordCountGraph(const JobSpec& spec);

}  // namespace sluice
