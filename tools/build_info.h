// Which build a failure report came from: the git commit CMake saw at configure time, the compiler
// and the build type. A seed replays bit for bit only on the same code, so every failure report and
// --json line carries this.
#pragma once

#include <string>

namespace sluice::tools {

struct BuildInfo {
  std::string git_commit;  // `git rev-parse --short HEAD` at configure time; "unknown" without git
  std::string compiler;    // CMake's compiler id and version, e.g. "GNU 12.2.0"
  std::string build_type;  // e.g. "RelWithDebInfo"
};

const BuildInfo& ThisBuild();

// "3d13a04 (GNU 12.2.0, RelWithDebInfo)".
std::string DescribeBuild(const BuildInfo& build);

}  // namespace sluice::tools
