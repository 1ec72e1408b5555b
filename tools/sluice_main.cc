// The `sluice` command line: simulated scenarios (`sim`), a real local cluster (`cluster`), and the
// hidden `internal` subcommands the cluster starts as child processes. Exit codes: 0 success,
// 1 an invariant or the job failed, 2 bad usage or unreadable input.
#include <CLI/CLI.hpp>

#include "tools/cli_common.h"
#include "tools/cluster_commands.h"
#include "tools/internal_commands.h"
#include "tools/sim_commands.h"

int main(int argc, char** argv) {
  CLI::App app("Sluice: a stream processing engine with a deterministic simulator", "sluice");
  app.require_subcommand(1);
  sluice::tools::SimCommands sim(app, argc > 0 ? argv[0] : "sluice");
  sluice::tools::ClusterCommands cluster(app);
  sluice::tools::InternalCommands internal(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help exits 0 through app.exit; every other parse error is bad usage.
    return app.exit(error) == 0 ? sluice::tools::kExitOk : sluice::tools::kExitUsage;
  }
  if (auto code = sim.RunParsed()) return *code;
  if (auto code = cluster.RunParsed()) return *code;
  if (auto code = internal.RunParsed()) return *code;
  return sluice::tools::UsageError("no command given; see `sluice --help`");
}
