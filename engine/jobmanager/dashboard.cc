#include "engine/jobmanager/dashboard.h"

namespace sluice {
namespace {

// The page: markup, style and a script that renders the REST API's answers with textContent
// only (nothing the server sends is ever parsed as markup).
constexpr char kPage[] = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Sluice dashboard</title>
<style>
body { font-family: sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.5em; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; }
th { background: #f0f0f0; text-align: left; } .error { color: #a00; }
ol.graph li { margin: 0.2em 0; }
</style>
</head>
<body>
<h1>Sluice dashboard <span id="jobmanager"></span></h1>
<p id="status">loading...</p>
<p>Job state: <strong id="job-state">-</strong></p>
<h2>Cluster</h2>
<table><tr><th>TaskManagers</th><th>slots</th><th>free slots</th><th>jobs running</th>
<th>finished</th><th>cancelled</th><th>failed</th></tr>
<tr><td id="overview-taskmanagers"></td><td id="overview-slots"></td><td id="overview-free"></td>
<td id="overview-running"></td><td id="overview-finished"></td><td id="overview-cancelled"></td>
<td id="overview-failed"></td></tr></table>
<h2>Jobs</h2>
<table id="jobs"><tr><th>id</th><th>name</th><th>state</th><th>duration</th>
<th>restarts</th></tr></table>
<h2>Job graph</h2>
<ol class="graph" id="vertices"></ol>
<h2>Checkpoints</h2>
<table><tr><th>completed</th><th>failed</th><th>in progress</th><th>restored</th>
<th>latest completed</th><th>its size (bytes)</th><th>latest savepoint</th></tr>
<tr><td id="checkpoints-completed"></td><td id="checkpoints-failed"></td>
<td id="checkpoints-in-progress"></td><td id="checkpoints-restored"></td>
<td id="checkpoints-latest"></td><td id="checkpoints-size"></td>
<td id="checkpoints-savepoint"></td></tr></table>
<h2>TaskManagers</h2>
<table id="taskmanagers"><tr><th>id</th><th>data port</th><th>slots</th><th>free slots</th>
<th>last heartbeat (ms ago)</th></tr></table>
<script>
"use strict";
const token = new URLSearchParams(location.hash.slice(1)).get("token");
function get(path) {
  const headers = token ? {"Authorization": "Bearer " + token} : {};
  return fetch(path, {headers: headers}).then(response => response.json().then(body => {
    if (!response.ok) throw new Error((body.errors || [response.status]).join("; "));
    return body;
  }));
}
function set(id, value) {
  document.getElementById(id).textContent = value === null || value === undefined ? "-" : value;
}
function row(table, cells) {
  const tr = document.createElement("tr");
  tr.className = "row";
  for (const cell of cells) {
    const td = document.createElement("td");
    td.textContent = cell;
    tr.appendChild(td);
  }
  table.appendChild(tr);
}
function clearRows(table) {
  for (const old of table.querySelectorAll("tr.row")) old.remove();
}
async function refresh() {
  try {
    const overview = await get("/overview");
    set("jobmanager", "(" + overview["sluice-jobmanager"] + ", leader epoch " +
        overview["sluice-leader-epoch"] + ")");
    set("overview-taskmanagers", overview.taskmanagers);
    set("overview-slots", overview["slots-total"]);
    set("overview-free", overview["slots-available"]);
    set("overview-running", overview["jobs-running"]);
    set("overview-finished", overview["jobs-finished"]);
    set("overview-cancelled", overview["jobs-cancelled"]);
    set("overview-failed", overview["jobs-failed"]);
    const jobs = (await get("/jobs")).jobs;
    const table = document.getElementById("jobs");
    clearRows(table);
    const graph = document.getElementById("vertices");
    graph.textContent = "";
    // Every job has a row; the one the leader runs (a session cluster's others, queued or
    // ended, have no vertices) also its graph and checkpoints.
    let running = null;
    for (const entry of jobs) {
      const job = await get("/jobs/" + entry.id);
      let restarts = "-";
      if (job.vertices.length) {
        const metrics = await get("/jobs/" + entry.id + "/metrics?get=numRestarts");
        if (metrics.length) restarts = metrics[0].value;
        running = job;
      }
      row(table, [job.jid, job.name, job.state, job.duration + " ms", restarts]);
    }
    if (running) {
      const job = running;
      set("status", "job " + job.name + " answered at " + new Date().toISOString());
      set("job-state", job.state);
      for (const vertex of job.vertices) {
        const li = document.createElement("li");
        li.className = "vertex";
        li.textContent = vertex.name + " (parallelism " + vertex.parallelism + ", " +
                         vertex.status + ")";
        graph.appendChild(li);
      }
      const checkpoints = await get("/jobs/" + job.jid + "/checkpoints");
      set("checkpoints-completed", checkpoints.counts.completed);
      set("checkpoints-failed", checkpoints.counts.failed);
      set("checkpoints-in-progress", checkpoints.counts.in_progress);
      set("checkpoints-restored", checkpoints.counts.restored);
      const latest = checkpoints.latest.completed;
      set("checkpoints-latest", latest ? latest.id : null);
      set("checkpoints-size", latest ? latest.state_size : null);
      const savepoint = checkpoints.latest.savepoint;
      set("checkpoints-savepoint", savepoint ? savepoint.external_path : null);
    } else {
      set("status", "no job running; answered at " + new Date().toISOString());
    }
    const taskmanagers = (await get("/taskmanagers")).taskmanagers;
    const tms = document.getElementById("taskmanagers");
    clearRows(tms);
    for (const tm of taskmanagers) {
      row(tms, [tm.id, tm.dataPort, tm.slotsNumber, tm.freeSlots, tm.timeSinceLastHeartbeat]);
    }
    document.getElementById("status").className = "";
  } catch (error) {
    set("status", "not answered: " + error.message);
    document.getElementById("status").className = "error";
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
)html";

}  // namespace

HttpResponse DashboardResponse() {
  HttpResponse response;
  response.status = 200;
  response.content_type = "text/html; charset=utf-8";
  response.body = kPage;
  return response;
}

}  // namespace sluice
