// Whether a checkpoint can be restored into a job graph (Flink's StateAssignmentOperation checks
// at restore): the checkpoint's metadata records the graph it was taken of (CheckpointedGraph,
// engine/checkpoint/completed_checkpoint.h), and a restore into another graph is an error that
// names what differs, never a silent loss of state:
//   - another max parallelism (pipeline.max-parallelism): the key groups, which keyed state is
//     split into, would not match; Flink refuses this too;
//   - other operators (names, in creation order): the state of one operator would go to another;
//   - operators grouped into other chains: a chain's state files hold its operators' state in
//     chain order, so the chains must be the same ones;
//   - another parallelism of an operator is a rescale: the tasks redistribute the state
//     (engine/partition/state_assignment.h), provided its chain's operators all changed alike
//     (they run in one task) and the metadata records the chains.
// A checkpoint whose metadata predates the record (no graph) is restored as before.
// Pure; thread-compatible.
#pragma once

#include <vector>

#include "engine/base/status.h"
#include "engine/checkpoint/completed_checkpoint.h"
#include "engine/graph/job_graph.h"
#include "engine/graph/job_spec.h"

namespace sluice {

// The record of `graph`, whose chains are `chains` (BuildChains), a checkpoint's metadata keeps.
CheckpointedGraph CheckpointedGraphOf(const JobGraph& graph, const std::vector<Chain>& chains);

// Ok if `checkpoint` can be restored into a job of graph `job`; else kFailedPrecondition naming
// the checkpoint and the difference (the first one found).
Status CheckRestorable(const CompletedCheckpoint& checkpoint, const CheckpointedGraph& job);

// The slots (SlotsRequired) job `spec` needs when redeployed at parallelism.default
// `parallelism`, or -1 if a checkpoint of `deployed` (its graph as deployed now) could not be
// restored into it: `build_graph` refuses it, or it has another max parallelism or other operator
// chains. Pure (builds the graph); for the reactive scheduler and the simulator's rescales.
int SlotsToRescale(const JobGraphFactory& build_graph, const JobSpec& spec,
                   const JobGraph& deployed, int parallelism);

}  // namespace sluice
