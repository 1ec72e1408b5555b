// NetworkInputGate::ParseEvent (every data frame a producer sends: record buffers with their
// backlog, watermarks, barriers, end of partition) on arbitrary bytes: an event or kDataLoss,
// never a crash.
#include <cstdint>

#include "engine/exchange/data_plane.h"
#include "fuzz/fuzz_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sluice::NetworkInputGate::Event event;
  int64_t backlog = 0;
  (void)sluice::NetworkInputGate::ParseEvent(sluice::fuzz::AsView(data, size), &event, &backlog);
  return 0;
}
