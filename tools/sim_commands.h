// `sluice sim list|run|sweep`: runs the scenarios of scenarios/scenario.h in this process.
#pragma once

#include <optional>
#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace sluice::tools {

class SimCommands {
 public:
  // Adds `sim` and its subcommands to `root`. `program` is how the user invoked sluice (argv[0]),
  // used in the repro commands a sweep prints. `root` must outlive this object and vice versa.
  SimCommands(CLI::App& root, std::string program);
  SimCommands(const SimCommands&) = delete;
  SimCommands& operator=(const SimCommands&) = delete;

  // After parsing: the exit code of the `sim` subcommand that was given, or nullopt if none was.
  std::optional<int> RunParsed() const;

 private:
  int List() const;
  int Run() const;
  int Sweep() const;

  std::string program_;
  CLI::App* list_ = nullptr;
  CLI::App* run_ = nullptr;
  CLI::App* sweep_ = nullptr;
  std::string scenario_;
  std::string seed_text_;
  std::string seeds_text_;
  std::string input_path_;
  std::string output_dir_;
  bool json_ = false;
  bool log_events_ = false;
};

}  // namespace sluice::tools
