// The files of a job run on real processes, before and after:
//   sluice input JOB DIR [--splits N] [--input FILE] [-D key=value]...
//     writes the job's input into DIR as N files part-0 .. part-(N-1) (default 2), cut at line
//     boundaries: FILE, or the job's default input (Nexmark: its generated events, as -D
//     nexmark.* describes them; word count: the built-in text corpus). The JobManager reads it
//     with `--input DIR --input-splits N`, one file per source split.
//   sluice verify JOB --input DIR --output DIR [-D key=value]...
//     checks the output a run committed (DIR/committed, of `jobmanager --output DIR`) against
//     that input: word count with its own oracle (every word's running counts 1..n, each once),
//     any other job against the reference evaluator (scenarios/reference_evaluator.h), with the
//     job settings the run had. Prints "exactly once: OK (...)" or the first violation.
// Exit codes: 0 written / exactly once; 1 not exactly once (an output directory with nothing
// committed yet is that); 2 bad usage, a missing input or output directory, an unreadable or
// unwritable file, or a job whose output cannot be judged.
#pragma once

#include <optional>
#include <string>

#include "engine/api/job_registry.h"
#include "tools/job_options.h"

namespace CLI {
class App;
}  // namespace CLI

namespace sluice::tools {

class JobFilesCommands {
 public:
  // `jobs` (the program's job registry) must outlive this object.
  JobFilesCommands(CLI::App& root, const JobRegistry& jobs);
  JobFilesCommands(const JobFilesCommands&) = delete;
  JobFilesCommands& operator=(const JobFilesCommands&) = delete;

  // After parsing: the exit code of `input` or `verify` if one was given, nullopt otherwise.
  std::optional<int> RunParsed() const;

 private:
  int WriteInput() const;
  int Verify() const;

  const JobRegistry& jobs_;
  CLI::App* input_ = nullptr;
  CLI::App* verify_ = nullptr;
  JobFlags flags_;
  std::string input_dir_;   // input: where to write; verify: where the input is
  std::string output_dir_;  // verify: the run's --output
  std::string input_file_;  // input: the file to split (default: the job's default input)
  int splits_ = 2;
};

}  // namespace sluice::tools
