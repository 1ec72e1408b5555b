// Host: everything a host program may touch, bundled and passed in explicitly (the seam).
// A host program is a plain function `Status RunX(Host&, const XConfig&)`; the simulator starts it
// on a simulated host, main() on a real one, and the program cannot tell which. No globals.
#pragma once

#include <string>

#include "engine/runtime/clock.h"
#include "engine/runtime/database.h"
#include "engine/runtime/event_log.h"
#include "engine/runtime/fault_injection.h"
#include "engine/runtime/fibers.h"
#include "engine/runtime/file_system.h"
#include "engine/runtime/network.h"
#include "engine/runtime/random.h"

namespace sluice {

struct Host {
  std::string name;  // "jobmanager", "taskmanager-2", ...
  Clock& clock;
  Fibers& fibers;
  Network& network;
  FileSystem& fs;
  Random& random;
  EventLog& log;
  FaultInjection& faults;  // fault points and planted bugs (simulation only)
  Databases& databases;    // external databases a sink writes to (engine/runtime/database.h)
};

}  // namespace sluice
