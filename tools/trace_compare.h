// `sluice sim run --check-determinism`: the lines of two runs' traces (ScenarioOptions::trace_sink)
// and where they first differ. Single-threaded; never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::tools {

// Most bytes of line text one recorder keeps; past it only the lines' hashes are kept, so a huge
// trace still compares (the report then cannot quote lines past the bound).
inline constexpr size_t kTraceTextBytesMax = size_t{512} << 20;

// Records every line a run's trace sink receives: a 64-bit hash of each line, and the text of the
// lines while the text kept stays within `text_bytes_max`.
class TraceRecorder {
 public:
  explicit TraceRecorder(size_t text_bytes_max = kTraceTextBytesMax)
      : text_bytes_max_(text_bytes_max) {}
  TraceRecorder(const TraceRecorder&) = delete;
  TraceRecorder& operator=(const TraceRecorder&) = delete;

  void Add(std::string_view line);
  // A sink for ScenarioOptions::trace_sink that calls Add; `*this` must outlive the run.
  std::function<void(std::string_view)> Sink();

  size_t size() const { return hashes_.size(); }
  uint64_t LineHash(size_t index) const { return hashes_.at(index); }
  // The text of line `index`, or nullopt if it was past the text bound.
  std::optional<std::string_view> Line(size_t index) const;

 private:
  size_t text_bytes_max_;
  std::vector<uint64_t> hashes_;
  std::string text_;               // the kept lines, back to back
  std::vector<size_t> line_ends_;  // end offset in text_ of each kept line (a prefix of hashes_)
};

// The index of the first line that differs between `a` and `b` (when one trace is a prefix of the
// other, the index where the shorter one ends); nullopt when both have the same lines.
std::optional<size_t> FirstDifference(const TraceRecorder& a, const TraceRecorder& b);

// A report of the first difference at `index`: the index, up to `context_lines` common lines
// before it, both runs' versions of the line, and up to `context_lines` lines after it in each.
std::string DescribeDifference(const TraceRecorder& a, const TraceRecorder& b, size_t index,
                               size_t context_lines);

}  // namespace sluice::tools
