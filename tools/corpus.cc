#include "tools/corpus.h"

#include <fmt/core.h>

#include <filesystem>
#include <system_error>

#include "tools/file_util.h"

namespace sluice::tools {
namespace {

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Status MissingCorpus(const std::string& dir, const std::string& why) {
  return NotFoundError(fmt::format(
      "the default input, the fortunes corpus at {}, {}; install the Debian package `fortunes` "
      "(tools/setup does: sudo apt-get install fortunes fortunes-min) or pass --input FILE",
      dir, why));
}

}  // namespace

Result<std::string> ReadFortunesCorpus(const std::string& dir) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) return MissingCorpus(dir, "is missing");
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListRegularFiles(dir));
  std::string corpus;
  int files_read = 0;
  for (const std::string& name : names) {
    if (EndsWith(name, ".dat") || EndsWith(name, ".u8")) continue;
    ASSIGN_OR_RETURN(std::string text, ReadWholeFile(dir + "/" + name));
    if (corpus.size() + text.size() > kFileBytesMax) {
      return ResourceExhaustedError(
          fmt::format("the fortunes corpus at {} is larger than {} bytes", dir, kFileBytesMax));
    }
    corpus += text;
    ++files_read;
  }
  if (files_read == 0) return MissingCorpus(dir, "holds no fortune files");
  return corpus;
}

std::string FirstLines(const std::string& text, size_t max_bytes) {
  std::string head = text.substr(0, max_bytes);
  if (!head.empty() && head.back() == '\n') head.pop_back();  // sed's last line ends here
  const size_t last_newline = head.rfind('\n');
  head.resize(last_newline == std::string::npos ? 0 : last_newline + 1);
  return head;
}

Result<std::string> LoadInput(const std::string& input_path) {
  if (input_path.empty()) return ReadFortunesCorpus();
  auto text = ReadWholeFile(input_path);
  if (!text.ok()) return text.status().WithContext("--input");
  return text;
}

}  // namespace sluice::tools
