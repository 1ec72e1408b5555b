// The reference evaluator: Sluice's oracle for any job. It runs a job graph single-threaded, one
// record at a time, through each operator's reference semantics (ReferenceOperator,
// engine/graph/job_graph.h; for the DataStream API, engine/api/reference_operators.h): no
// chains, network, barriers, checkpoints, faults, key-group state backends or record writers, so
// that it shares none of the runtime code it judges.
//
// Each operator runs as `parallelism` instances. A record goes to the instances its edge's
// partitioner names where that is part of the job's meaning: forward (same index), broadcast
// (all), global (0), key_by (the key's group, Flink's formula) and custom (the user's
// partitioner); rebalance, rescale and shuffle deal records round robin, since a job whose output
// depends on how they deal is not deterministic and cannot be judged by output. Operators run in
// graph order (producers first), each instance over its whole input, then EndOfInput.
//
// Sources give their splits and each split's records through their own reference
// (SourceFunctions::reference_splits and ::reference): the line source reads the job's input
// splits as the runtime's line reader does (a line is the bytes up to '\n', excluded, and a last
// line without '\n' counts); a data generator generates. Split j goes to instance j mod the
// source's parallelism; the runtime's enumerator may assign splits otherwise (the line source's
// hands them out on demand), so, as with rebalance, a job whose output depends on which subtask
// reads which split cannot be judged by output.
//
// What a deterministic job must commit is then the multiset of lines the sinks' reference
// semantics produce. Pure logic; never suspends.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/base/status.h"
#include "engine/graph/job_graph.h"

namespace sluice::scenarios {

// Ok if every operator of `graph` has reference semantics (so its output can be judged);
// otherwise kInvalidArgument naming the first that has none.
Status CheckReferenceSemantics(const JobGraph& graph);

// The committed output a run of `graph` over the input splits `splits` (part-0, part-1, ... of
// the input directory) must produce: line → how many times. kInvalidArgument naming
// the operator if one has no reference semantics (a sink that declares none).
Result<std::map<std::string, int64_t>> EvaluateReference(const JobGraph& graph,
                                                         const std::vector<std::string>& splits);

// How committed output (file name → contents) compares with a reference.
struct ReferenceReport {
  bool exact = false;         // the same multiset of lines
  bool at_most_once = false;  // a sub-multiset: nothing duplicated or made up (lines may miss)
  std::string first_violation;  // names the first offending line (and its file) or missing one
  int64_t records = 0;          // committed lines
  int64_t expected = 0;         // reference lines
};
ReferenceReport CompareWithReference(const std::map<std::string, int64_t>& reference,
                                     const std::map<std::string, std::string>& committed);

}  // namespace sluice::scenarios
