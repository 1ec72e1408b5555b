// Test helper shared by the tools' unit tests: a FaultRecord with the fields a test cares about.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "scenarios/scenario.h"

namespace sluice::tools::testing {

inline scenarios::FaultRecord Fault(int64_t at_ms, std::string kind, std::string host,
                                    int64_t duration_ms = 0, std::string peer = "",
                                    double factor = 0) {
  return {.at_ms = at_ms,
          .kind = std::move(kind),
          .host = std::move(host),
          .duration_ms = duration_ms,
          .peer = std::move(peer),
          .factor = factor};
}

}  // namespace sluice::tools::testing
