#include "engine/jobs/wordcount.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <system_error>

#include "engine/api/data_stream.h"
#include "engine/connectors/line_source.h"
#include "engine/base/assert.h"
#include "engine/config/core_options.h"
#include "engine/connectors/database_sink.h"
#include "engine/connectors/file_sink.h"

namespace sluice {
namespace {
// Per input byte: its lowercase form if it belongs to a word (an ASCII letter or digit), else 0.
// One table load per byte instead of three range checks and a case test: tokenizing is the
// job's per-byte work.
constexpr std::array<char, 256> MakeWordByteTable() {
  std::array<char, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = static_cast<char>(c);
  for (int c = 'a'; c <= 'z'; ++c) table[c] = static_cast<char>(c);
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = static_cast<char>(c - 'A' + 'a');
  return table;
}
constexpr std::array<char, 256> kWordByte = MakeWordByteTable();
static_assert(kWordByte['Q'] == 'q' && kWordByte['7'] == '7' && kWordByte['-'] == 0);

char WordByte(char c) { return kWordByte[static_cast<uint8_t>(c)]; }

// Appends "word<TAB>count" (the sink's format) to *line. Per record, so built in a stack buffer
// and appended once (std::to_string would allocate a temporary, and three appends cost three
// capacity checks); words too long for the buffer take the plain path.
void AppendCountLine(const std::string& word, int64_t count, std::string* line) {
  constexpr size_t kDigitsMax = std::numeric_limits<int64_t>::digits10 + 2;  // + 1 digit, '-'
  constexpr size_t kStackLineBytes = 64;
  char text[kStackLineBytes];
  if (word.size() + 1 + kDigitsMax <= sizeof(text)) {
    std::memcpy(text, word.data(), word.size());
    text[word.size()] = '\t';
    const auto [end, error] = std::to_chars(text + word.size() + 1, text + sizeof(text), count);
    SLUICE_ASSERT(error == std::errc(), "the buffer has room for every int64_t");
    line->append(text, end);
    return;
  }
  char digits[kDigitsMax];
  const auto [end, error] = std::to_chars(digits, digits + sizeof(digits), count);
  SLUICE_ASSERT(error == std::errc(), "the buffer has room for every int64_t");
  line->append(word);
  line->push_back('\t');
  line->append(digits, end);
}

}  // namespace

void TokenizeLine(std::string_view line, Collector<std::string>* out) {
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && WordByte(line[i]) == 0) ++i;
    const size_t start = i;
    while (i < line.size() && WordByte(line[i]) != 0) ++i;
    if (i == start) continue;
    std::string& word = out->Next();
    word.assign(line.data() + start, i - start);
    for (char& c : word) c = WordByte(c);  // lowercase
  }
}

const ConfigOption& SinkPostgresUrl() {
  static const ConfigOption option{
      .key = "sink.postgres.url",
      .type = ConfigType::kString,
      .default_value = "",
      .description = "a PostgreSQL database (libpq's URI) to commit the counts into, exactly "
                     "once, as rows (word, count) of sink.postgres.table; empty: the file sink"};
  return option;
}

const ConfigOption& SinkPostgresTable() {
  static const ConfigOption option{
      .key = "sink.postgres.table",
      .type = ConfigType::kString,
      .default_value = "wordcount",
      .description = "the table (word text, count bigint) sink.postgres.url's rows go into"};
  return option;
}

namespace {

using Count = std::pair<std::string, int64_t>;

// The file sink ("word<TAB>count" lines under the output directory), or with sink.postgres.url
// the database sink (rows word, count).
Sink<Count> WordCountSink(const Configuration& settings, const std::string& output_dir) {
  const std::string url = settings.GetString(SinkPostgresUrl());
  if (url.empty()) {
    return MakeFileSink<Count>(FileSinkSpec{output_dir}, [](const Count& c, std::string* line) {
      AppendCountLine(c.first, c.second, line);
    });
  }
  return MakeDatabaseSink<Count>(
      DatabaseSinkSpec{url, settings.GetString(SinkPostgresTable())},
      [](const Count& c, std::vector<std::string>* row) {
        row->push_back(c.first);
        row->push_back(std::to_string(c.second));
      });
}

}  // namespace

Result<JobGraph> BuildWordCountGraph(const JobContext& context) {
  const int splits = context.input_splits;
  const int parallelism = context.DefaultParallelism();
  StreamEnvironment env("wordcount",
                        MaxParallelismFor(context.settings, std::max(splits, parallelism)));
  env.SetParallelism(parallelism);
  const SourceSpec source{context.input_dir, context.settings.GetInt(SourceRateLimit())};
  // A reader per input split, at most parallelism.default of them (fewer read several splits
  // in turn, as the enumerator hands them out).
  const int sources = std::min(splits, parallelism);
  env.AddSource("Source", LineSource(source), sources)
      .FlatMap<std::string>(
          "Tokenize",
          [](const std::string& line, Collector<std::string>& out) { TokenizeLine(line, &out); })
      .SetParallelism(sources)  // chained to its source
      .KeyBy([](const std::string& word) { return std::string_view(word); })
      .Process<int64_t, Count>(
          "Count",
          [](const std::string& word, ValueState<int64_t>& count, Collector<Count>& out) {
            count.update(count.value() + 1);
            Count& next = out.Next();
            next.first = word;
            next.second = count.value();
          })
      .AddSink("Sink", WordCountSink(context.settings, context.output_dir));
  return env.Build();
}

Status RegisterWordCount(JobRegistry& jobs) {
  return jobs.Register(JobDefinition{
      .name = "wordcount",
      .description = "running count of every word of the input lines, into a file sink "
                     "(or a PostgreSQL table: sink.postgres.url)",
      .options = {SinkPostgresUrl(), SinkPostgresTable()},
      .default_settings = {{"parallelism.default", "4"}},
      .build = BuildWordCountGraph});
}

}  // namespace sluice
