#include "tools/exactly_once.h"

#include "scenarios/reference_evaluator.h"

#include <fmt/core.h>


#include "engine/base/assert.h"
#include "tools/cli_common.h"

namespace sluice::tools {
namespace {

bool IsWordByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// The record as the user would grep for it: the tab shown as "\t".
std::string Printable(std::string_view line) {
  std::string out;
  for (char c : line) {
    if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::map<std::string, int64_t> CountWords(std::string_view text) {
  std::map<std::string, int64_t> counts;
  std::string word;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && IsWordByte(text[i])) {
      word.push_back(Lower(text[i]));
    } else if (!word.empty()) {
      ++counts[word];
      word.clear();
    }
  }
  return counts;
}

ExactlyOnceChecker::ExactlyOnceChecker(std::string_view input) {
  for (auto& [word, count] : CountWords(input)) {
    SLUICE_ASSERT(count > 0, "CountWords only lists words it saw");
    words_[word] = Word{count, std::vector<bool>(static_cast<size_t>(count), false)};
    records_expected_ += count;
  }
}

void ExactlyOnceChecker::AddFile(const std::string& file_name, std::string_view contents) {
  int64_t line_number = 0;
  size_t start = 0;
  while (ok() && start < contents.size()) {
    ++line_number;
    const size_t end = contents.find('\n', start);
    if (end == std::string_view::npos) {
      problem_ = fmt::format("torn record '{}' (no newline) at {}:{}",
                             Printable(contents.substr(start)), file_name, line_number);
      return;
    }
    CheckRecord(file_name, line_number, contents.substr(start, end - start));
    start = end + 1;
  }
}

void ExactlyOnceChecker::CheckRecord(const std::string& file_name, int64_t line_number,
                                     std::string_view line) {
  const std::string where = fmt::format("{}:{}", file_name, line_number);
  const size_t tab = line.find('\t');
  if (tab == std::string_view::npos || tab == 0) {
    problem_ = fmt::format("malformed record '{}' at {}", Printable(line), where);
    return;
  }
  const std::string_view word = line.substr(0, tab);
  const std::string_view number = line.substr(tab + 1);
  auto index = ParseUint64(number, "count");
  if (!index.ok() || index.value() == 0 || number[0] == '0') {
    problem_ = fmt::format("malformed record '{}' at {}", Printable(line), where);
    return;
  }
  ++records_;
  auto it = words_.find(word);
  if (it == words_.end()) {
    problem_ = fmt::format("unexpected record '{}' at {}: the input has no word '{}'",
                           Printable(line), where, Printable(word));
    return;
  }
  Word& entry = it->second;
  if (index.value() > static_cast<uint64_t>(entry.count)) {
    problem_ = fmt::format("unexpected record '{}' at {}: the input has '{}' only {} times",
                           Printable(line), where, Printable(word), entry.count);
    return;
  }
  const size_t slot = static_cast<size_t>(index.value() - 1);
  if (entry.seen[slot]) {
    problem_ = fmt::format("duplicate record '{}' at {}", Printable(line), where);
    return;
  }
  entry.seen[slot] = true;
}

void ExactlyOnceChecker::Finish() {
  if (!ok()) return;
  for (const auto& [word, entry] : words_) {
    for (size_t i = 0; i < entry.seen.size(); ++i) {
      if (!entry.seen[i]) {
        problem_ = fmt::format("missing record '{}\\t{}' ({} of {} records committed)",
                               Printable(word), i + 1, records_, records_expected_);
        return;
      }
    }
  }
  SLUICE_ASSERT(records_ == records_expected_,
                "every expected record seen once and nothing else");
}

Result<OutputVerdict> JudgeCommittedOutput(const JobGraph* graph,
                                           const std::vector<std::string>& splits,
                                           const std::map<std::string, std::string>& committed) {
  OutputVerdict verdict;
  if (graph == nullptr) {
    std::string input;
    for (const std::string& split : splits) input += split;
    ExactlyOnceChecker checker(input);
    for (const auto& [name, text] : committed) checker.AddFile(name, text);
    checker.Finish();
    verdict.exactly_once = checker.ok();
    verdict.records = checker.records();
    verdict.expected = checker.records_expected();
    verdict.problem = checker.problem();
    return verdict;
  }
  RETURN_IF_ERROR(scenarios::CheckReferenceSemantics(*graph));
  ASSIGN_OR_RETURN(auto reference, scenarios::EvaluateReference(*graph, splits));
  const scenarios::ReferenceReport report = scenarios::CompareWithReference(reference, committed);
  verdict.exactly_once = report.exact;
  verdict.records = report.records;
  verdict.expected = report.expected;
  verdict.problem = report.first_violation;
  return verdict;
}

}  // namespace sluice::tools
