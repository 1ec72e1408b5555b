#include "engine/connectors/line_source.h"

#include "engine/base/bytes.h"

namespace sluice {

Status LineSourceReader::Open(std::string_view restored) {
  offset_ = 0;
  if (!restored.empty()) {
    ByteReader r(restored);
    if (!r.GetU64(&offset_) || !r.empty()) {
      return DataLossError("source state for " + path_ + " is malformed");
    }
  }
  ASSIGN_OR_RETURN(size_, store_.FileSize(path_));
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
    ASSIGN_OR_RETURN(chunk_, store_.ReadRange(path_, offset_, want));
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
