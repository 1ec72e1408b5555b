// Test helper shared by the tools' unit tests: a FaultRecord with the fields a test cares about.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "scenarios/scenario.h"

namespace sluice::tools::testing {

// `kind` by name (scenarios::FaultKinds); an unknown name fails the calling test.
inline scenarios::FaultRecord Fault(int64_t at_ms, std::string_view kind, std::string host,
                                    int64_t duration_ms = 0, std::string peer = "",
                                    double factor = 0) {
  const std::optional<scenarios::FaultKind> known = scenarios::FaultKindNamed(kind);
  EXPECT_TRUE(known.has_value()) << "no fault kind is named '" << kind << "'";
  return {.at_ms = at_ms,
          .kind = known.value_or(scenarios::FaultKind::kCrash),
          .host = std::move(host),
          .duration_ms = duration_ms,
          .peer = std::move(peer),
          .factor = factor};
}

}  // namespace sluice::tools::testing
