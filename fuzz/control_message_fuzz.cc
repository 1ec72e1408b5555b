// ControlMessage::Decode (JobManager <-> TaskManager frames) and JobSpec::Decode (inside a
// deployment) on arbitrary bytes: an error or a message, never a crash; a decoded message
// encodes and decodes again to the same bytes.
#include <cstdint>
#include <cstdlib>

#include "engine/graph/job_spec.h"
#include "engine/rpc/control.h"
#include "fuzz/fuzz_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes = sluice::fuzz::AsView(data, size);
  auto message = sluice::ControlMessage::Decode(bytes);
  if (message.ok()) {
    const std::string encoded = message->Encode();
    auto again = sluice::ControlMessage::Decode(encoded);
    if (!again.ok() || again->Encode() != encoded) std::abort();  // not a fixed point
  }
  (void)sluice::JobSpec::Decode(bytes);
  return 0;
}
