// The jobs the `sluice` binary ships with: wordcount (engine/jobs/wordcount.h) and the Nexmark
// queries nexmark-q0 .. nexmark-q8 (engine/jobs/nexmark/queries.h). A user's program
// may register them next to its own.
#pragma once

#include "engine/api/job_registry.h"
#include "engine/base/status.h"

namespace sluice {

// Registers every built-in job with `jobs`; kAlreadyExists if one of their names is taken.
Status RegisterBuiltinJobs(JobRegistry& jobs);

}  // namespace sluice
