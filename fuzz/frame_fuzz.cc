// FrameReader (every connection between hosts) on arbitrary bytes split arbitrarily: frames,
// then kUnavailable at the end or kDataLoss for a malformed frame, never a crash.
#include <cstdint>

#include "engine/rpc/frame.h"
#include "fuzz/fuzz_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sluice::fuzz::BytesStream stream(sluice::fuzz::AsView(data, size));
  sluice::FrameReader reader(&stream);
  for (;;) {
    auto frame = reader.Next();
    if (!frame.ok()) break;
  }
  return 0;
}
