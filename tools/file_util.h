// Whole-file reads and writes for the CLI (outside engine/, so plain POSIX and std::filesystem).
// Every error names the path and the OS reason. None of these throw.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/base/status.h"

namespace sluice::tools {

// Upper bound on any single file the CLI reads into memory (an input, a committed output part).
inline constexpr uint64_t kFileBytesMax = 1ULL << 30;

// The bytes of a regular file. kNotFound / kIoError / kResourceExhausted (over kFileBytesMax),
// each naming `path`; kInvalidArgument if `path` is a directory.
Result<std::string> ReadWholeFile(const std::string& path);

// Creates or truncates `path` and writes `data`. kIoError naming the path on failure.
Status WriteWholeFile(const std::string& path, const std::string& data);

// mkdir -p. kIoError naming the path if it cannot be created or is not a directory.
Status CreateDirectories(const std::string& path);

// Writes each entry of `files` (relative name → contents) under `dir`, creating `dir` and any
// subdirectories a name needs. kInvalidArgument for an empty or absolute name or one with a ".."
// component (nothing is written outside `dir`); kIoError naming the path otherwise.
Status WriteFilesUnder(const std::string& dir, const std::map<std::string, std::string>& files);

// Names of the regular files directly under `dir`, sorted bytewise. An empty list for a missing
// directory; kIoError if it exists but cannot be listed.
Result<std::vector<std::string>> ListRegularFiles(const std::string& dir);

}  // namespace sluice::tools
