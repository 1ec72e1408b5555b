#include "simnet/store_server.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "engine/base/assert.h"
#include "engine/base/bytes.h"
#include "engine/runtime/sync.h"

namespace sluice {
namespace {

enum class StoreOp : uint8_t {
  kRead = 1,
  kSize,
  kWriteAtomic,
  kRename,
  kRemove,
  kExists,
  kList,
  kReadWhole,
  kCreateDir,
};

constexpr uint64_t kMaxReadBytes = 16 * 1024 * 1024;

bool SafePath(const std::string& path) {
  if (path.empty() || path[0] == '/') return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view part(path.data() + start, end - start);
    if (part == ".." || part.empty()) return false;
    start = end + 1;
  }
  return true;
}

// The response frame: [status code][message][payload], framed in place.
std::string EncodeResponseFrame(const Status& status, std::string_view payload) {
  std::string frame;
  const size_t frame_start = StartFrame(&frame);
  ByteWriter w(&frame);
  w.PutU8(static_cast<uint8_t>(status.code()));
  w.PutString(status.message());
  w.PutRaw(payload);
  FinishFrame(&frame, frame_start);
  return frame;
}

Status EnsureParent(FileSystem& fs, const std::string& path) {
  const std::string parent = ParentDir(path);
  return parent == "." ? Status::Ok() : fs.CreateDir(parent);
}

// Directories whose entries may have changed without being made durable: a mutation failed after
// it may have changed the namespace (a rename done, its directory sync failed). Until they are
// synced, the store's current namespace shows state a crash would revert, so it answers no
// request before syncing them: otherwise a reader acts on a non-durable state (a sink saw its
// commit's rename, counted the transaction as committed, and the crash that followed lost it
// after a later sync of pending/ had made its removal durable: chaos seed 20649).
// Kept in the order the failed operations need (a rename's target directory before its source),
// without duplicates. Lives in memory: a crash reverts the namespace to the durable one anyway.
class UnsyncedDirs {
 public:
  void Add(const std::string& dir) {
    auto it = Find(dir);
    if (it == dirs_.end()) {
      dirs_.push_back(Entry{dir, 0});
    } else {
      ++it->changes;  // changed again: a sync already under way may not cover it
    }
  }
  // Syncs every listed directory, in order; stops at the first failure (which it returns). A
  // directory that no longer exists needs nothing (directories are removed only when empty).
  // May suspend; other fibers may add or sync meanwhile.
  Status SyncAll(Host& host) {
    // Each pass syncs the first entry; a bound in case failing fibers keep adding entries.
    for (size_t pass = 0; !dirs_.empty() && pass < kUnsyncedDirsMax; ++pass) {
      const Entry entry = dirs_.front();
      Status synced = host.fs.SyncDir(entry.dir);
      if (!synced.ok() && synced.code() != StatusCode::kNotFound) return synced;
      auto it = Find(entry.dir);
      if (it != dirs_.end() && it->changes == entry.changes) {
        dirs_.erase(it);
        host.log.Info("store.resynced", entry.dir);
      }
    }
    return dirs_.empty() ? Status::Ok() : UnavailableError("store: directories left unsynced");
  }

 private:
  struct Entry {
    std::string dir;
    uint64_t changes = 0;  // failed mutations since it was listed
  };
  std::vector<Entry>::iterator Find(const std::string& dir) {
    return std::find_if(dirs_.begin(), dirs_.end(),
                        [&dir](const Entry& entry) { return entry.dir == dir; });
  }
  static constexpr size_t kUnsyncedDirsMax = 1024;
  std::vector<Entry> dirs_;
};

// What the connection fibers of one store server share; it outlives them (a crash cancels them
// first).
struct StoreState {
  Host& host;
  std::string root;
  UnsyncedDirs unsynced;
};

// Executes one request against the server's root. Returns the response payload.
Result<std::string> Execute(StoreState& state, std::string_view request) {
  FileSystem& fs = state.host.fs;
  const std::string& root = state.root;
  ByteReader r(request);
  uint8_t op = 0;
  std::string path;
  if (!r.GetU8(&op) || !r.GetString(&path)) return InvalidArgumentError("malformed store request");
  if (!SafePath(path)) return InvalidArgumentError("unsafe store path '" + path + "'");
  RETURN_IF_ERROR(state.unsynced.SyncAll(state.host));
  const std::string full = root + "/" + path;
  // A mutation that fails may have changed the namespace without making it durable.
  auto unsynced_on_failure = [&state](Status status, std::initializer_list<std::string> dirs) {
    if (!status.ok()) {
      for (const std::string& dir : dirs) state.unsynced.Add(dir);
      state.host.log.Warn("store.unsynced", status.ToString());
    }
    return status;
  };
  std::string payload;
  ByteWriter w(&payload);
  switch (static_cast<StoreOp>(op)) {
    case StoreOp::kRead: {
      uint64_t offset = 0, max_bytes = 0;
      if (!r.GetU64(&offset) || !r.GetU64(&max_bytes)) return InvalidArgumentError("bad read");
      ASSIGN_OR_RETURN(std::string data,
                       fs.ReadRange(full, offset, std::min(max_bytes, kMaxReadBytes)));
      return data;
    }
    case StoreOp::kReadWhole: {
      ASSIGN_OR_RETURN(uint64_t size, fs.FileSize(full));
      ASSIGN_OR_RETURN(std::string data, fs.ReadRange(full, 0, std::min(size, kMaxReadBytes)));
      w.PutU64(size);
      payload += data;
      return payload;
    }
    case StoreOp::kSize: {
      ASSIGN_OR_RETURN(uint64_t size, fs.FileSize(full));
      w.PutU64(size);
      return payload;
    }
    case StoreOp::kWriteAtomic: {
      RETURN_IF_ERROR(EnsureParent(fs, full));
      RETURN_IF_ERROR(
          unsynced_on_failure(WriteFileAtomically(fs, full, r.rest()), {ParentDir(full)}));
      return payload;
    }
    case StoreOp::kRename: {
      std::string to;
      if (!r.GetString(&to) || !SafePath(to)) return InvalidArgumentError("bad rename target");
      const std::string full_to = root + "/" + to;
      RETURN_IF_ERROR(EnsureParent(fs, full_to));
      RETURN_IF_ERROR(fs.Rename(full, full_to));
      // The target's directory first: a crash between the two syncs keeps the file under both
      // names (a retried rename then finds it committed), never under neither.
      Status synced = fs.SyncDir(ParentDir(full_to));
      if (synced.ok() && ParentDir(full_to) != ParentDir(full)) synced = fs.SyncDir(ParentDir(full));
      RETURN_IF_ERROR(unsynced_on_failure(synced, {ParentDir(full_to), ParentDir(full)}));
      return payload;
    }
    case StoreOp::kRemove: {
      RETURN_IF_ERROR(fs.Remove(full));
      RETURN_IF_ERROR(unsynced_on_failure(fs.SyncDir(ParentDir(full)), {ParentDir(full)}));
      return payload;
    }
    case StoreOp::kExists: {
      ASSIGN_OR_RETURN(bool exists, fs.Exists(full));
      w.PutU8(exists ? 1 : 0);
      return payload;
    }
    case StoreOp::kList: {
      ASSIGN_OR_RETURN(std::vector<std::string> names, fs.List(full));
      w.PutVarint(names.size());
      for (const auto& name : names) w.PutString(name);
      return payload;
    }
    case StoreOp::kCreateDir: {
      RETURN_IF_ERROR(EnsureParent(fs, full));
      RETURN_IF_ERROR(fs.CreateDir(full));
      RETURN_IF_ERROR(unsynced_on_failure(fs.SyncDir(ParentDir(full)), {ParentDir(full)}));
      return payload;
    }
  }
  return InvalidArgumentError("unknown store op " + std::to_string(op));
}

void ServeConnection(StoreState& state, std::unique_ptr<Stream> stream) {
  FrameReader reader(stream.get());
  for (;;) {
    auto request = reader.Next();
    if (!request.ok()) return;  // peer gone or malformed: drop the connection
    auto result = Execute(state, request.value());
    const std::string response = result.ok() ? EncodeResponseFrame(Status::Ok(), result.value())
                                             : EncodeResponseFrame(result.status(), "");
    if (!stream->Write(response).ok()) return;
  }
}

}  // namespace

Status RunStoreServer(Host& host, const StoreServerConfig& config) {
  RETURN_IF_ERROR(host.fs.CreateDir(config.root));
  ASSIGN_OR_RETURN(auto listener, host.network.Listen(Address{config.bind_host, config.port}));
  host.log.Info("store.listening", config.root);
  StoreState state{host, config.root, UnsyncedDirs()};
  for (;;) {
    auto stream = listener->Accept();
    if (!stream.ok()) return stream.status();
    // std::function needs a copyable closure; the shared_ptr only carries the stream into it.
    auto shared = std::make_shared<std::unique_ptr<Stream>>(std::move(stream).value());
    host.fibers.Spawn("store-connection",
                      [&state, shared] { ServeConnection(state, std::move(*shared)); });
  }
}

Status StoreClient::Connect() {
  auto stream = host_.network.Connect(address_, connect_timeout_ns_);
  if (!stream.ok()) return stream.status().WithContext("store " + address_.ToString());
  stream_ = std::move(stream).value();
  reader_ = std::make_unique<FrameReader>(stream_.get());
  return Status::Ok();
}

Result<std::string> StoreClient::Call(std::string request) {
  const bool reused = stream_ != nullptr;
  if (!reused) RETURN_IF_ERROR(Connect());
  FinishFrame(&request, 0);
  Status sent = stream_->Write(request);
  if (!sent.ok() && reused) {
    // The connection broke while idle (a reset, the store's crash). A request whose write failed
    // never reached the store whole (it executes complete frames only), so it is sent again on a
    // new connection, as an NFS client retransmits.
    reader_.reset();
    stream_.reset();
    RETURN_IF_ERROR(Connect());
    sent = stream_->Write(request);
  }
  auto response = sent.ok() ? reader_->Next() : Result<std::string_view>(sent);
  if (!response.ok()) {
    reader_.reset();
    stream_.reset();
    return response.status().WithContext("store " + address_.ToString());
  }
  ByteReader r(response.value());
  uint8_t code = 0;
  std::string message;
  if (!r.GetU8(&code) || !r.GetString(&message)) {
    return DataLossError("malformed response from store " + address_.ToString());
  }
  if (code != 0) return Status(static_cast<StatusCode>(code), message);
  return std::string(r.rest());
}

namespace {
// A request frame begun in place (StartFrame) with the op and path; the caller appends the op's
// arguments and Call finishes the frame.
std::string Request(StoreOp op, const std::string& path) {
  std::string out;
  const size_t frame_start = StartFrame(&out);
  SLUICE_ASSERT(frame_start == 0, "the request buffer is empty before a frame");
  (void)frame_start;
  ByteWriter w(&out);
  w.PutU8(static_cast<uint8_t>(op));
  w.PutString(path);
  return out;
}
}  // namespace

Result<std::string> StoreClient::ReadRange(const std::string& path, uint64_t offset,
                                           uint64_t max_bytes) {
  std::string request = Request(StoreOp::kRead, path);
  ByteWriter w(&request);
  w.PutU64(offset);
  w.PutU64(max_bytes);
  return Call(std::move(request));
}

Result<std::string> StoreClient::ReadFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string payload, Call(Request(StoreOp::kReadWhole, path)));
  ByteReader r(payload);
  uint64_t size = 0;
  if (!r.GetU64(&size)) return DataLossError("malformed read response");
  std::string data(r.rest());
  // Files beyond one response are read on in ranges (not atomic with respect to replacement).
  while (data.size() < size) {
    ASSIGN_OR_RETURN(std::string chunk, ReadRange(path, data.size(), size - data.size()));
    if (chunk.empty()) break;
    data += chunk;
  }
  return data;
}

Result<uint64_t> StoreClient::FileSize(const std::string& path) {
  ASSIGN_OR_RETURN(std::string payload, Call(Request(StoreOp::kSize, path)));
  ByteReader r(payload);
  uint64_t size = 0;
  if (!r.GetU64(&size)) return DataLossError("malformed size response");
  return size;
}

Status StoreClient::WriteAtomic(const std::string& path, std::string_view data) {
  std::string request = Request(StoreOp::kWriteAtomic, path);
  request += data;
  return Call(std::move(request)).status();
}

Status StoreClient::Rename(const std::string& from, const std::string& to) {
  std::string request = Request(StoreOp::kRename, from);
  ByteWriter w(&request);
  w.PutString(to);
  return Call(std::move(request)).status();
}

Status StoreClient::Remove(const std::string& path) {
  return Call(Request(StoreOp::kRemove, path)).status();
}

Result<bool> StoreClient::Exists(const std::string& path) {
  ASSIGN_OR_RETURN(std::string payload, Call(Request(StoreOp::kExists, path)));
  return !payload.empty() && payload[0] == 1;
}

Status StoreClient::CreateDir(const std::string& dir) {
  return Call(Request(StoreOp::kCreateDir, dir)).status();
}

Result<std::vector<std::string>> StoreClient::List(const std::string& dir) {
  ASSIGN_OR_RETURN(std::string payload, Call(Request(StoreOp::kList, dir)));
  ByteReader r(payload);
  uint64_t count = 0;
  if (!r.GetVarint(&count)) return DataLossError("malformed list response");
  std::vector<std::string> names;
  for (uint64_t i = 0; i < count; ++i) {
    std::string name;
    if (!r.GetString(&name)) return DataLossError("malformed list response");
    names.push_back(std::move(name));
  }
  return names;
}

}  // namespace sluice
