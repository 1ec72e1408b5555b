// The JobManager's web dashboard (Flink's web UI, in small): one HTML page served at GET / (and
// /index.html) by every JobManager's REST port, whose script polls the REST API every 2 s
// (engine/jobmanager/rest_api.h) and shows the cluster (TaskManagers and slots), each job (state,
// start, duration, restarts), its graph (the job vertices: operator chains with their
// parallelism and state), its checkpoints (counts, the latest completed one and its size,
// savepoints) and the TaskManagers (slots, free slots, last heartbeat). On a standby it shows
// that it does not lead. The page is static and holds no data, so it is served without the bearer
// token; with a secret, open it as http://HOST:PORT/#token=SECRET: the script sends the token
// with each request (a fragment never reaches the server or its logs). Elements carry ids
// (job-state, vertices, checkpoints-completed, taskmanagers, ...) for scripts and tests
// (tools/cli_contract_test.sh loads it in headless Chromium against a running cluster).
// Pure; never suspends.
#pragma once

#include "engine/rest/http.h"

namespace sluice {

// The page (200, text/html).
HttpResponse DashboardResponse();

}  // namespace sluice
