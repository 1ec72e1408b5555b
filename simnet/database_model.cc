#include "simnet/database_model.h"

#include <fmt/core.h>

#include <algorithm>
#include <utility>

#include "engine/base/assert.h"
#include "engine/base/bytes.h"
#include "engine/rpc/frame.h"
#include "engine/runtime/storage_directory.h"
#include "engine/runtime/sync.h"
#include "simnet/sim_disk.h"

namespace sluice::sim {
namespace {

enum class Op : uint8_t { kPrepare = 1, kCommit, kRollback, kList, kCommitted, kRead };

constexpr char kPrepared[] = "prepared";
constexpr char kCommittedDir[] = "committed";
constexpr int64_t kConnectTimeoutNs = 1000 * 1000 * 1000LL;

std::string HexOf(const std::string& text) {
  std::string out;
  for (unsigned char c : text) out += fmt::format("{:02x}", c);
  return out;
}

bool FromHex(const std::string& hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int value = 0;
    for (size_t j = i; j < i + 2; ++j) {
      const char c = hex[j];
      value = value * 16 + (c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -256);
    }
    if (value < 0) return false;
    out->push_back(static_cast<char>(value));
  }
  return true;
}

using Rows = std::vector<std::vector<std::string>>;

std::string EncodeTransaction(const std::string& table, const Rows& rows) {
  std::string out;
  ByteWriter w(&out);
  w.PutString(table);
  w.PutVarint(rows.size());
  for (const auto& row : rows) {
    w.PutVarint(row.size());
    for (const std::string& value : row) w.PutString(value);
  }
  return out;
}

bool DecodeTransaction(ByteReader& r, std::string* table, Rows* rows) {
  uint64_t count = 0;
  if (!r.GetString(table) || !r.GetVarint(&count) || count > r.remaining()) return false;
  rows->assign(count, {});
  for (auto& row : *rows) {
    uint64_t width = 0;
    if (!r.GetVarint(&width) || width > r.remaining()) return false;
    row.assign(width, "");
    for (std::string& value : row) {
      if (!r.GetString(&value)) return false;
    }
  }
  return true;
}

// The server's state and its one-request-at-a-time lock.
struct Server {
  Host& host;
  const DatabaseModelConfig& config;
  StorageDirectory storage;
  bool busy = false;
  WaitList idle;
};

// Carries out one request; the response payload after the status.
Result<std::string> Execute(Server& server, std::string_view request) {
  ByteReader r(request);
  uint8_t op = 0;
  std::string gid;
  if (!r.GetU8(&op) || !r.GetString(&gid)) return InvalidArgumentError("malformed request");
  StorageDirectory& storage = server.storage;
  const std::string prepared = std::string(kPrepared) + "/" + HexOf(gid);
  const std::string committed = std::string(kCommittedDir) + "/" + HexOf(gid);
  std::string out;
  ByteWriter w(&out);
  switch (static_cast<Op>(op)) {
    case Op::kPrepare: {
      std::string table;
      Rows rows;
      if (!DecodeTransaction(r, &table, &rows) || !r.empty()) {
        return InvalidArgumentError("malformed prepare request");
      }
      if (gid.empty() || gid.size() > kGlobalTransactionIdMaxBytes) {
        return InvalidArgumentError("transaction identifier is too long");
      }
      auto columns = server.config.tables.find(table);
      if (columns == server.config.tables.end()) {
        return InvalidArgumentError("relation \"" + table + "\" does not exist");
      }
      for (const auto& row : rows) {
        if (static_cast<int>(row.size()) != columns->second) {
          return InvalidArgumentError(fmt::format("a row of {} values for table {} of {} columns",
                                                  row.size(), table, columns->second));
        }
      }
      ASSIGN_OR_RETURN(const bool is_prepared, storage.Exists(prepared));
      ASSIGN_OR_RETURN(const bool is_committed, storage.Exists(committed));
      if (is_prepared || is_committed) {
        return AlreadyExistsError("transaction identifier \"" + gid + "\" is already in use");
      }
      ASSIGN_OR_RETURN(const std::vector<std::string> open, storage.List(kPrepared));
      if (static_cast<int>(open.size()) >= server.config.max_prepared_transactions) {
        return ResourceExhaustedError("maximum number of prepared transactions reached");
      }
      RETURN_IF_ERROR(storage.WriteAtomic(prepared, EncodeTransaction(table, rows)));
      return out;
    }
    case Op::kCommit: {
      auto bytes = storage.ReadFile(prepared);
      if (bytes.status().code() == StatusCode::kNotFound) {
        return NotFoundError("prepared transaction with identifier \"" + gid + "\" does not exist");
      }
      RETURN_IF_ERROR(bytes.status());
      RETURN_IF_ERROR(storage.WriteAtomic(committed, *bytes));  // the commit point
      RETURN_IF_ERROR(storage.Remove(prepared));
      return out;
    }
    case Op::kRollback: {
      ASSIGN_OR_RETURN(const bool is_prepared, storage.Exists(prepared));
      if (!is_prepared) {
        return NotFoundError("prepared transaction with identifier \"" + gid + "\" does not exist");
      }
      RETURN_IF_ERROR(storage.Remove(prepared));
      return out;
    }
    case Op::kList: {  // gid is the prefix
      ASSIGN_OR_RETURN(const std::vector<std::string> names, storage.List(kPrepared));
      std::vector<std::string> gids;
      for (const std::string& name : names) {
        std::string decoded;
        if (FromHex(name, &decoded) && decoded.rfind(gid, 0) == 0) gids.push_back(decoded);
      }
      std::sort(gids.begin(), gids.end());
      w.PutVarint(gids.size());
      for (const std::string& decoded : gids) w.PutString(decoded);
      return out;
    }
    case Op::kCommitted: {
      ASSIGN_OR_RETURN(const bool is_committed, storage.Exists(committed));
      w.PutU8(is_committed ? 1 : 0);
      return out;
    }
    case Op::kRead: {  // gid is the table
      if (server.config.tables.count(gid) == 0) {
        return InvalidArgumentError("relation \"" + gid + "\" does not exist");
      }
      ASSIGN_OR_RETURN(const std::vector<std::string> names, storage.List(kCommittedDir));
      Rows all;
      for (const std::string& name : names) {
        ASSIGN_OR_RETURN(const std::string bytes,
                         storage.ReadFile(std::string(kCommittedDir) + "/" + name));
        ByteReader file(bytes);
        std::string table;
        Rows rows;
        if (!DecodeTransaction(file, &table, &rows)) return DataLossError("a torn commit file");
        if (table != gid) continue;
        for (auto& row : rows) all.push_back(std::move(row));
      }
      w.PutString(EncodeTransaction(gid, all));
      return out;
    }
  }
  return InvalidArgumentError("unknown request");
}

void ServeConnection(Server& server, std::unique_ptr<Stream> stream) {
  FrameReader reader(stream.get());
  for (;;) {
    auto request = reader.Next();
    if (!request.ok()) return;
    const std::string copy(*request);
    while (server.busy) server.idle.Wait(server.host.fibers);
    server.busy = true;
    struct Release {
      Server& server;
      ~Release() {
        server.busy = false;
        server.idle.NotifyOne(server.host.fibers);
      }
    } release{server};
    Result<std::string> result = Execute(server, copy);
    std::string response;
    ByteWriter w(&response);
    w.PutU8(static_cast<uint8_t>(result.status().code()));
    w.PutString(result.status().message());
    if (result.ok()) response += *result;
    if (!WriteFrame(*stream, response).ok()) return;
  }
}

// Start-up recovery: a transaction whose commit file exists is committed, whatever a crash left
// of its prepared file.
Status Recover(StorageDirectory& storage) {
  auto prepared = storage.List(kPrepared);
  if (prepared.status().code() == StatusCode::kNotFound) return Status::Ok();
  RETURN_IF_ERROR(prepared.status());
  for (const std::string& name : *prepared) {
    ASSIGN_OR_RETURN(const bool committed, storage.Exists(std::string(kCommittedDir) + "/" + name));
    if (committed) RETURN_IF_ERROR(storage.Remove(std::string(kPrepared) + "/" + name));
  }
  return Status::Ok();
}

class ModelConnection final : public DatabaseConnection {
 public:
  ModelConnection(std::unique_ptr<Stream> stream, std::string name)
      : stream_(std::move(stream)), reader_(stream_.get()), name_(std::move(name)) {}

  Status PrepareTransaction(const std::string& gid, const std::string& table,
                            const Rows& rows) override {
    return Call(Op::kPrepare, gid, EncodeTransaction(table, rows)).status();
  }
  Status CommitPrepared(const std::string& gid) override {
    return Call(Op::kCommit, gid, "").status();
  }
  Status RollbackPrepared(const std::string& gid) override {
    return Call(Op::kRollback, gid, "").status();
  }
  Result<std::vector<std::string>> ListPrepared(const std::string& prefix) override {
    ASSIGN_OR_RETURN(const std::string payload, Call(Op::kList, prefix, ""));
    ByteReader r(payload);
    uint64_t count = 0;
    std::vector<std::string> gids;
    if (!r.GetVarint(&count) || count > payload.size()) return Malformed();
    gids.assign(count, "");
    for (std::string& gid : gids) {
      if (!r.GetString(&gid)) return Malformed();
    }
    return gids;
  }
  Result<Rows> ReadTable(const std::string& table) override {
    ASSIGN_OR_RETURN(const std::string payload, Call(Op::kRead, table, ""));
    ByteReader r(payload);
    std::string encoded;
    if (!r.GetString(&encoded)) return Malformed();
    ByteReader transaction(encoded);
    std::string name;
    Rows rows;
    if (!DecodeTransaction(transaction, &name, &rows)) return Malformed();
    return rows;
  }

  Result<bool> Committed(const std::string& gid) override {
    ASSIGN_OR_RETURN(const std::string payload, Call(Op::kCommitted, gid, ""));
    ByteReader r(payload);
    uint8_t committed = 0;
    if (!r.GetU8(&committed)) return Malformed();
    return committed != 0;
  }

 private:
  Status Malformed() const { return UnavailableError("database " + name_ + ": a malformed answer"); }

  Result<std::string> Call(Op op, const std::string& gid, const std::string& fields) {
    if (!stream_) return UnavailableError("database " + name_ + ": the connection is closed");
    std::string request;
    ByteWriter w(&request);
    w.PutU8(static_cast<uint8_t>(op));
    w.PutString(gid);
    request += fields;
    Status sent = WriteFrame(*stream_, request);
    auto response = sent.ok() ? reader_.Next() : Result<std::string_view>(sent);
    if (!response.ok()) {
      stream_->Close();
      stream_.reset();
      return UnavailableError("database " + name_ + ": " + response.status().ToString());
    }
    ByteReader r(*response);
    uint8_t code = 0;
    std::string message;
    if (!r.GetU8(&code) || !r.GetString(&message) ||
        code > static_cast<uint8_t>(StatusCode::kUnauthenticated)) {
      return Malformed();
    }
    if (code != 0) return Status(static_cast<StatusCode>(code), message);
    return std::string(r.rest());
  }

  std::unique_ptr<Stream> stream_;
  FrameReader reader_;
  std::string name_;
};

}  // namespace

Status RunDatabaseModel(Host& host, const DatabaseModelConfig& config) {
  Server server{host, config, StorageDirectory(host.fs, config.root)};
  for (int tries = 0;; ++tries) {  // a full or failing disk: wait for it
    const Status recovered = Recover(server.storage);
    if (recovered.ok()) break;
    if (tries % 50 == 0) host.log.Warn("database.recovery_failed", recovered.ToString());
    host.fibers.SleepFor(100 * 1000 * 1000LL);
  }
  ASSIGN_OR_RETURN(auto listener, host.network.Listen(Address{"localhost", config.port}));
  host.log.Info("database.listening", "port " + std::to_string(listener->port()));
  for (;;) {
    auto accepted = listener->Accept();
    if (!accepted.ok()) return Status::Ok();
    auto shared = std::make_shared<std::unique_ptr<Stream>>(std::move(accepted).value());
    host.fibers.Spawn("database-connection",
                      [&server, shared] { ServeConnection(server, std::move(*shared)); });
  }
}

Result<std::unique_ptr<DatabaseConnection>> ModelDatabases::Connect(const std::string& url) {
  std::string rest;
  for (const char* scheme : {"postgresql://", "postgres://"}) {
    if (url.rfind(scheme, 0) == 0) rest = url.substr(std::string(scheme).size());
  }
  if (rest.empty()) {
    return InvalidArgumentError("database url '" + url +
                                "': the simulator reads postgresql://HOST[:PORT] URLs");
  }
  rest = rest.substr(0, rest.find_first_of("/?"));
  if (const size_t at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  Address address{rest, 5432};
  if (const size_t colon = rest.rfind(':'); colon != std::string::npos) {
    address.host = rest.substr(0, colon);
    const std::string port = rest.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) {
      return InvalidArgumentError("database url '" + url + "': a bad port");
    }
    address.port = static_cast<uint16_t>(std::stoi(port));
  }
  if (address.host.empty()) return InvalidArgumentError("database url '" + url + "': no host");
  auto stream = network_.Connect(address, kConnectTimeoutNs);
  if (!stream.ok()) {
    return UnavailableError("database url '" + url + "': " + stream.status().ToString());
  }
  return std::unique_ptr<DatabaseConnection>(
      std::make_unique<ModelConnection>(std::move(stream).value(), address.ToString()));
}

std::vector<std::vector<std::string>> CommittedRows(SimDisk& disk, const std::string& root,
                                                    const std::string& table) {
  std::vector<std::vector<std::string>> out;
  const std::string dir = root + "/" + kCommittedDir;
  for (const std::string& name : disk.ListCurrent(dir)) {
    auto bytes = disk.ReadCurrent(dir + "/" + name);
    SLUICE_ASSERT(bytes.ok(), "a listed commit file reads");
    ByteReader r(*bytes);
    std::string stored_table;
    Rows rows;
    SLUICE_ASSERT(DecodeTransaction(r, &stored_table, &rows), "a commit file decodes");
    if (stored_table != table) continue;
    for (auto& row : rows) out.push_back(std::move(row));
  }
  return out;
}

}  // namespace sluice::sim
