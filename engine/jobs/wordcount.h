// Word count, the main job: a word is a maximal run of ASCII letters and digits, lowercased; every
// other byte separates words. For each occurrence the job emits "word<TAB>n", n being that word's
// running count (kept per key in ValueState<int64_t>), into a two-phase-commit file sink (or, with
// sink.postgres.url, the database sink).
//   Source (lines) -> Tokenize (flat_map) ==key_by(word)==> Count (keyed) -> Sink
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/graph/chain.h"
#include "engine/api/job_registry.h"

namespace sluice {

// Appends the words of `line` (lowercased) to *out.
void TokenizeLine(std::string_view line, Collector<std::string>* out);

// The job: sources at the number of input splits, Count at parallelism.default (the job's
// default: 4), max parallelism from pipeline.max-parallelism, rate from source.rate-limit.
Result<JobGraph> BuildWordCountGraph(const JobContext& context);

// sink.postgres.url and sink.postgres.table: word count's own settings. With a url, the counts go
// into that database's table as rows (word, count) through the exactly-once database sink
// (engine/connectors/database_sink.h) instead of files.
const ConfigOption& SinkPostgresUrl();
const ConfigOption& SinkPostgresTable();

// Registers "wordcount" (its description, settings and default settings) with `jobs`.
Status RegisterWordCount(JobRegistry& jobs);

}  // namespace sluice
