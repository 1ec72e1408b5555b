// Configuration files: a JobManager's or TaskManager's settings in TOML, keyed by Flink's
// configuration keys, as Flink's config.yaml keeps them (one file per process; the same keys as
// -D, which override the file).
//
// A key may be written dotted or nested, all giving the setting "jobmanager.rpc.port":
//   jobmanager.rpc.port = 6123
//   "jobmanager.rpc.port" = 6123          # quoted: one key with dots in it
//   [jobmanager.rpc]
//   port = 6123
// Values: a string as written; an integer, float or boolean in TOML's syntax as its text
// ("6123", "0.5", "true"); an array of those joined by "," (high-availability.etcd.endpoints =
// ["http://a:2379", "http://b:2379"]). Dates, times, arrays of tables and nested arrays are
// refused. The same key given twice (say quoted and nested) is refused naming both lines.
//
// Errors are kInvalidArgument and name the file and the line: "FILE:LINE:COL: <toml++'s
// message>" for TOML syntax, "FILE:LINE: <key>: ..." for a value or a key the options do not
// know (ValidateConfigFile). The file's bytes come from the caller (it reads them through the
// seam or, in the CLI, from disk). Thread safety: values; nothing here suspends.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>

#include "engine/base/status.h"
#include "engine/config/configuration.h"

namespace sluice {

struct ConfigFile {
  std::string name;          // the file's path as the user gave it (named in errors)
  Configuration settings;    // flattened: Flink key → value text
  std::map<std::string, int, std::less<>> lines;  // key → the line (1-based) that set it
};

// Parses `text` (TOML) named `file_name`. Errors as above.
Result<ConfigFile> ParseConfigFile(std::string_view text, const std::string& file_name);

// Checks every key of `file` against `options` (Configuration::Validate, key by key), naming
// the file and the line of the first key that is unknown or whose value does not parse.
Status ValidateConfigFile(const ConfigFile& file, std::span<const ConfigOption> options);

}  // namespace sluice
