#include "engine/base/assert.h"

#include <cstdio>
#include <cstdlib>

namespace sluice::internal {

void AssertionFailed(const char* condition, const char* reason, const char* file, int line) {
  // stderr is unbuffered; one fprintf so that the line is not interleaved with other output.
  std::fprintf(stderr, "assertion failed at %s:%d: %s (%s)\n", file, line, condition, reason);
  std::abort();
}

}  // namespace sluice::internal
