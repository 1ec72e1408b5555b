#include <algorithm>
#include <unordered_map>

#include "engine/base/checksum.h"
#include "scenarios/exactly_once.h"

namespace sluice::scenarios {
namespace {

// Per line: the sum of a 64-bit hash over the line's words (a multiset hash: order-free, and the
// hash of a union of word multisets is the sum).
std::vector<uint64_t> PrefixHashes(const std::string& partition, std::vector<size_t>* line_ends) {
  std::vector<uint64_t> prefix = {0};
  size_t start = 0;
  while (start < partition.size()) {
    size_t end = partition.find('\n', start);
    if (end == std::string::npos) end = partition.size();
    uint64_t sum = 0;
    ForEachWord(std::string_view(partition).substr(start, end - start),
                [&](const std::string& word) { sum += Checksum64(word) | 1; });
    prefix.push_back(prefix.back() + sum);
    line_ends->push_back(std::min(end + 1, partition.size()));
    start = end + 1;
  }
  return prefix;
}

}  // namespace

ConsistentCutReport CheckConsistentCut(const std::vector<std::string>& partitions,
                                       const std::map<std::string, std::string>& output) {
  ConsistentCutReport report;
  // The committed output's counts: the highest n per word (exactly-once below checks the rest).
  std::map<std::string, int64_t> committed;
  uint64_t output_hash = 0;
  for (const auto& [file, contents] : output) {
    ForEachLine(contents, [&](std::string_view line) {
      const size_t tab = line.find('\t');
      if (tab == std::string_view::npos) return;  // CheckExactlyOnce reports it
      const std::string word(line.substr(0, tab));
      int64_t& top = committed[word];
      top = std::max<int64_t>(top, std::atoll(std::string(line.substr(tab + 1)).c_str()));
      output_hash += Checksum64(word) | 1;
    });
  }
  if (partitions.size() != 2) {
    report.first_violation = "consistent-cut check supports two partitions";
    return report;
  }
  std::vector<size_t> ends0, ends1;
  const auto h0 = PrefixHashes(partitions[0], &ends0);
  const auto h1 = PrefixHashes(partitions[1], &ends1);
  std::unordered_map<uint64_t, size_t> by_hash;  // prefix hash of partition 1 → lines
  for (size_t p1 = 0; p1 < h1.size(); ++p1) by_hash.emplace(h1[p1], p1);
  for (size_t p0 = 0; p0 < h0.size(); ++p0) {
    auto it = by_hash.find(output_hash - h0[p0]);
    if (it == by_hash.end()) continue;
    const size_t p1 = it->second;
    std::string cut = partitions[0].substr(0, p0 == 0 ? 0 : ends0[p0 - 1]);
    cut += "\n";  // keeps the last word of one prefix apart from the first of the next
    cut += partitions[1].substr(0, p1 == 0 ? 0 : ends1[p1 - 1]);
    ExactlyOnceReport exact = CheckExactlyOnce(WordCountReference(cut), output);
    if (exact.ok) {
      report.ok = true;
      report.prefix_lines = {static_cast<int64_t>(p0), static_cast<int64_t>(p1)};
      return report;
    }
    report.first_violation = exact.first_violation;
  }
  if (report.first_violation.empty()) {
    report.first_violation = "no prefix of the partitions yields the committed output (" +
                             std::to_string(committed.size()) + " words committed)";
  }
  return report;
}

}  // namespace sluice::scenarios
