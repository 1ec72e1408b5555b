// The exactly-once check for word count. Exactly once means: the committed output holds each
// line "w<TAB>i" for 1 <= i <= count(w) exactly once, and nothing else, where count(w) is the
// number of occurrences of w in the input (words as engine/jobs/wordcount.h defines them).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::scenarios {

struct ExactlyOnceReport {
  bool ok = false;
  std::string first_violation;  // names the offending record and the file it is in
  int64_t records = 0;          // committed output records
  int64_t expected = 0;         // total words of the input
};

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
// `output`: committed file name → contents.
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
