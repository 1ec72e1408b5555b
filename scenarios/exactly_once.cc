#include "scenarios/exactly_once.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/checksum.h"

namespace sluice::scenarios {

std::map<std::string, int64_t> CountWords(std::string_view text) {
  // Count in a hash table (fast), return an ordered map (deterministic iteration).
  std::unordered_map<std::string, int64_t> counts;
  ForEachWord(text, [&](const std::string& word) { ++counts[word]; });
  return std::map<std::string, int64_t>(counts.begin(), counts.end());
}

WordCountReference::WordCountReference(std::string_view text)
    : counted_from_text_(true), text_bytes_(text.size()), text_checksum_(Checksum64(text)) {
  bool inserted = false;
  ForEachWord(text, [&](const std::string& word) {
    ++words_.value(words_.FindOrInsert(word, &inserted)).count;
  });
  AssignMarks();
}

WordCountReference::WordCountReference(const std::map<std::string, int64_t>& counts) {
  bool inserted = false;
  for (const auto& [word, count] : counts) {
    SLUICE_ASSERT(count >= 0, "a word occurs a non-negative number of times");
    words_.value(words_.FindOrInsert(word, &inserted)).count = count;
    SLUICE_ASSERT(inserted, "std::map keys are unique");
  }
  AssignMarks();
}

void WordCountReference::AssignMarks() {
  total_words_ = 0;
  for (StringKeyTable<Expected>::Index i = 0; i < words_.size(); ++i) {
    Expected& expected = words_.value(i);
    expected.first_mark = total_words_;
    total_words_ += expected.count;
  }
}

bool WordCountReference::CountedFrom(std::string_view text) const {
  return counted_from_text_ && text.size() == text_bytes_ && Checksum64(text) == text_checksum_;
}

int64_t WordCountReference::Count(std::string_view word) const {
  const auto index = words_.Find(word);
  return index == StringKeyTable<Expected>::kNotFound ? 0 : words_.value(index).count;
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

ExactlyOnceReport CheckExactlyOnce(const WordCountReference& expected,
                                   const std::map<std::string, std::string>& output) {
  using Table = StringKeyTable<WordCountReference::Expected>;
  const Table& words = expected.words_;
  ExactlyOnceReport report;
  report.expected = expected.total_words_;
  // One mark per expected record, "word<TAB>i" at words[word].first_mark + i - 1.
  std::vector<bool> marks(static_cast<size_t>(expected.total_words_), false);
  int64_t marked = 0;
  for (const auto& [file, contents] : output) {
    ForEachLine(contents, [&](std::string_view line) {
      ++report.records;
      if (!report.first_violation.empty()) return;  // only the first one is reported
      std::string_view word;
      int64_t n = 0;
      const Table::Index index = ParseRecord(line, &word, &n) ? words.Find(word) : Table::kNotFound;
      if (index == Table::kNotFound) {
        report.first_violation = "unexpected record '" + std::string(line) + "' (in " + file + ")";
        return;
      }
      const WordCountReference::Expected& entry = words.value(index);
      if (n < 1 || n > entry.count) {
        report.first_violation = "record '" + std::string(line) + "' exceeds the word's count " +
                                 std::to_string(entry.count) + " (in " + file + ")";
        return;
      }
      const auto mark = static_cast<size_t>(entry.first_mark + n - 1);
      if (marks[mark]) {
        report.first_violation = "duplicate record '" + std::string(line) + "' (in " + file + ")";
        return;
      }
      marks[mark] = true;
      ++marked;
    });
  }
  // Every record expected and unique (some may be missing): nothing was committed twice.
  report.at_most_once = report.first_violation.empty();
  if (report.first_violation.empty() && marked < expected.total_words_) {
    // Every record was expected and unique, so some are missing: report the first word in sorted
    // order that misses one (insertion order must not decide what the message names).
    Table::Index first = Table::kNotFound;
    int64_t first_missing = 0;
    for (Table::Index i = 0; i < words.size(); ++i) {
      if (first != Table::kNotFound && words.key(i) >= words.key(first)) continue;
      const WordCountReference::Expected& entry = words.value(i);
      for (int64_t n = 1; n <= entry.count; ++n) {
        if (marks[static_cast<size_t>(entry.first_mark + n - 1)]) continue;
        first = i;
        first_missing = n;
        break;
      }
    }
    SLUICE_ASSERT(first != Table::kNotFound, "fewer marks than records means one is unmarked");
    report.first_violation =
        "missing record '" + words.key(first) + "\t" + std::to_string(first_missing) + "'";
  }
  SLUICE_ASSERT(!report.first_violation.empty() || marked == expected.total_words_,
                "a clean pass marked every expected record");
  report.ok = report.first_violation.empty();
  return report;
}

AtLeastOnceReport CheckAtLeastOnce(const WordCountReference& expected,
                                   const std::map<std::string, std::string>& output,
                                   bool complete) {
  using Table = StringKeyTable<WordCountReference::Expected>;
  const Table& words = expected.words_;
  AtLeastOnceReport report;
  std::vector<std::vector<int64_t>> values(words.size());  // by word index: committed counts
  for (const auto& [file, contents] : output) {
    ForEachLine(contents, [&](std::string_view line) {
      ++report.records;
      if (!report.first_violation.empty()) return;
      std::string_view word;
      int64_t n = 0;
      const Table::Index index = ParseRecord(line, &word, &n) ? words.Find(word) : Table::kNotFound;
      if (index == Table::kNotFound || n < 1) {
        report.first_violation = "unexpected record '" + std::string(line) + "' (in " + file + ")";
        return;
      }
      values[index].push_back(n);
    });
  }
  if (!report.first_violation.empty()) return report;
  // The first word in sorted order with a gap (or, complete, too low a count) is reported.
  Table::Index first = Table::kNotFound;
  std::string violation;
  for (Table::Index i = 0; i < words.size(); ++i) {
    std::vector<int64_t>& seen = values[i];
    std::sort(seen.begin(), seen.end());
    const int64_t distinct = std::unique(seen.begin(), seen.end()) - seen.begin();
    report.duplicates += static_cast<int64_t>(seen.size()) - distinct;
    if (first != Table::kNotFound && words.key(i) >= words.key(first)) continue;
    const int64_t highest = distinct == 0 ? 0 : seen[distinct - 1];
    const int64_t needed = complete ? words.value(i).count : 0;
    if (highest != distinct) {
      int64_t missing = 1;
      while (missing <= distinct && seen[missing - 1] == missing) ++missing;
      violation = "missing record '" + words.key(i) + "\t" + std::to_string(missing) +
                  "' below the committed count " + std::to_string(highest);
    } else if (highest < needed) {
      violation = "missing record '" + words.key(i) + "\t" + std::to_string(highest + 1) +
                  "': the word occurs " + std::to_string(needed) + " times";
    } else {
      continue;
    }
    first = i;
  }
  report.first_violation = violation;
  report.ok = violation.empty();
  return report;
}

ExactlyOnceReport CheckExactlyOnce(const std::map<std::string, int64_t>& counts,
                                   const std::map<std::string, std::string>& output) {
  return CheckExactlyOnce(WordCountReference(counts), output);
}

}  // namespace sluice::scenarios
