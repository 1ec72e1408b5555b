// Test helper: one request to a simulated host's HTTP server (a JobManager's REST API, a
// TaskManager's metrics) over the simulated network, as the scenario tests' clients ask.
#pragma once

#include <string>

#include "engine/rest/http.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/host.h"

namespace sluice::scenarios {

// The response to `method` `target` (with `body`) from `address`, or status -1 when it could
// not be asked (nothing listening, the host crashed or cut off). May suspend.
inline HttpResponse AskHttp(Host& host, const Address& address, const std::string& method,
                            const std::string& target, const std::string& body = "") {
  auto response = CallHttp(host.network, address, method, target, body, kNanosPerSecond);
  if (response.ok()) return response.value();
  HttpResponse failed;
  failed.status = -1;
  return failed;
}

}  // namespace sluice::scenarios
