#include "tools/trace_compare.h"

#include <fmt/core.h>

#include <algorithm>

#include "engine/base/assert.h"

namespace sluice::tools {
namespace {

// FNV-1a, 64 bits: stable across platforms and standard libraries (std::hash is not).
uint64_t HashLine(std::string_view line) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : line) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string QuoteLine(const TraceRecorder& trace, size_t index) {
  if (index >= trace.size()) return "(end of trace)";
  const std::optional<std::string_view> line = trace.Line(index);
  if (!line.has_value()) {
    return fmt::format("(text not kept: the trace passed {} MiB; line hash {:016x})",
                       kTraceTextBytesMax >> 20, trace.LineHash(index));
  }
  std::string_view text = *line;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  return std::string(text);
}

}  // namespace

void TraceRecorder::Add(std::string_view line) {
  hashes_.push_back(HashLine(line));
  // Keep text only while every earlier line's text was kept, so line_ends_ stays a prefix.
  if (line_ends_.size() + 1 == hashes_.size() && text_.size() + line.size() <= text_bytes_max_) {
    text_.append(line);
    line_ends_.push_back(text_.size());
  }
  SLUICE_ASSERT(line_ends_.size() <= hashes_.size(), "every kept line end has its hash");
}

std::function<void(std::string_view)> TraceRecorder::Sink() {
  return [this](std::string_view line) { Add(line); };
}

std::optional<std::string_view> TraceRecorder::Line(size_t index) const {
  if (index >= line_ends_.size()) return std::nullopt;
  const size_t begin = index == 0 ? 0 : line_ends_[index - 1];
  SLUICE_ASSERT(begin <= line_ends_[index], "a line starts before it ends");
  return std::string_view(text_).substr(begin, line_ends_[index] - begin);
}

std::optional<size_t> FirstDifference(const TraceRecorder& a, const TraceRecorder& b) {
  const size_t common = std::min(a.size(), b.size());
  for (size_t i = 0; i < common; ++i) {
    if (a.LineHash(i) != b.LineHash(i)) return i;
    // Equal hashes: compare the text too where both kept it (a collision is unlikely, not
    // impossible).
    const auto line_a = a.Line(i);
    const auto line_b = b.Line(i);
    if (line_a.has_value() && line_b.has_value() && *line_a != *line_b) return i;
  }
  if (a.size() != b.size()) return common;
  return std::nullopt;
}

std::string DescribeDifference(const TraceRecorder& a, const TraceRecorder& b, size_t index,
                               size_t context_lines) {
  std::string report = fmt::format(
      "first differing trace line: index {} (counted from 0; run 1 has {} lines, run 2 has {})\n",
      index, a.size(), b.size());
  const size_t first_context = index > context_lines ? index - context_lines : 0;
  if (first_context < index) report += "  lines before it (the same in both runs):\n";
  for (size_t i = first_context; i < index; ++i) {
    report += fmt::format("    [{}] {}\n", i, QuoteLine(a, i));
  }
  for (int run = 1; run <= 2; ++run) {
    const TraceRecorder& trace = run == 1 ? a : b;
    report += fmt::format("  run {}:\n  > [{}] {}\n", run, index, QuoteLine(trace, index));
    const size_t last = std::min(trace.size(), index + 1 + context_lines);
    for (size_t i = index + 1; i < last; ++i) {
      report += fmt::format("    [{}] {}\n", i, QuoteLine(trace, i));
    }
  }
  return report;
}

}  // namespace sluice::tools
