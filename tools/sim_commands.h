// `sluice sim list|bugs|run|sweep|shrink`: runs the scenarios of scenarios/scenario.h in this
// process (sweep also in forked worker processes). README.md documents each command's flags,
// output and exit codes.
#pragma once

#include <optional>
#include <string>

#include "tools/sim_command_util.h"

namespace CLI {
class App;
}  // namespace CLI

namespace sluice::tools {

class SimCommands {
 public:
  // Adds `sim` and its subcommands to `root`. `program` is how the user invoked sluice (argv[0]),
  // used in the repro commands. `root` must outlive this object and vice versa.
  // `jobs` (the program's job registry) must outlive this object.
  SimCommands(CLI::App& root, std::string program, const JobRegistry& jobs);
  SimCommands(const SimCommands&) = delete;
  SimCommands& operator=(const SimCommands&) = delete;

  // After parsing: the exit code of the `sim` subcommand that was given, or nullopt if none was.
  std::optional<int> RunParsed() const;

 private:
  void AddRun(CLI::App& sim);
  void AddSweep(CLI::App& sim);
  void AddShrink(CLI::App& sim);

  CLI::App* list_ = nullptr;
  CLI::App* bugs_ = nullptr;
  CLI::App* run_ = nullptr;
  CLI::App* sweep_ = nullptr;
  CLI::App* shrink_ = nullptr;
  SimFlags flags_;
};

}  // namespace sluice::tools
