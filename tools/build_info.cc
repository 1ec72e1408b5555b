#include "tools/build_info.h"

#include <fmt/core.h>

#include "tools/build_info_values.h"  // generated into the build tree

namespace sluice::tools {

const BuildInfo& ThisBuild() {
  static const BuildInfo build = {SLUICE_BUILD_GIT_COMMIT, SLUICE_BUILD_COMPILER,
                                  SLUICE_BUILD_TYPE};
  return build;
}

std::string DescribeBuild(const BuildInfo& build) {
  return fmt::format("{} ({}, {})", build.git_commit, build.compiler, build.build_type);
}

}  // namespace sluice::tools
