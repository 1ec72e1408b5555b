// A keyed-state snapshot (a task's state file section) restored into the heap backend at a
// key-group range the first byte picks: kDataLoss or restored state, never a crash.
#include <cstdint>

#include "engine/state/keyed_state.h"
#include "fuzz/fuzz_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  constexpr int kMaxParallelism = 128;
  const int start = data[0] % kMaxParallelism;
  const sluice::KeyGroupRange range{start, start + (data[0] >> 1) % (kMaxParallelism - start)};
  sluice::HeapValueStateBackend<int64_t> backend(kMaxParallelism, range);
  (void)backend.Restore(sluice::fuzz::AsView(data + 1, size - 1), "fuzzed snapshot");
  return 0;
}
