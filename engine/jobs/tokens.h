// Tokens, a pointwise pipeline: every word of the input lines (as word count tokenizes them),
// one per output line, into a two-phase-commit file sink. No edge shuffles: the sources run at
// min(2, input splits) and hand their words to the sinks by rescale (Flink's POINTWISE
// distribution), so each source subtask and the sinks it feeds form their own pipelined region
// (engine/graph/job_graph.h's PipelinedRegions), which region failover restarts alone.
//   Source (lines) -> Tokenize (flat_map) ==rescale==> Sink
// Sources read the splits on demand (more splits than sources: each reads several in turn).
#pragma once

#include "engine/api/job_registry.h"

namespace sluice {

// The job: sources at min(2, input splits), the sink at parallelism.default (the job's default:
// 4), max parallelism from pipeline.max-parallelism, rate from source.rate-limit.
Result<JobGraph> BuildTokensGraph(const JobContext& context);

// Registers "tokens" (its description and default settings) with `jobs`.
Status RegisterTokens(JobRegistry& jobs);

}  // namespace sluice
