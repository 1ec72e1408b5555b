#include "engine/runtime/real/real_runtime.h"

#include <signal.h>
#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "engine/base/assert.h"
#include "engine/runtime/real/os_error.h"

namespace sluice::real {
namespace {

// getrandom(2) attempts before giving up; it fails only on EINTR (retried) or without a kernel
// entropy source at all.
constexpr int kGetrandomAttemptsMax = 100;

void IgnoreSigpipe() {
  struct sigaction action = {};
  action.sa_handler = SIG_IGN;
  sigemptyset(&action.sa_mask);
  const int rc = sigaction(SIGPIPE, &action, nullptr);
  SLUICE_ASSERT(rc == 0, "SIGPIPE is a valid signal");
  (void)rc;
}

}  // namespace

uint64_t SeedFromOs() {
  for (int attempt = 0; attempt < kGetrandomAttemptsMax; ++attempt) {
    uint64_t seed = 0;
    const ssize_t n = getrandom(&seed, sizeof(seed), 0);
    if (n == static_cast<ssize_t>(sizeof(seed)) && seed != 0) return seed;
    if (n < 0 && errno != EINTR) {
      std::fprintf(stderr, "sluice: getrandom: %s\n", ErrnoMessage(errno).c_str());
      std::abort();
    }
  }
  std::fprintf(stderr, "sluice: getrandom returned no seed after %d attempts\n",
               kGetrandomAttemptsMax);
  std::abort();
}

RealRuntime::RealRuntime(std::string host_name, std::string root_dir, uint64_t seed, bool verbose,
                         const NetworkWrapper& wrap_network)
    : seed_(seed != 0 ? seed : SeedFromOs()),
      reactor_(scheduler_, clock_),
      network_(reactor_),
      fs_(std::move(root_dir)),
      random_(seed_),
      log_(host_name, verbose),
      wrapped_network_(wrap_network ? wrap_network(network_, random_, log_, reactor_) : nullptr),
      host_{std::move(host_name), clock_,  reactor_, wrapped_network_ ? *wrapped_network_ : network_,
            fs_,                  random_, log_,     faults_, databases_} {
  SLUICE_ASSERT(seed_ != 0, "the PRNG seed is non-zero");
  IgnoreSigpipe();
}

RealRuntime::~RealRuntime() {
  // While every member is alive: unwinding fibers may still close sockets or cancel timers.
  scheduler_.KillGroup(kHostGroup);
  SLUICE_ASSERT(scheduler_.LiveCount() == 0, "every fiber ended before the runtime is destroyed");
}

Status RealRuntime::Run(std::function<Status(Host&)> program) {
  SLUICE_ASSERT(!scheduler_.InFiber(), "Run blocks the thread; call it outside any fiber");
  SLUICE_ASSERT(program != nullptr, "Run is given a host program");
  if (!fs_.root_dir().empty()) RETURN_IF_ERROR(fs_.CreateDir(""));  // "" resolves to root_dir
  Status result = CancelledError("host " + host_.name + ": the main fiber was cancelled");
  const FiberId main =
      scheduler_.Spawn(kHostGroup, "main", [this, &program, &result] { result = program(host_); });
  SLUICE_ASSERT(main != kNoFiber, "no kill of the host group is in progress outside Run");
  const Status loop = reactor_.RunUntilFinished(main);
  scheduler_.KillGroup(kHostGroup);
  SLUICE_ASSERT(scheduler_.LiveCountInGroup(kHostGroup) == 0, "killing the host group ended all its fibers");
  if (!loop.ok()) return loop.WithContext("host " + host_.name);
  return result;
}

}  // namespace sluice::real
