// ReadHttpRequest (the REST API's and the metrics endpoints' requests) on arbitrary bytes: a
// request or kInvalidArgument, never a crash.
#include <cstdint>

#include "engine/rest/http.h"
#include "fuzz/fuzz_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sluice::fuzz::BytesStream stream(sluice::fuzz::AsView(data, size));
  (void)sluice::ReadHttpRequest(stream);
  return 0;
}
