#include "engine/connectors/line_source.h"

#include <algorithm>
#include <memory>

#include "engine/base/bytes.h"
#include "engine/base/assert.h"
#include "engine/base/serializer.h"
#include "engine/graph/split_enumerators.h"

namespace sluice {
namespace {

class LineSplitReader final : public SplitReader {
 public:
  LineSplitReader(Host& host, const std::string& input_root, std::string path,
                  BatchConsumer<std::string>* output)
      : reader_(host, input_root, std::move(path)), output_(output) {}
  Status Open(std::string_view restored) override { return reader_.Open(restored); }
  Result<size_t> Fetch(size_t max_records) override {
    lines_.Clear();
    ASSIGN_OR_RETURN(bool more, reader_.ReadBatch(&lines_, max_records));
    return more ? lines_.size() : size_t{0};
  }
  Status EmitFetched() override {
    return lines_.size() == 0 ? Status::Ok() : output_->Consume(lines_.view(), {});
  }
  bool exhausted() const override { return reader_.exhausted(); }
  void Snapshot(std::string* out) const override { reader_.Snapshot(out); }

 private:
  LineSourceReader reader_;
  BatchConsumer<std::string>* output_;
  Collector<std::string> lines_;
};

// Emits the lines of `text` as Serializer<std::string> records.
void EmitLines(std::string_view text, const ReferenceEmit& emit) {
  std::string record;
  size_t start = 0;
  while (start < text.size()) {  // a line ends at '\n'; a last line without one counts
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    record.clear();
    ByteWriter w(&record);
    w.PutString(text.substr(start, end - start));  // Serializer<std::string>'s format
    emit(record, kNoTimestamp);
    start = end + 1;
  }
}

}  // namespace

Source<std::string> LineSource(SourceSpec spec) {
  Source<std::string> source;
  source.records_per_second = spec.records_per_second;
  const std::string dir = spec.input_dir;
  source.discover = [dir](Host& host, const ExternalServices& services,
                          int) -> Result<std::vector<std::string>> {
    // A missing directory is an error (the JobManager waits for it, logging why), not a source
    // without splits: a job that finishes at once on a misspelt --input would commit nothing.
    const std::string full = StorageDirectory(host.fs, services.input_root).FullPath(dir);
    auto listed = host.fs.List(full);
    if (!listed.ok() && listed.status().code() == StatusCode::kNotFound) {
      return NotFoundError("input directory '" + full + "' does not exist");
    }
    ASSIGN_OR_RETURN(std::vector<std::string> names, std::move(listed));
    std::sort(names.begin(), names.end());
    std::vector<std::string> splits;
    for (const std::string& name : names) {
      if (name.empty() || name[0] == '.' || name[0] == '_') continue;
      splits.push_back(dir + "/" + name);
    }
    return splits;
  };
  source.make_enumerator = OnDemandSplitEnumeratorFactory();
  source.make_reader = [](const TaskContext& ctx, std::string_view split,
                          ChainLink* output) -> Result<std::unique_ptr<SplitReader>> {
    auto* lines = dynamic_cast<BatchConsumer<std::string>*>(output);
    SLUICE_ASSERT(lines != nullptr, "a line source feeds an operator that takes lines");
    if (split.empty()) return DataLossError("line source: empty split (a file path)");
    return std::unique_ptr<SplitReader>(std::make_unique<LineSplitReader>(
        *ctx.host, ctx.services.input_root, std::string(split), lines));
  };
  source.reference_splits = [dir](int, const std::vector<std::string>& input_splits) {
    std::vector<std::string> splits;
    for (size_t i = 0; i < input_splits.size(); ++i) {
      splits.push_back(dir + "/part-" + std::to_string(i));
    }
    return splits;
  };
  source.reference = [dir](std::string_view split, const std::vector<std::string>& input_splits,
                           const ReferenceEmit& emit) {
    const std::string prefix = dir + "/part-";
    SLUICE_ASSERT(split.substr(0, prefix.size()) == prefix,
                  "a reference line split is a part file of the input directory");
    const size_t index = std::stoul(std::string(split.substr(prefix.size())));
    SLUICE_ASSERT(index < input_splits.size(), "a reference line split is one of the input's");
    EmitLines(input_splits[index], emit);
  };
  return source;
}

Status LineSourceReader::Open(std::string_view restored) {
  offset_ = 0;
  if (!restored.empty()) {
    ByteReader r(restored);
    if (!r.GetU64(&offset_) || !r.empty()) {
      return DataLossError("source state for " + path_ + " is malformed");
    }
  }
  ASSIGN_OR_RETURN(size_, storage_.FileSize(path_));
  if (offset_ > size_) {
    return DataLossError("restored offset " + std::to_string(offset_) + " is past the end of " +
                         path_ + " (" + std::to_string(size_) + " bytes)");
  }
  return Status::Ok();
}

Result<bool> LineSourceReader::ReadBatch(Collector<std::string>* out, size_t max_lines) {
  if (exhausted()) return false;
  // Read until at least one whole line is in hand (a line may be longer than one read).
  uint64_t want = kReadSizeBytes;
  for (;;) {
    ASSIGN_OR_RETURN(chunk_, storage_.ReadRange(path_, offset_, want));
    if (chunk_.empty()) return UnavailableError(path_ + " shrank below its size while reading");
    const bool at_end = offset_ + chunk_.size() >= size_;
    const size_t last_newline = chunk_.rfind('\n');
    size_t usable =
        at_end ? chunk_.size() : (last_newline == std::string::npos ? 0 : last_newline + 1);
    if (usable == 0) {
      want *= 2;  // a line longer than the read: read more
      continue;
    }
    size_t start = 0;
    for (size_t lines = 0; start < usable && lines < max_lines; ++lines) {
      size_t end = chunk_.find('\n', start);
      if (end == std::string::npos || end >= usable) end = usable;
      out->Next().assign(chunk_, start, end - start);
      start = std::min(end + 1, usable);
    }
    offset_ += start;
    return true;
  }
}

void LineSourceReader::Snapshot(std::string* out) const {
  ByteWriter w(out);
  w.PutU64(offset_);
}

}  // namespace sluice
