// An answer from etcd's JSON gateway as the JobManager's etcd client reads it (an endpoint, or
// whatever answers on its address, may send anything): parsed as JSON, then every decoder of
// engine/ha/etcd_client.h. A typed answer or an error, never a crash or an escaping exception.
#include <cstdint>

#include <nlohmann/json.hpp>

#include "engine/ha/etcd_client.h"
#include "fuzz/fuzz_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes = sluice::fuzz::AsView(data, size);
  const nlohmann::json response = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (response.is_discarded()) return 0;
  (void)sluice::DecodeEtcdError(response, "fuzzed");
  (void)sluice::DecodeEtcdRange(response);
  (void)sluice::DecodeEtcdTxn(response, 2, 1);
  (void)sluice::DecodeEtcdLeaseGrant(response);
  (void)sluice::DecodeEtcdKeepAlive(response);
  (void)sluice::DecodeEtcdRevision(response);
  return 0;
}
