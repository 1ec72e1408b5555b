// The exactly-once check for word count. Exactly once means: the committed output holds each
// line "w<TAB>i" for 1 <= i <= count(w) exactly once, and nothing else, where count(w) is the
// number of occurrences of w in the input (words as engine/jobs/wordcount.h defines them).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace sluice::scenarios {

struct ExactlyOnceReport {
  bool ok = false;
  std::string first_violation;  // names the offending record and the file it is in
  int64_t records = 0;          // committed output records
  int64_t expected = 0;         // total words of the input
};

std::map<std::string, int64_t> CountWords(std::string_view text);
// `output`: committed file name → contents.
ExactlyOnceReport CheckExactlyOnce(const std::map<std::string, int64_t>& counts,
                                   const std::map<std::string, std::string>& output);

}  // namespace sluice::scenarios
