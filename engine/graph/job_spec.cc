#include "engine/graph/job_spec.h"

#include "engine/base/bytes.h"
#include "engine/partition/key_group.h"

namespace sluice {

std::string JobSpec::Encode() const {
  std::string out;
  ByteWriter w(&out);
  w.PutString(job);
  settings.Encode(w);
  w.PutString(input_dir);
  w.PutString(output_dir);
  w.PutVarint(static_cast<uint64_t>(input_splits));
  // Only a session cluster's jobs carry an id: application mode's encoding stays as it was.
  if (!job_id.empty()) w.PutString(job_id);
  return out;
}

Result<JobSpec> JobSpec::Decode(std::string_view bytes) {
  JobSpec spec;
  ByteReader r(bytes);
  uint64_t splits = 0;
  if (!r.GetString(&spec.job) || !spec.settings.Decode(r) || !r.GetString(&spec.input_dir) ||
      !r.GetString(&spec.output_dir) || !r.GetVarint(&splits) ||
      splits > kUpperBoundMaxParallelism) {
    return InvalidArgumentError("malformed job spec");
  }
  if (!r.empty() && (!r.GetString(&spec.job_id) || !r.empty() || !IsJobId(spec.job_id))) {
    return InvalidArgumentError("malformed job spec: a bad job id");
  }
  spec.input_splits = static_cast<int>(splits);
  return spec;
}

bool IsJobId(std::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace sluice
