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
  return out;
}

Result<JobSpec> JobSpec::Decode(std::string_view bytes) {
  JobSpec spec;
  ByteReader r(bytes);
  uint64_t splits = 0;
  if (!r.GetString(&spec.job) || !spec.settings.Decode(r) || !r.GetString(&spec.input_dir) ||
      !r.GetString(&spec.output_dir) || !r.GetVarint(&splits) || !r.empty() ||
      splits > kUpperBoundMaxParallelism) {
    return InvalidArgumentError("malformed job spec");
  }
  spec.input_splits = static_cast<int>(splits);
  return spec;
}

}  // namespace sluice
