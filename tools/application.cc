#include "tools/application.h"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>

#include "tools/cli_common.h"
#include "tools/cluster_commands.h"
#include "tools/client_commands.h"
#include "tools/job_files_commands.h"
#include "tools/process_commands.h"
#include "tools/sim_commands.h"

namespace sluice {
namespace {

// `jobs`: one line per registered job, "NAME description", by name.
int ListJobs(const JobRegistry& jobs) {
  for (const JobDefinition& job : jobs.jobs()) fmt::print("{} {}\n", job.name, job.description);
  return tools::kExitOk;
}

}  // namespace

int RunApplication(const JobRegistry& jobs, int argc, char** argv) {
  CLI::App app("Sluice: a stream processing engine with a deterministic simulator", "sluice");
  app.require_subcommand(1);
  CLI::App* list_jobs = app.add_subcommand("jobs", "List the jobs this program runs: NAME description");
  tools::SimCommands sim(app, argc > 0 ? argv[0] : "sluice", jobs);
  tools::ClusterCommands cluster(app, jobs);
  tools::ProcessCommands processes(app, jobs);
  tools::ClientCommands client(app);
  tools::JobFilesCommands job_files(app, jobs);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help exits 0 through app.exit; every other parse error is bad usage.
    return app.exit(error) == 0 ? tools::kExitOk : tools::kExitUsage;
  }
  if (list_jobs->parsed()) return ListJobs(jobs);
  if (auto code = sim.RunParsed()) return *code;
  if (auto code = cluster.RunParsed()) return *code;
  if (auto code = processes.RunParsed()) return *code;
  if (auto code = client.RunParsed()) return *code;
  if (auto code = job_files.RunParsed()) return *code;
  return tools::UsageError("no command given; see `sluice --help`");
}

int RunApplicationError(const Status& registration) {
  return tools::UsageError("job registration: " + registration.ToString());
}

}  // namespace sluice
