// The JSON encoding of etcd's v3 API as its gRPC gateway speaks it (etcd 3.4,
// Documentation/dev-guide/api_grpc_gateway.md; the proto3 JSON mapping): bytes fields (keys,
// values, range ends) are standard base64 with padding; 64-bit integers are JSON strings in
// responses (requests may use numbers too); fields at their default value (0, "", false, empty
// lists) are omitted. Shared by the engine's client (engine/ha/etcd_client.h) and the simulator's
// model of the server (simnet/etcd_model.h), so that both read and write the same bytes.
// Pure functions; never suspend; never throw.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/base/status.h"

namespace sluice {

std::string Base64Encode(std::string_view bytes);
// kInvalidArgument naming `what` for text that is not padded standard base64.
Result<std::string> Base64Decode(std::string_view text, const std::string& what);

// Field `name` of `object` as an int64, given as a JSON string of decimal digits (an optional
// '-') or a JSON integer; `fallback` when absent (the proto3 default). kInvalidArgument naming
// the field for any other type or text.
Result<int64_t> JsonInt64(const nlohmann::json& object, const char* name, int64_t fallback = 0);
// Field `name` of `object` as base64-decoded bytes; "" when absent. kInvalidArgument as above.
Result<std::string> JsonBytes(const nlohmann::json& object, const char* name);
// Field `name` of `object` as a bool; false when absent. kInvalidArgument as above.
Result<bool> JsonBool(const nlohmann::json& object, const char* name);

// The first key after every key that begins with `prefix` (etcd's "range_end" for a prefix
// range: the prefix with its last byte below 0xff incremented, shorter bytes dropped); "\0" (all
// keys from the start) when `prefix` is empty or all 0xff.
std::string PrefixRangeEnd(std::string_view prefix);
// The key a prefix range starts at: `prefix`, or "\0" for the empty prefix (etcd refuses an empty
// key; clientv3's WithPrefix does the same).
std::string PrefixRangeStart(std::string_view prefix);

}  // namespace sluice
