#include "engine/jobs/builtin_jobs.h"

#include "engine/jobs/nexmark/queries.h"
#include "engine/jobs/tokens.h"
#include "engine/jobs/wordcount.h"

namespace sluice {

Status RegisterBuiltinJobs(JobRegistry& jobs) {
  RETURN_IF_ERROR(RegisterWordCount(jobs));
  RETURN_IF_ERROR(RegisterTokens(jobs));
  return nexmark::RegisterNexmarkJobs(jobs);
}

}  // namespace sluice
