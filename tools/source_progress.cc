#include "tools/source_progress.h"

#include <algorithm>
#include <map>

#include "tools/cli_common.h"
#include "tools/file_util.h"

namespace sluice::tools {
namespace {

constexpr std::string_view kCategory = "source.progress:";

// The digits after `key` in `text`, if any.
std::optional<int64_t> NumberAfter(std::string_view text, std::string_view key) {
  const size_t at = text.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  const size_t start = at + key.size();
  size_t end = start;
  while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
  auto value = ParseUint64(text.substr(start, end - start), key);
  if (!value.ok() || value.value() > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<int64_t>(value.value());
}

// Folds one log line into `largest` (subtask key → largest records= seen).
void AddLine(std::string_view line, std::map<std::string, int64_t>* largest, bool* found) {
  const size_t at = line.find(kCategory);
  if (at == std::string_view::npos) return;
  const std::string_view message = line.substr(at + kCategory.size());
  const std::optional<int64_t> records = NumberAfter(message, "records=");
  if (!records) return;
  *found = true;
  std::string key;
  if (const std::optional<int64_t> subtask = NumberAfter(message, "subtask=")) {
    key = "subtask " + std::to_string(*subtask);
  } else {
    key = std::string(message.substr(0, message.find("records=")));
  }
  int64_t& best = (*largest)[key];
  best = std::max(best, *records);
}

}  // namespace

std::optional<int64_t> SourceRecordsFromLogText(const std::vector<std::string_view>& logs) {
  std::map<std::string, int64_t> largest;
  bool found = false;
  for (std::string_view log : logs) {
    size_t start = 0;
    while (start < log.size()) {
      size_t end = log.find('\n', start);
      if (end == std::string_view::npos) end = log.size();
      AddLine(log.substr(start, end - start), &largest, &found);
      start = end + 1;
    }
  }
  if (!found) return std::nullopt;
  int64_t total = 0;
  for (const auto& [key, records] : largest) total += records;
  return total;
}

std::optional<int64_t> SourceRecordsFromLogs(const std::vector<std::string>& log_paths) {
  std::vector<std::string> texts;
  for (const std::string& path : log_paths) {
    auto text = ReadWholeFile(path);
    if (text.ok()) texts.push_back(std::move(text).value());
  }
  return SourceRecordsFromLogText(std::vector<std::string_view>(texts.begin(), texts.end()));
}

int64_t CountLinesInFiles(const std::string& dir) {
  auto names = ListRegularFiles(dir);
  if (!names.ok()) return 0;
  int64_t lines = 0;
  for (const std::string& name : names.value()) {
    auto text = ReadWholeFile(dir + "/" + name);
    if (text.ok()) lines += std::count(text->begin(), text->end(), '\n');
  }
  return lines;
}

}  // namespace sluice::tools
