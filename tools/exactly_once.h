// The exactly-once check of `sluice cluster local wordcount`, computed independently of the
// engine: the input's words are recounted here (a word is a maximal run of ASCII letters and
// digits, lowercased), and the committed output must hold `word<TAB>i` exactly once for every
// word and every 1 <= i <= count(word), and nothing else. Pure logic; never suspends.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "engine/graph/job_graph.h"

namespace sluice::tools {

// A run's committed output (file name -> contents) judged against its input splits (the files
// part-0, part-1, ... in order): with `graph` null by word count's oracle (ExactlyOnceChecker over
// the splits' concatenation), otherwise by the reference evaluator
// (scenarios/reference_evaluator.h). kInvalidArgument if an operator of `graph` has no reference
// semantics.
struct OutputVerdict {
  bool exactly_once = false;
  int64_t records = 0;   // committed
  int64_t expected = 0;  // what the input makes
  std::string problem;   // the first violation, "" if exactly once
};
Result<OutputVerdict> JudgeCommittedOutput(const JobGraph* graph,
                                           const std::vector<std::string>& splits,
                                           const std::map<std::string, std::string>& committed);

// Occurrences of each word of `text`.
std::map<std::string, int64_t> CountWords(std::string_view text);

class ExactlyOnceChecker {
 public:
  explicit ExactlyOnceChecker(std::string_view input);

  // Checks one committed output file (one record per line, each ending in '\n'). After the first
  // problem the checker ignores further input.
  void AddFile(const std::string& file_name, std::string_view contents);
  // Checks that nothing is missing. Call once, after every AddFile.
  void Finish();

  bool ok() const { return problem_.empty(); }
  // The first offending record and where it was, or "" when ok().
  const std::string& problem() const { return problem_; }
  int64_t records() const { return records_; }
  int64_t records_expected() const { return records_expected_; }

 private:
  void CheckRecord(const std::string& file_name, int64_t line_number, std::string_view line);

  struct Word {
    int64_t count = 0;
    std::vector<bool> seen;  // seen[i - 1]: "word<TAB>i" was committed
  };
  std::map<std::string, Word, std::less<>> words_;
  int64_t records_ = 0;
  int64_t records_expected_ = 0;
  std::string problem_;
};

}  // namespace sluice::tools
