#include "tools/log_scan.h"

#include <algorithm>
#include <map>
#include <utility>

#include "tools/cli_common.h"
#include "tools/file_util.h"

namespace sluice::tools {
namespace {

// Categories and count keys accepted: the TaskManager logs "source.position: chain0[1]@a0 lines=N"
// at every checkpoint; "source.progress ... records=N" is accepted too.
constexpr std::string_view kCategories[] = {"source.position:", "source.progress:"};
constexpr std::string_view kCountKeys[] = {"lines=", "records="};

// The digits right after `key` in `text`, if any.
std::optional<int64_t> NumberAfter(std::string_view text, std::string_view key, size_t* at_out) {
  const size_t at = text.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  const size_t start = at + key.size();
  size_t end = start;
  while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
  auto value = ParseUint64(text.substr(start, end - start), key);
  if (!value.ok() || value.value() > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  if (at_out != nullptr) *at_out = at;
  return static_cast<int64_t>(value.value());
}

// Which source subtask a message is about: "subtask=<i>" if given, else the text before the count
// without an execution-attempt suffix ("chain0[1]@a2 " → "chain0[1]"), since counts run from the
// start of the partition across attempts.
std::string SubtaskKey(std::string_view message, size_t count_at) {
  if (auto subtask = NumberAfter(message, "subtask=", nullptr)) {
    return "subtask=" + std::to_string(*subtask);
  }
  std::string_view key = message.substr(0, count_at);
  while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
  const size_t attempt = key.rfind("@a");
  if (attempt != std::string_view::npos) key = key.substr(0, attempt);
  while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
  return std::string(key);
}

// Folds one log line into `largest` (subtask key → largest count seen).
void AddLine(std::string_view line, std::map<std::string, int64_t>* largest, bool* found) {
  for (std::string_view category : kCategories) {
    const size_t at = line.find(category);
    if (at == std::string_view::npos) continue;
    const std::string_view message = line.substr(at + category.size());
    for (std::string_view count_key : kCountKeys) {
      size_t count_at = 0;
      const std::optional<int64_t> count = NumberAfter(message, count_key, &count_at);
      if (!count) continue;
      *found = true;
      int64_t& best = (*largest)[SubtaskKey(message, count_at)];
      best = std::max(best, *count);
      return;
    }
  }
}

// Calls `on_line` for each line of `log` (without its '\n').
template <typename OnLine>
void ForEachLine(std::string_view log, OnLine on_line) {
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    if (end == std::string_view::npos) end = log.size();
    on_line(log.substr(start, end - start));
    start = end + 1;
  }
}

std::vector<std::string> ReadReadableLogs(const std::vector<std::string>& log_paths) {
  std::vector<std::string> texts;
  for (const std::string& path : log_paths) {
    auto text = ReadWholeFile(path);
    if (text.ok()) texts.push_back(std::move(text).value());
  }
  return texts;
}

// "jobmanager.elected: <holder> epoch <E>" in one line, if it is such an event.
std::optional<Election> ParseElection(std::string_view line) {
  constexpr std::string_view kCategory = " jobmanager.elected: ";
  constexpr std::string_view kEpoch = " epoch ";
  const size_t at = line.find(kCategory);
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view message = line.substr(at + kCategory.size());
  const size_t epoch_at = message.rfind(kEpoch);
  if (epoch_at == std::string_view::npos || epoch_at == 0) return std::nullopt;
  auto epoch = ParseUint64(message.substr(epoch_at + kEpoch.size()), "epoch");
  if (!epoch.ok() || epoch.value() > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return Election{std::string(message.substr(0, epoch_at)), static_cast<int64_t>(epoch.value())};
}

}  // namespace

std::optional<int64_t> SourceRecordsFromLogText(const std::vector<std::string_view>& logs) {
  std::map<std::string, int64_t> largest;
  bool found = false;
  for (std::string_view log : logs) {
    ForEachLine(log, [&](std::string_view line) { AddLine(line, &largest, &found); });
  }
  if (!found) return std::nullopt;
  int64_t total = 0;
  for (const auto& [key, records] : largest) total += records;
  return total;
}

std::optional<int64_t> SourceRecordsFromLogs(const std::vector<std::string>& log_paths) {
  const std::vector<std::string> texts = ReadReadableLogs(log_paths);
  return SourceRecordsFromLogText(std::vector<std::string_view>(texts.begin(), texts.end()));
}

std::optional<Election> LatestElectionInLogText(const std::vector<std::string_view>& logs) {
  std::optional<Election> latest;
  for (std::string_view log : logs) {
    ForEachLine(log, [&latest](std::string_view line) {
      std::optional<Election> election = ParseElection(line);
      if (election && (!latest || election->epoch > latest->epoch)) latest = std::move(election);
    });
  }
  return latest;
}

std::optional<Election> LatestElectionInLogs(const std::vector<std::string>& log_paths) {
  const std::vector<std::string> texts = ReadReadableLogs(log_paths);
  return LatestElectionInLogText(std::vector<std::string_view>(texts.begin(), texts.end()));
}

int CountEvents(std::string_view log, std::string_view category) {
  const std::string needle = " " + std::string(category) + ": ";
  int found = 0;
  for (size_t at = log.find(needle); at != std::string_view::npos;
       at = log.find(needle, at + needle.size())) {
    ++found;
  }
  return found;
}

int RunningTasksInLog(std::string_view log) {
  return CountEvents(log, "task.running") - CountEvents(log, "task.finished") -
         CountEvents(log, "task.failed");
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
