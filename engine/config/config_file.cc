#include "engine/config/config_file.h"

#include <fmt/core.h>

#include <toml++/toml.h>

#include <algorithm>
#include <optional>
#include <utility>

namespace sluice {
namespace {

int LineOf(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

// A scalar's text as a -D value would give it; nullopt for a date, time or date-time.
std::optional<std::string> ScalarText(const toml::node& node) {
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* d = node.as_floating_point()) return fmt::format("{}", d->get());
  if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
  return std::nullopt;
}

class Flattener {
 public:
  explicit Flattener(ConfigFile* file) : file_(file) {}

  Status Table(const toml::table& table, const std::string& prefix) {
    for (const auto& [name, node] : table) {
      const std::string key = prefix.empty() ? std::string(name.str())
                                             : prefix + "." + std::string(name.str());
      RETURN_IF_ERROR(Node(node, key));
    }
    return Status::Ok();
  }

 private:
  Status Node(const toml::node& node, const std::string& key) {
    if (const auto* table = node.as_table()) return Table(*table, key);
    const int line = LineOf(node);
    std::string value;
    if (const auto* array = node.as_array()) {
      for (const toml::node& element : *array) {
        std::optional<std::string> text = ScalarText(element);
        if (!text) {
          return Error(line, key, "an array may hold strings, numbers and booleans only");
        }
        if (!value.empty()) value += ",";
        value += *text;
      }
    } else {
      std::optional<std::string> text = ScalarText(node);
      if (!text) return Error(line, key, "dates and times are not settings");
      value = std::move(*text);
    }
    auto [it, fresh] = file_->lines.try_emplace(key, line);
    if (!fresh) {
      const int first = std::min(line, it->second);
      return Error(std::max(line, it->second), key,
                   fmt::format("set twice (first on line {})", first));
    }
    file_->settings.Set(key, std::move(value));
    return Status::Ok();
  }

  Status Error(int line, const std::string& key, const std::string& what) const {
    return InvalidArgumentError(fmt::format("{}:{}: {}: {}", file_->name, line, key, what));
  }

  ConfigFile* file_;
};

}  // namespace

Result<ConfigFile> ParseConfigFile(std::string_view text, const std::string& file_name) {
  ConfigFile file;
  file.name = file_name;
  toml::table table;
  try {
    table = toml::parse(text, file_name);
  } catch (const toml::parse_error& error) {
    return InvalidArgumentError(fmt::format("{}:{}:{}: {}", file_name, error.source().begin.line,
                                            error.source().begin.column, error.description()));
  }
  RETURN_IF_ERROR(Flattener(&file).Table(table, ""));
  return file;
}

Status ValidateConfigFile(const ConfigFile& file, std::span<const ConfigOption> options) {
  for (const auto& [key, value] : file.settings.entries()) {
    Configuration one;
    one.Set(key, value);
    const Status valid = one.Validate(options);
    if (!valid.ok()) {
      const auto line = file.lines.find(key);
      return InvalidArgumentError(fmt::format(
          "{}:{}: {}", file.name, line == file.lines.end() ? 0 : line->second, valid.message()));
    }
  }
  return Status::Ok();
}

}  // namespace sluice
