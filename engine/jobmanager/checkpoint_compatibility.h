// Whether a checkpoint can be restored into a job graph (Flink's StateAssignmentOperation checks
// at restore): the checkpoint's metadata records the graph it was taken of (CheckpointedGraph,
// engine/checkpoint/completed_checkpoint.h), and a restore into another graph is an error that
// names what differs, never a silent loss of state:
//   - another max parallelism (pipeline.max-parallelism): the key groups, which keyed state is
//     split into, would not match; Flink refuses this too;
//   - other operators (names, in creation order): the state of one operator would go to another;
//   - another parallelism of an operator: restoring needs the state redistributed (rescaling),
//     which Sluice does not do yet.
// A checkpoint whose metadata predates the record (no graph) is restored as before.
// Pure; thread-compatible.
#pragma once

#include "engine/base/status.h"
#include "engine/checkpoint/completed_checkpoint.h"
#include "engine/graph/job_graph.h"

namespace sluice {

// The record of `graph` a checkpoint's metadata keeps.
CheckpointedGraph CheckpointedGraphOf(const JobGraph& graph);

// Ok if `checkpoint` can be restored into a job of graph `job`; else kFailedPrecondition naming
// the checkpoint and the difference (the first one found).
Status CheckRestorable(const CompletedCheckpoint& checkpoint, const CheckpointedGraph& job);

}  // namespace sluice
