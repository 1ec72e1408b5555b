// Framing for every message between hosts (control plane, data plane, store requests):
//   [u32 payload length][u32 low 32 bits of XXH64(payload)][payload]
// A frame longer than kMaxFrameBytes or with a wrong checksum is a kDataLoss error naming the peer,
// never a crash: the caller drops the connection. One reader and one writer fiber per stream.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/status.h"
#include "engine/runtime/network.h"

namespace sluice {

constexpr size_t kMaxFrameBytes = 64 * 1024 * 1024;
constexpr size_t kFrameHeaderBytes = 8;

// Appends one frame holding `payload` to *out (so several frames can go out in one Write).
void AppendFrame(std::string* out, std::string_view payload);
// A frame built in place, for a payload assembled piece by piece (saves copying it once more):
// StartFrame appends a placeholder header to *out and returns where the frame starts in *out;
// the caller appends the payload to *out; FinishFrame fills in the header. The bytes are those
// AppendFrame(out, payload) would have appended.
size_t StartFrame(std::string* out);
void FinishFrame(std::string* out, size_t frame_start);
// Writes one frame. May suspend.
Status WriteFrame(Stream& stream, std::string_view payload);

class FrameReader {
 public:
  explicit FrameReader(Stream* stream) : stream_(stream) {}
  // The next frame's payload; the view stays valid until the next call. kUnavailable at end of
  // stream or on a broken connection; kDataLoss on a malformed frame. May suspend.
  Result<std::string_view> Next();

 private:
  Stream* stream_;
  std::string buffer_;
  size_t consumed_ = 0;
};

}  // namespace sluice
