#include "engine/jobs/wordcount.h"

#include "engine/api/data_stream.h"
#include "engine/connectors/file_sink.h"

namespace sluice {
namespace {
bool IsWordByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
}  // namespace

void TokenizeLine(std::string_view line, Collector<std::string>* out) {
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && !IsWordByte(line[i])) ++i;
    const size_t start = i;
    while (i < line.size() && IsWordByte(line[i])) ++i;
    if (i == start) continue;
    std::string& word = out->Next();
    word.assign(line.data() + start, i - start);
    for (char& c : word) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
  }
}

JobGraph BuildWordCountGraph(const JobSpec& spec) {
  StreamEnvironment env("wordcount", spec.max_parallelism);
  using Count = std::pair<std::string, int64_t>;
  env.AddLineSource("Source", SourceSpec{spec.input_dir, spec.source_records_per_second},
                    spec.source_parallelism)
      .FlatMap<std::string>(
          "Tokenize",
          [](const std::string& line, Collector<std::string>& out) { TokenizeLine(line, &out); })
      .KeyBy([](const std::string& word) { return std::string_view(word); })
      .Process<int64_t, Count>(
          "Count", spec.parallelism,
          [](const std::string& word, ValueState<int64_t>& count, Collector<Count>& out) {
            count.update(count.value() + 1);
            Count& next = out.Next();
            next.first = word;
            next.second = count.value();
          })
      .AddSink("Sink", MakeFileSink<Count>(FileSinkSpec{spec.output_dir},
                                           [](const Count& c, std::string* line) {
                                             line->append(c.first);
                                             line->push_back('\t');
                                             line->append(std::to_string(c.second));
                                           }));
  return env.graph();
}

}  // namespace sluice
