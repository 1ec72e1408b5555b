// The `sluice` binary: the library entry point (tools/application.h) with the built-in jobs
// registered (engine/jobs/builtin_jobs.h). A user's program looks the same with its own jobs.
#include "engine/jobs/builtin_jobs.h"
#include "tools/application.h"

int main(int argc, char** argv) {
  sluice::JobRegistry jobs;
  sluice::Status registered = sluice::RegisterBuiltinJobs(jobs);
  if (!registered.ok()) return sluice::RunApplicationError(registered);
  return sluice::RunApplication(jobs, argc, argv);
}
