#include "engine/jobs/builtin_jobs.h"

#include "engine/jobs/wordcount.h"

namespace sluice {

Status RegisterBuiltinJobs(JobRegistry& jobs) { return RegisterWordCount(jobs); }

}  // namespace sluice
