#include "engine/jobmanager/job_manager.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "engine/checkpoint/completed_checkpoint.h"
#include "engine/jobmanager/job_master.h"
#include "engine/rpc/frame.h"

namespace sluice {
namespace {

Result<int64_t> NextEpoch(Host& host, const std::string& dir) {
  RETURN_IF_ERROR(host.fs.CreateDir(dir));
  const std::string path = dir + "/epoch";
  int64_t epoch = 0;
  ASSIGN_OR_RETURN(bool exists, host.fs.Exists(path));
  if (exists) {
    ASSIGN_OR_RETURN(std::string text, host.fs.ReadFile(path));
    char* end = nullptr;
    epoch = std::strtoll(text.c_str(), &end, 10);
    if (end == text.c_str() || epoch < 0) return DataLossError(path + ": not an epoch number");
  }
  ++epoch;
  RETURN_IF_ERROR(WriteFileAtomically(host.fs, path, std::to_string(epoch)));
  return epoch;
}

}  // namespace

Status RunJobManager(Host& host, const JobManagerConfig& config) {
  ASSIGN_OR_RETURN(int64_t epoch, NextEpoch(host, config.state_dir));
  ASSIGN_OR_RETURN(JobGraph graph, BuildJobGraph(config.job));
  ASSIGN_OR_RETURN(std::vector<Chain> chains, BuildChains(graph));
  ASSIGN_OR_RETURN(auto listener, host.network.Listen(config.port));
  host.log.Info("jobmanager.started", "epoch " + std::to_string(epoch));
  JobMaster master(host, config, epoch, std::move(chains));
  return master.Run(*listener);
}

}  // namespace sluice
