// The exactly-once check for word count. Exactly once means: the committed output holds each
// line "w<TAB>i" for 1 <= i <= count(w) exactly once, and nothing else, where count(w) is the
// number of occurrences of w in the input. Words are defined here again, independently of the
// engine's tokenizer (engine/jobs/wordcount.cc), so that a bug there cannot hide from the check:
// a word is a maximal run of ASCII letters and digits, lowercased.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/state/string_key_table.h"

namespace sluice::scenarios {

struct ExactlyOnceReport {
  bool ok = false;
  // No record is duplicated or unexpected (records may be missing): what a job that ended FAILED
  // after losing data must still hold.
  bool at_most_once = false;
  std::string first_violation;  // names the offending record and the file it is in
  int64_t records = 0;          // committed output records
  int64_t expected = 0;         // total words of the input
};

// Calls fn(word) for every word of `text`, in order (the oracle's own tokenizer).
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

std::map<std::string, int64_t> CountWords(std::string_view text);

// Calls fn(line) for every '\n'-separated line of `text` (a last line without '\n' counts).
template <typename Fn>
void ForEachLine(std::string_view text, Fn&& fn) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    fn(text.substr(start, end - start));
    start = end + 1;
  }
}

// What exactly-once output of word count over one input is: each word's count. Counting a large
// input costs about as much as checking an output against it, so a caller that checks many runs
// of one input (a sweep's seeds, shrink's candidates, the benchmark's iterations) builds one
// reference and passes it to every check (ScenarioOptions::expected_counts). Immutable once
// built: any number of checks may read it, one after another or from forked processes. Pure
// logic; never suspends.
class WordCountReference {
 public:
  // Counts the words of `text` (ForEachWord) and remembers which text it was
  // (CountedFrom).
  explicit WordCountReference(std::string_view text);
  // From counts made elsewhere (each >= 0). CountedFrom is false for every text.
  explicit WordCountReference(const std::map<std::string, int64_t>& counts);

  // Whether this reference counted exactly `text`: same length and XXH64 (one pass over the
  // bytes, far cheaper than a recount). Callers check it before trusting a reference they were
  // handed for `text`.
  bool CountedFrom(std::string_view text) const;
  // Occurrences of `word` in the input; 0 for a word it lacks.
  int64_t Count(std::string_view word) const;
  size_t distinct_words() const { return words_.size(); }
  int64_t total_words() const { return total_words_; }

 private:
  friend ExactlyOnceReport CheckExactlyOnce(const WordCountReference& expected,
                                            const std::map<std::string, std::string>& output);
  friend struct AtLeastOnceReport CheckAtLeastOnce(
      const WordCountReference& expected, const std::map<std::string, std::string>& output,
      bool complete);
  struct Expected {
    int64_t count = 0;
    int64_t first_mark = 0;  // record "word<TAB>i" is mark first_mark + i - 1 of a check
  };
  void AssignMarks();

  StringKeyTable<Expected> words_;  // in first-occurrence order; no iteration order reaches output
  int64_t total_words_ = 0;
  bool counted_from_text_ = false;
  size_t text_bytes_ = 0;
  uint64_t text_checksum_ = 0;  // Checksum64 of the text counted
};

// `output`: committed file name → contents. The first violation is the first offending record in
// file-name order, then line order; or, if every record is expected and unique, the missing record
// whose word sorts first (its lowest missing count). `expected` is only read.
ExactlyOnceReport CheckExactlyOnce(const WordCountReference& expected,
                                   const std::map<std::string, std::string>& output);
// At least once (execution.checkpointing.mode AT_LEAST_ONCE): a restore replays the records
// that followed a barrier on channels that delivered it early, so a word's running count may be
// emitted twice and overshoot, but never skip. The committed output must hold, for each word, the
// lines "w<TAB>i" for every i in 1..M(w) (each at least once) and nothing else, where
// M(w) >= count(w) if `complete` (a FINISHED job: nothing lost) and M(w) >= 0 otherwise (a FAILED
// job: a prefix of each word's counts, no gap). `duplicates` counts lines beyond the first of
// each value.
struct AtLeastOnceReport {
  bool ok = false;
  std::string first_violation;  // names the offending record (and its file) or word
  int64_t records = 0;
  int64_t duplicates = 0;
};
AtLeastOnceReport CheckAtLeastOnce(const WordCountReference& expected,
                                   const std::map<std::string, std::string>& output,
                                   bool complete);

// The same against counts made elsewhere (builds a WordCountReference from them first).
ExactlyOnceReport CheckExactlyOnce(const std::map<std::string, int64_t>& counts,
                                   const std::map<std::string, std::string>& output);

}  // namespace sluice::scenarios

namespace sluice::scenarios {

struct ConsistentCutReport {
  bool ok = false;
  std::string first_violation;
  std::vector<int64_t> prefix_lines;  // lines of each partition in the cut found
};

// For a job that ended FAILED: the committed output must be exactly the word-count output of one
// consistent cut of the input, i.e. of the first p_i lines of every partition i, for some p_i.
// Found by matching a separable multiset hash of the cut's words against the output's, then
// verified exactly (two partitions; more partitions are searched the same way pairwise).
ConsistentCutReport CheckConsistentCut(const std::vector<std::string>& partitions,
                                       const std::map<std::string, std::string>& output);

}  // namespace sluice::scenarios
