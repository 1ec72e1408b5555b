// OS processes for `sluice cluster local`: starting this binary again with other arguments (or
// another program: etcd), watching and stopping it, and finding free TCP ports on 127.0.0.1. The
// parent that calls these is single-threaded (no RealRuntime runs in it). None of these throw.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/status.h"

namespace sluice::tools {

// Starts this executable (/proc/self/exe) with `args` (argv[1..]), stdin from /dev/null and
// stdout+stderr appended to `log_path`. The child gets SIGKILL if the parent dies. Returns its pid;
// kIoError naming the log file or fork's reason otherwise.
Result<pid_t> SpawnSelf(const std::vector<std::string>& args, const std::string& log_path);
// Starts `program` (a path, or a name looked up in PATH) the same way, with argv[0] = `name`.
// A program that cannot be executed exits 127 after writing why to the log.
Result<pid_t> SpawnProgram(const std::string& program, const std::string& name,
                           const std::vector<std::string>& args, const std::string& log_path);

// The wait status of `pid` if it has exited (it is reaped), nullopt while it still runs.
std::optional<int> PollExit(pid_t pid);

// Sends `signal` and reaps `pid`, waiting as long as it takes. Returns the wait status.
int SignalAndWait(pid_t pid, int signal);

// SIGTERM, then SIGKILL if `pid` has not exited after `grace_ms`. Returns the wait status.
int TerminateAndWait(pid_t pid, int64_t grace_ms);

// "exit status 1", "killed by signal 9 (Killed)".
std::string DescribeWaitStatus(int wait_status);
bool ExitedCleanly(int wait_status);

// `count` distinct TCP ports on 127.0.0.1 that were free a moment ago (bound with port 0 and all
// held until every one is chosen, so they differ). Another process may still take one.
Result<std::vector<uint16_t>> PickFreePorts(int count);

// Whether something accepts TCP connections on 127.0.0.1:`port` right now.
bool AcceptsConnections(uint16_t port);

// Sleeps the calling thread.
void SleepMs(int64_t ms);

}  // namespace sluice::tools
