#include "engine/rpc/frame.h"


#include "engine/base/assert.h"
#include "engine/base/bytes.h"
#include "engine/base/checksum.h"

namespace sluice {
namespace {
constexpr size_t kReadChunkBytes = 64 * 1024;
}

size_t StartFrame(std::string* out) {
  const size_t frame_start = out->size();
  out->append(kFrameHeaderBytes, '\0');  // FinishFrame writes length and checksum here
  return frame_start;
}

void FinishFrame(std::string* out, size_t frame_start) {
  SLUICE_ASSERT(out->size() >= frame_start + kFrameHeaderBytes, "FinishFrame without StartFrame");
  const std::string_view payload = std::string_view(*out).substr(frame_start + kFrameHeaderBytes);
  SLUICE_ASSERT(payload.size() <= kMaxFrameBytes, "a frame the reader would reject");
  std::string header;
  ByteWriter w(&header);
  w.PutU32(static_cast<uint32_t>(payload.size()));
  w.PutU32(static_cast<uint32_t>(Checksum64(payload)));
  SLUICE_ASSERT(header.size() == kFrameHeaderBytes, "the header has its fixed size");
  out->replace(frame_start, kFrameHeaderBytes, header);
}

void AppendFrame(std::string* out, std::string_view payload) {
  const size_t frame_start = StartFrame(out);
  out->append(payload);
  FinishFrame(out, frame_start);
}

Status WriteFrame(Stream& stream, std::string_view payload) {
  std::string frame;
  frame.reserve(payload.size() + kFrameHeaderBytes);
  AppendFrame(&frame, payload);
  return stream.Write(frame);
}

Result<std::string_view> FrameReader::Next() {
  if (consumed_ > 0) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  for (;;) {
    if (buffer_.size() >= kFrameHeaderBytes) {
      ByteReader header(buffer_);
      uint32_t length = 0, checksum = 0;
      (void)header.GetU32(&length);
      (void)header.GetU32(&checksum);
      if (length > kMaxFrameBytes) {
        return DataLossError("frame of " + std::to_string(length) + " bytes from " +
                             stream_->PeerName() + " exceeds the limit");
      }
      if (buffer_.size() >= kFrameHeaderBytes + length) {
        std::string_view payload(buffer_.data() + kFrameHeaderBytes, length);
        if (static_cast<uint32_t>(Checksum64(payload)) != checksum) {
          return DataLossError("frame checksum mismatch from " + stream_->PeerName());
        }
        consumed_ = kFrameHeaderBytes + length;
        return payload;
      }
    }
    ASSIGN_OR_RETURN(size_t n, stream_->Read(&buffer_, kReadChunkBytes));
    if (n == 0) return UnavailableError("connection closed by " + stream_->PeerName());
  }
}

}  // namespace sluice
