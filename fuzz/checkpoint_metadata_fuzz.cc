// A checkpoint's _metadata as read back from checkpoint storage (a disk or a peer may hand back
// anything): UnsealBlob, then CompletedCheckpoint::DecodeMetadata on the blob and on the raw
// bytes (as if the seal were right). An error or a checkpoint, never a crash.
#include <cstdint>

#include "engine/base/checksum.h"
#include "engine/checkpoint/completed_checkpoint.h"
#include "fuzz/fuzz_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes = sluice::fuzz::AsView(data, size);
  auto payload =
      sluice::UnsealBlob(sluice::CompletedCheckpoint::kMetadataMagic, bytes, "fuzzed _metadata");
  if (payload.ok()) (void)sluice::CompletedCheckpoint::DecodeMetadata(*payload, "fuzzed");
  (void)sluice::CompletedCheckpoint::DecodeMetadata(bytes, "fuzzed");
  return 0;
}
