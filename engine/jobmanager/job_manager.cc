#include "engine/jobmanager/job_manager.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "engine/checkpoint/completed_checkpoint.h"
#include "engine/jobmanager/job_master.h"
#include "engine/rpc/frame.h"

namespace sluice {
Status RunJobManager(Host& host, const JobManagerConfig& config) {
  ASSIGN_OR_RETURN(JobGraph graph, BuildJobGraph(config.job));
  ASSIGN_OR_RETURN(std::vector<Chain> chains, BuildChains(graph));
  ASSIGN_OR_RETURN(auto listener, host.network.Listen(config.port));
  JobMaster master(host, config, std::move(chains));
  return master.Run(*listener);
}

}  // namespace sluice
