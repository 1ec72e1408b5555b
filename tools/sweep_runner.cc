#include "tools/sweep_runner.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <utility>

#include "engine/base/assert.h"
#include "tools/process.h"

namespace sluice::tools {
namespace {

constexpr int kTickMs = 200;
constexpr size_t kReadChunkBytes = 64 * 1024;
constexpr size_t kResultLineBytesMax = size_t{64} << 20;  // one seed's result line

struct Worker {
  uint64_t number = 0;  // runs the sequence's seeds number, number + jobs, ...
  uint64_t seeds = 0;   // how many seeds that is
  uint64_t done = 0;    // results received, crashes included
  pid_t pid = -1;       // -1 when no process runs for it
  int fd = -1;          // read end of its pipe while it runs
  std::string buffer;   // bytes read that do not end a line yet
};

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t written = write(fd, data.data(), data.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    data.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

class SweepParent {
 public:
  SweepParent(const SweepPlan& plan, const RunSpec& spec, const SweepCallbacks& callbacks)
      : plan_(plan), spec_(spec), callbacks_(callbacks) {
    SLUICE_ASSERT(plan.jobs >= 1, "a sweep has a worker");
    SLUICE_ASSERT(plan.jobs <= kSweepJobsMax, "--jobs was checked against its bound");
    const auto jobs = static_cast<uint64_t>(plan.jobs);
    for (uint64_t number = 0; number < jobs; ++number) {
      Worker worker;
      worker.number = number;
      worker.seeds = number < plan.seeds.count ? (plan.seeds.count - 1 - number) / jobs + 1 : 0;
      workers_.push_back(std::move(worker));
    }
  }
  SweepParent(const SweepParent&) = delete;
  SweepParent& operator=(const SweepParent&) = delete;
  // No error path leaks a worker process.
  ~SweepParent() {
    for (Worker& worker : workers_) Kill(worker);
  }

  Result<SweepResult> Run();

 private:
  uint64_t NextIndex(const Worker& worker) const {
    return worker.number + worker.done * static_cast<uint64_t>(plan_.jobs);
  }
  // Whether a worker's next seed is past the first failure, so fail_fast need not run it.
  bool PastFirstFailure(const Worker& worker) const {
    return plan_.fail_fast && first_failure_.has_value() && NextIndex(worker) > *first_failure_;
  }
  Status Spawn(Worker& worker);
  [[noreturn]] void WorkerMain(const Worker& worker, int write_fd, pid_t parent);
  void Kill(Worker& worker);
  Status ReadFrom(Worker& worker);
  Status Accept(Worker& worker, RunOutcome outcome);
  Status OnExit(Worker& worker);
  SweepResult Finish();

  const SweepPlan& plan_;
  const RunSpec& spec_;
  const SweepCallbacks& callbacks_;
  std::vector<Worker> workers_;
  std::optional<uint64_t> first_failure_;  // lowest index in the sequence of a failing seed
  std::vector<std::pair<uint64_t, RunOutcome>> kept_;  // (index in the sequence, outcome)
  uint64_t received_ = 0;
  uint64_t failed_ = 0;
  uint64_t failed_cleanly_ = 0;
};

Status SweepParent::Spawn(Worker& worker) {
  SLUICE_ASSERT(worker.pid < 0, "a worker is started only when none runs in its place");
  SLUICE_ASSERT(worker.done < worker.seeds, "a worker is started only with seeds left");
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return IoError(fmt::format("sweep: cannot create a pipe: {}", std::strerror(errno)));
  }
  std::fflush(stdout);  // so the child does not write the parent's buffered output again
  std::fflush(stderr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    WorkerMain(worker, fds[1], parent);
  }
  const int fork_error = errno;
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    return IoError(fmt::format("sweep: cannot fork a worker: {}", std::strerror(fork_error)));
  }
  worker.pid = pid;
  worker.fd = fds[0];
  worker.buffer.clear();
  return Status::Ok();
}

void SweepParent::WorkerMain(const Worker& worker, int write_fd, pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);   // a worker never outlives the sweep
  if (getppid() != parent) _exit(1);  // the parent died before prctl took effect
  for (const Worker& other : workers_) {
    if (other.fd >= 0) close(other.fd);  // other workers' pipes are the parent's business
  }
  for (uint64_t done = worker.done; done < worker.seeds; ++done) {
    const uint64_t index = worker.number + done * static_cast<uint64_t>(plan_.jobs);
    const RunOutcome outcome = callbacks_.run_seed(plan_.seeds.At(index));
    if (!WriteAll(write_fd, RunJson(spec_, outcome) + "\n")) _exit(1);
  }
  _exit(0);  // no atexit handlers, no flushing of the parent's stdio buffers
}

void SweepParent::Kill(Worker& worker) {
  if (worker.pid >= 0) SignalAndWait(worker.pid, SIGKILL);
  if (worker.fd >= 0) close(worker.fd);
  worker.pid = -1;
  worker.fd = -1;
}

Status SweepParent::Accept(Worker& worker, RunOutcome outcome) {
  const uint64_t index = NextIndex(worker);
  const uint64_t seed = plan_.seeds.At(index);
  if (worker.done >= worker.seeds || outcome.result.seed != seed) {
    return InternalError(fmt::format("sweep: worker {} reported seed {}, expected seed {}",
                                     worker.number, outcome.result.seed, seed));
  }
  ++worker.done;
  ++received_;
  if (!outcome.result.pass) {
    ++failed_;
    if (!first_failure_.has_value() || index < *first_failure_) first_failure_ = index;
  }
  if (outcome.result.failed_cleanly) ++failed_cleanly_;
  if (callbacks_.on_result) callbacks_.on_result(outcome);
  if (!outcome.result.pass || plan_.keep_passes) kept_.emplace_back(index, std::move(outcome));
  return Status::Ok();
}

Status SweepParent::ReadFrom(Worker& worker) {
  char chunk[kReadChunkBytes];
  const ssize_t n = read(worker.fd, chunk, sizeof(chunk));
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return Status::Ok();
  if (n < 0)
    return IoError(
        fmt::format("sweep: reading worker {}: {}", worker.number, std::strerror(errno)));
  if (n == 0) return OnExit(worker);
  worker.buffer.append(chunk, static_cast<size_t>(n));
  size_t begin = 0;
  for (size_t end; (end = worker.buffer.find('\n', begin)) != std::string::npos; begin = end + 1) {
    auto outcome = ParseRunJson(std::string_view(worker.buffer).substr(begin, end - begin));
    if (!outcome.ok()) {
      return InternalError(
          fmt::format("sweep: worker {}: {}", worker.number, outcome.status().message()));
    }
    RETURN_IF_ERROR(Accept(worker, std::move(outcome).value()));
  }
  worker.buffer.erase(0, begin);
  if (worker.buffer.size() > kResultLineBytesMax) {
    return InternalError(fmt::format("sweep: worker {} sent a result line over {} bytes",
                                     worker.number, kResultLineBytesMax));
  }
  return Status::Ok();
}

// The worker closed its pipe: it finished, or died in the middle of a seed.
Status SweepParent::OnExit(Worker& worker) {
  close(worker.fd);
  worker.fd = -1;
  const int status = SignalAndWait(worker.pid, 0);  // signal 0: just reap
  worker.pid = -1;
  if (worker.done >= worker.seeds || PastFirstFailure(worker)) return Status::Ok();
  RunOutcome crash;
  crash.result.scenario = spec_.scenario;
  crash.result.seed = plan_.seeds.At(NextIndex(worker));
  crash.result.failure = fmt::format(
      "crashed: the worker process running this seed ended before reporting its result ({}); "
      "replay the seed with `sim run` to see the crash",
      DescribeWaitStatus(status));
  RETURN_IF_ERROR(Accept(worker, std::move(crash)));
  if (worker.done < worker.seeds && !PastFirstFailure(worker)) return Spawn(worker);
  return Status::Ok();
}

SweepResult SweepParent::Finish() {
  SweepResult result;
  result.seeds_run = received_;
  result.failed = failed_;
  result.failed_cleanly = failed_cleanly_;
  if (plan_.fail_fast && first_failure_.has_value()) {
    // Every seed up to the first failure ran; leave out what ran past it.
    const uint64_t last = *first_failure_;
    std::erase_if(kept_, [last](const auto& entry) { return entry.first > last; });
    result.seeds_run = last + 1;
    result.failed = 1;
    result.stopped_early = last + 1 < plan_.seeds.count;
  }
  std::sort(kept_.begin(), kept_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [index, outcome] : kept_) result.outcomes.push_back(std::move(outcome));
  return result;
}

Result<SweepResult> SweepParent::Run() {
  for (Worker& worker : workers_) {
    if (worker.seeds > 0) RETURN_IF_ERROR(Spawn(worker));
  }
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<Worker*> polled;
    for (Worker& worker : workers_) {
      if (worker.fd < 0) continue;
      fds.push_back(pollfd{worker.fd, POLLIN, 0});
      polled.push_back(&worker);
    }
    if (fds.empty()) break;
    const int ready = poll(fds.data(), fds.size(), kTickMs);
    if (ready < 0 && errno != EINTR) {
      return IoError(fmt::format("sweep: poll: {}", std::strerror(errno)));
    }
    for (size_t i = 0; ready > 0 && i < fds.size(); ++i) {
      if (fds[i].revents != 0) RETURN_IF_ERROR(ReadFrom(*polled[i]));
    }
    for (Worker& worker : workers_) {
      if (worker.pid >= 0 && PastFirstFailure(worker)) Kill(worker);
    }
    if (callbacks_.on_tick) callbacks_.on_tick();
  }
  return Finish();
}

}  // namespace

Result<Shard> ParseShard(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return InvalidArgumentError(
        fmt::format("--shard: expected I/N with 1 <= I <= N (for example 1/4), got '{}'", text));
  }
  ASSIGN_OR_RETURN(const uint64_t index, ParseUint64(text.substr(0, slash), "--shard I"));
  ASSIGN_OR_RETURN(const uint64_t count, ParseUint64(text.substr(slash + 1), "--shard N"));
  if (count < 1 || count > kShardsMax) {
    return InvalidArgumentError(
        fmt::format("--shard {}: N must be between 1 and {}", text, kShardsMax));
  }
  if (index < 1 || index > count) {
    return InvalidArgumentError(fmt::format(
        "--shard {}: I must be between 1 and N={} (shards are numbered from 1)", text, count));
  }
  return Shard{index, count};
}

SeedSequence ShardSeeds(const SeedRange& range, const Shard& shard) {
  SLUICE_ASSERT(shard.index >= 1, "shards are 1-based");
  SLUICE_ASSERT(shard.index <= shard.count, "the shard index is within the count");
  SLUICE_ASSERT(range.first <= range.last, "a seed range is not empty");
  const uint64_t seeds_in_range = range.last - range.first + 1;  // <= kSweepSeedsMax: no overflow
  const uint64_t offset = shard.index - 1;
  SeedSequence sequence;
  sequence.first = range.first + offset;
  sequence.stride = shard.count;
  sequence.count = offset < seeds_in_range ? (seeds_in_range - 1 - offset) / shard.count + 1 : 0;
  return sequence;
}

Result<SweepResult> RunSweep(const SweepPlan& plan, const RunSpec& spec,
                             const SweepCallbacks& callbacks) {
  if (plan.jobs < 1 || plan.jobs > kSweepJobsMax) {
    return InvalidArgumentError(
        fmt::format("--jobs {}: must be between 1 and {}", plan.jobs, kSweepJobsMax));
  }
  SLUICE_ASSERT(callbacks.run_seed != nullptr, "a sweep runs seeds");
  SweepParent parent(plan, spec, callbacks);
  return parent.Run();
}

}  // namespace sluice::tools
