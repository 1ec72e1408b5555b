#include "scenarios/exactly_once.h"

#include <unordered_map>
#include <vector>

#include "engine/jobs/wordcount.h"
#include "engine/state/keyed_state.h"

namespace sluice::scenarios {

std::map<std::string, int64_t> CountWords(std::string_view text) {
  // Count in a hash table (fast), return an ordered map (deterministic iteration).
  std::unordered_map<std::string, int64_t> counts;
  ForEachWord(text, [&](const std::string& word) { ++counts[word]; });
  return std::map<std::string, int64_t>(counts.begin(), counts.end());
}

namespace {
bool ParseRecord(std::string_view line, std::string_view* word, int64_t* n) {
  const size_t tab = line.find('\t');
  if (tab == std::string_view::npos || tab == 0 || tab + 1 >= line.size()) return false;
  *word = line.substr(0, tab);
  int64_t value = 0;
  for (char c : line.substr(tab + 1)) {
    if (c < '0' || c > '9' || value > (INT64_MAX - 9) / 10) return false;
    value = value * 10 + (c - '0');
  }
  *n = value;
  return true;
}
}  // namespace

ExactlyOnceReport CheckExactlyOnce(const std::map<std::string, int64_t>& counts,
                                   const std::map<std::string, std::string>& output) {
  ExactlyOnceReport report;
  for (const auto& [word, count] : counts) report.expected += count;
  // Looked up per record, so a hash table; only the ordered `counts` is ever iterated.
  std::unordered_map<std::string, std::vector<bool>, TransparentStringHash, std::equal_to<>> seen;
  for (const auto& [word, count] : counts) seen[word].assign(count + 1, false);
  auto fail = [&](const std::string& why) {
    if (report.first_violation.empty()) report.first_violation = why;
  };
  for (const auto& [file_name, contents] : output) {
    const std::string& file = file_name;
    ForEachLine(contents, [&](std::string_view line) {
      ++report.records;
      std::string_view word;
      int64_t n = 0;
      auto it = ParseRecord(line, &word, &n) ? seen.find(word) : seen.end();
      if (it == seen.end()) {
        fail("unexpected record '" + std::string(line) + "' (in " + file + ")");
      } else if (n < 1 || n >= static_cast<int64_t>(it->second.size())) {
        fail("record '" + std::string(line) + "' exceeds the word's count " +
             std::to_string(it->second.size() - 1) + " (in " + file + ")");
      } else if (it->second[n]) {
        fail("duplicate record '" + std::string(line) + "' (in " + file + ")");
      } else {
        it->second[n] = true;
      }
    });
  }
  for (const auto& [word, count] : counts) {
    const std::vector<bool>& marks = seen.find(word)->second;
    for (size_t i = 1; i < marks.size() && report.first_violation.empty(); ++i) {
      if (!marks[i]) fail("missing record '" + word + "\t" + std::to_string(i) + "'");
    }
  }
  report.ok = report.first_violation.empty();
  return report;
}

}  // namespace sluice::scenarios
