#include "tools/job_files_commands.h"

#include "tools/database_output.h"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <map>
#include <vector>

#include "scenarios/wordcount_cluster.h"
#include "tools/cli_common.h"
#include "tools/exactly_once.h"
#include "tools/file_util.h"

namespace sluice::tools {
namespace {

// The files of `dir` a line source reads, in its order: every regular file whose name does not
// start with '.' or '_', by name (engine/connectors/line_source.h).
Result<std::vector<std::string>> SplitFiles(const std::string& dir) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    return NotFoundError("'" + dir + "' is not a directory");
  }
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListRegularFiles(dir));
  std::vector<std::string> splits;
  for (const std::string& name : names) {
    if (!name.empty() && name[0] != '.' && name[0] != '_') splits.push_back(name);
  }
  std::sort(splits.begin(), splits.end());
  return splits;
}

}  // namespace

JobFilesCommands::JobFilesCommands(CLI::App& root, const JobRegistry& jobs) : jobs_(jobs) {
  input_ = root.add_subcommand("input", "Write a job's input as the files of a directory");
  input_->add_option("job", flags_.job, "The job (see `sluice jobs`)")->required()->type_name("JOB");
  input_->add_option("dir", input_dir_, "The directory to write part-0 .. part-(N-1) into")
      ->required()
      ->type_name("DIR");
  input_->add_option("--splits", splits_, "How many files (source splits; default 2)")
      ->type_name("N")
      ->check(CLI::Range(1, 1024));
  input_->add_option("--input", input_file_, "The file to split (default: the job's own input)")
      ->type_name("FILE");
  AddJobFlags(*input_, flags_, /*with_job=*/false);

  verify_ = root.add_subcommand(
      "verify", "Check the output a run committed against its input: exactly once or not");
  verify_->add_option("job", flags_.job, "The job (see `sluice jobs`)")->required()->type_name("JOB");
  verify_->add_option("--input", input_dir_, "The run's input directory (jobmanager --input)")
      ->required()
      ->type_name("DIR");
  verify_
      ->add_option("--output", output_dir_,
                   "The run's output directory (jobmanager --output); not with -D "
                   "sink.postgres.url, whose table is read instead")
      ->type_name("DIR");
  AddJobFlags(*verify_, flags_, /*with_job=*/false);
}

std::optional<int> JobFilesCommands::RunParsed() const {
  if (input_->parsed()) return WriteInput();
  if (verify_->parsed()) return Verify();
  return std::nullopt;
}

int JobFilesCommands::WriteInput() const {
  auto spec = ParseJobFlags(jobs_, flags_);
  if (!spec.ok()) return UsageError(spec.status().message());
  auto input = LoadJobInput(jobs_, *spec, input_file_);
  if (!input.ok()) return UsageError(input.status().message());
  Status created = CreateDirectories(input_dir_);
  if (!created.ok()) return UsageError(created.message());
  const std::vector<std::string> parts =
      scenarios::WordCountCluster::SplitIntoPartitions(*input, splits_);
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string path = fmt::format("{}/part-{}", input_dir_, i);
    Status written = WriteWholeFile(path, parts[i]);
    if (!written.ok()) return UsageError(written.message());
  }
  fmt::print("input: {} bytes of {} in {} files in {}\n", input->size(), spec->job, parts.size(),
             input_dir_);
  return kExitOk;
}

int JobFilesCommands::Verify() const {
  auto spec = ParseJobFlags(jobs_, flags_);
  if (!spec.ok()) return UsageError(spec.status().message());
  auto split_names = SplitFiles(input_dir_);
  if (!split_names.ok()) {
    return UsageError(split_names.status().WithContext("--input").message());
  }
  std::vector<std::string> splits;
  for (const std::string& name : *split_names) {
    auto text = ReadWholeFile(input_dir_ + "/" + name);
    if (!text.ok()) return UsageError(text.status().message());
    splits.push_back(std::move(text).value());
  }
  auto effective = jobs_.EffectiveSettings(*spec);
  if (!effective.ok()) return UsageError(effective.status().message());
  auto from_database = ReadDatabaseOutput(*effective);
  if (!from_database.ok()) {
    if (from_database.status().code() == StatusCode::kFailedPrecondition) {
      fmt::print("exactly once: FAILED: {}\n", from_database.status().message());
      return kExitFailed;
    }
    return UsageError(from_database.status().message());
  }
  std::map<std::string, std::string> committed;
  if (from_database->has_value()) {
    committed = std::move(**from_database);
  } else {
    if (output_dir_.empty()) {
      return UsageError("--output is required (or -D sink.postgres.url: the database the run "
                        "committed into)");
    }
    const std::string committed_dir = output_dir_ + "/committed";
    if (std::error_code error; !std::filesystem::is_directory(output_dir_, error)) {
      return UsageError("--output: '" + output_dir_ + "' is not a directory");
    }
    auto names = ListRegularFiles(committed_dir);
    if (!names.ok()) return UsageError(names.status().WithContext("--output").message());
    for (const std::string& name : *names) {
      auto text = ReadWholeFile(committed_dir + "/" + name);
      if (!text.ok()) return UsageError(text.status().message());
      committed[name] = std::move(text).value();
    }
  }
  const JobGraph* graph = nullptr;  // word count: its own oracle
  Result<JobGraph> built = InvalidArgumentError("not built");
  if (spec->job != "wordcount") {
    spec->input_splits = static_cast<int>(splits.size());
    built = jobs_.Build(*spec);
    if (!built.ok()) return UsageError(built.status().message());
    graph = &built.value();
  }
  auto verdict = JudgeCommittedOutput(graph, splits, committed);
  if (!verdict.ok()) {
    return UsageError(verdict.status().WithContext("job '" + spec->job + "'").message());
  }
  if (!verdict->exactly_once) {
    fmt::print("exactly once: FAILED: {} ({} records committed, {} expected)\n", verdict->problem,
               verdict->records, verdict->expected);
    return kExitFailed;
  }
  if (from_database->has_value()) {
    fmt::print("exactly once: OK ({} records in table {})\n", verdict->records,
               committed.begin()->first);
    return kExitOk;
  }
  fmt::print("exactly once: OK ({} records in {} files{})\n", verdict->records, committed.size(),
             graph != nullptr ? ", as the reference evaluator" : "");
  return kExitOk;
}

}  // namespace sluice::tools
