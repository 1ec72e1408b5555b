// The library entry point of a Sluice program (Flink's application mode). A user's program
// registers its jobs and hands its command line here; the program then has the whole `sluice`
// command line for those jobs: `jobs`, every `sim` subcommand, `cluster local` (which starts
// copies of the same program as its JobManager and TaskManager processes, so every process has
// the jobs' code) and the hidden `internal` subcommands those processes run. The `sluice` binary
// is exactly this entry point with the built-in jobs registered (tools/sluice_main.cc).
//
//   int main(int argc, char** argv) {
//     sluice::JobRegistry jobs;
//     sluice::Status registered = jobs.Register(MyJob());
//     if (!registered.ok()) return sluice::RunApplicationError(registered);
//     return sluice::RunApplication(jobs, argc, argv);
//   }
//
// Exit codes: 0 success, 1 an invariant or the job failed, 2 bad usage or unreadable input.
// Runs on the calling thread until the command ends; `jobs` must not change meanwhile.
#pragma once

#include "engine/api/job_registry.h"
#include "engine/base/status.h"

namespace sluice {

int RunApplication(const JobRegistry& jobs, int argc, char** argv);

// Prints "sluice: error: <registration error>" and returns 2: for a program whose job
// registration failed (a duplicate or malformed name) before it could call RunApplication.
int RunApplicationError(const Status& registration);

}  // namespace sluice
