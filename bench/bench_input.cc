#include "bench/bench_input.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include "scenarios/exactly_once.h"

namespace sluice::bench {
namespace {

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

Result<std::vector<std::string>> ListCorpusFiles(const std::string& dir) {
  std::error_code error;
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_symlink(error) || !entry.is_regular_file(error)) continue;
    if (EndsWith(name, ".dat") || EndsWith(name, ".u8")) continue;
    names.push_back(name);
  }
  if (error) return NotFoundError("cannot list " + dir + ": " + error.message());
  std::sort(names.begin(), names.end());  // bytewise: std::string's operator<
  return names;
}

}  // namespace

Result<std::string> ReadFortunesCorpus(const std::string& dir) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    return NotFoundError("the fortunes corpus " + dir +
                         " is missing (sudo apt-get install fortunes fortunes-min)");
  }
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListCorpusFiles(dir));
  if (names.empty()) return NotFoundError(dir + " holds no fortune files");
  std::string corpus;
  for (const std::string& name : names) {
    std::ifstream file(dir + "/" + name, std::ios::binary);
    if (!file) return IoError("cannot open " + dir + "/" + name);
    std::ostringstream contents;
    contents << file.rdbuf();
    corpus += contents.str();
    if (corpus.size() > kCorpusBytesMax) {
      return ResourceExhaustedError(dir + " holds more than " + std::to_string(kCorpusBytesMax) +
                                    " bytes");
    }
  }
  return corpus;
}

std::string_view PrefixAtLineBoundary(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  if (max_bytes > 0) {
    const size_t last_newline = text.rfind('\n', max_bytes - 1);
    if (last_newline != std::string_view::npos) return text.substr(0, last_newline + 1);
  }
  const size_t first_newline = text.find('\n');
  return first_newline == std::string_view::npos ? text : text.substr(0, first_newline + 1);
}

int64_t CountWordOccurrences(std::string_view text) {
  int64_t words = 0;
  scenarios::ForEachWord(text, [&words](const std::string&) { ++words; });
  return words;
}

}  // namespace sluice::bench
