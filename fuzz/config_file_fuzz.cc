// ParseConfigFile (a process's TOML configuration) on arbitrary text: settings or an error
// naming the file and line, never a crash.
#include <cstdint>

#include "engine/config/config_file.h"
#include "fuzz/fuzz_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)sluice::ParseConfigFile(sluice::fuzz::AsView(data, size), "fuzzed.toml");
  return 0;
}
