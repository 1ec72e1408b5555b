#include "engine/jobs/job_spec.h"

#include "engine/base/bytes.h"
#include "engine/jobs/wordcount.h"
#include "engine/partition/key_group.h"

namespace sluice {

std::string JobSpec::Encode() const {
  std::string out;
  ByteWriter w(&out);
  w.PutString(job);
  w.PutString(input_dir);
  w.PutString(output_dir);
  w.PutVarint(static_cast<uint64_t>(source_parallelism));
  w.PutVarint(static_cast<uint64_t>(parallelism));
  w.PutVarint(static_cast<uint64_t>(max_parallelism));
  w.PutSignedVarint(source_records_per_second);
  return out;
}

Result<JobSpec> JobSpec::Decode(std::string_view bytes) {
  JobSpec spec;
  ByteReader r(bytes);
  uint64_t source_p = 0, p = 0, max_p = 0;
  if (!r.GetString(&spec.job) || !r.GetString(&spec.input_dir) || !r.GetString(&spec.output_dir) ||
      !r.GetVarint(&source_p) || !r.GetVarint(&p) || !r.GetVarint(&max_p) ||
      !r.GetSignedVarint(&spec.source_records_per_second) || !r.empty() ||
      max_p > kUpperBoundMaxParallelism || p > max_p || source_p > max_p) {
    return InvalidArgumentError("malformed job spec");
  }
  spec.source_parallelism = static_cast<int>(source_p);
  spec.parallelism = static_cast<int>(p);
  spec.max_parallelism = static_cast<int>(max_p);
  return spec;
}

Result<JobGraph> BuildJobGraph(const JobSpec& spec) {
  if (spec.job != "wordcount") return InvalidArgumentError("unknown job '" + spec.job + "'");
  if (spec.max_parallelism < 1 || spec.max_parallelism > kUpperBoundMaxParallelism) {
    return InvalidArgumentError("max parallelism must be in [1, 32768]");
  }
  if (spec.source_parallelism < 1 || spec.parallelism < 1 ||
      spec.source_parallelism > spec.max_parallelism || spec.parallelism > spec.max_parallelism) {
    return InvalidArgumentError("parallelism must be in [1, max parallelism]");
  }
  return BuildWordCountGraph(spec);
}

}  // namespace sluice
