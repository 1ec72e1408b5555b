#include "tools/internal_commands.h"

#include <CLI/CLI.hpp>

#include "engine/checkpoint/store.h"
#include "tools/cli_common.h"
#include "tools/process_commands.h"

namespace sluice::tools {
namespace {

// The store's directory under the store process's root (the cluster command reads it there).
constexpr char kStoreDirName[] = "store";

}  // namespace

InternalCommands::InternalCommands(CLI::App& root) {
  CLI::App* internal = root.add_subcommand("internal", "Processes started by `cluster local`");
  internal->group("");  // hidden from --help
  internal->require_subcommand(1);

  store_ = internal->add_subcommand("store", "Run the store server");
  store_->add_option("--root", root_dir_, "Runtime root directory")->required();
  store_->add_option("--port", port_, "Listening port")->required()->check(CLI::Range(1, 65535));
  store_->add_option("--bind-host", bind_host_, "The address to listen on (default localhost)");
  store_->add_option("--auth-secret-file", auth_secret_file_,
                     "The cluster's shared secret (security.auth.secret-file): authenticate "
                     "every connection");
}

std::optional<int> InternalCommands::RunParsed() const {
  if (store_->parsed()) return RunStore();
  return std::nullopt;
}

int InternalCommands::RunStore() const {
  StoreServerConfig config;
  config.port = static_cast<uint16_t>(port_);
  config.bind_host = bind_host_;
  config.root = kStoreDirName;
  std::string secret;
  if (!auth_secret_file_.empty()) {
    auto read = ReadAuthSecret(auth_secret_file_);
    if (!read.ok()) return UsageError(read.status().message());
    secret = std::move(read).value();
  }
  return RunRealHost(
      "store", root_dir_, [&config](Host& host) { return RunStoreServer(host, config); }, secret);
}

}  // namespace sluice::tools
