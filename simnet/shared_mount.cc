#include "simnet/shared_mount.h"

#include <utility>

namespace sluice::sim {
namespace {

// Buffers a file's bytes and writes the whole file back on Sync and Close (see the header).
class SharedWritableFile final : public WritableFile {
 public:
  SharedWritableFile(SharedMount& mount, std::string path, std::string contents, bool dirty)
      : mount_(mount), path_(std::move(path)), contents_(std::move(contents)), dirty_(dirty) {}

  Status Append(std::string_view data) override {
    if (closed_) return FailedPreconditionError("append to closed file '" + path_ + "'");
    contents_.append(data);
    dirty_ = dirty_ || !data.empty();
    return Status::Ok();
  }
  Status Sync() override {
    if (closed_) return FailedPreconditionError("sync of closed file '" + path_ + "'");
    return WriteBack();
  }
  Status Close() override {
    if (closed_) return Status::Ok();
    closed_ = true;
    return WriteBack();
  }

 private:
  Status WriteBack() {
    if (!dirty_) return Status::Ok();
    RETURN_IF_ERROR(mount_.WriteAtomically(path_, contents_));
    dirty_ = false;
    return Status::Ok();
  }

  SharedMount& mount_;
  std::string path_;
  std::string contents_;
  bool dirty_ = false;
  bool closed_ = false;
};

}  // namespace

template <typename Call>
auto SharedMount::WithClient(const std::string& path, Call call)
    -> decltype(call(std::declval<StoreClient&>())) {
  if (deferred_) {
    return FailedPreconditionError("shared mount: '" + path +
                                   "' needs the network, which cannot be used while file system "
                                   "latency is deferred");
  }
  std::unique_ptr<StoreClient> client;
  if (idle_.empty()) {
    client = std::make_unique<StoreClient>(host_, server_);
  } else {
    client = std::move(idle_.back());
    idle_.pop_back();
  }
  auto result = call(*client);
  // A client whose connection broke reconnects on its next call.
  idle_.push_back(std::move(client));
  return result;
}

Result<std::unique_ptr<WritableFile>> SharedMount::OpenAppendable(const std::string& path,
                                                                  bool truncate) {
  std::string contents;
  if (!truncate) {
    auto existing = ReadFile(path);
    if (existing.ok()) {
      contents = std::move(existing).value();
    } else if (existing.status().code() != StatusCode::kNotFound) {
      return existing.status();
    }
  }
  // A truncated file is written back (empty) even with nothing appended, as open(O_TRUNC) would.
  return std::unique_ptr<WritableFile>(
      std::make_unique<SharedWritableFile>(*this, path, std::move(contents), truncate));
}

Result<std::string> SharedMount::ReadFile(const std::string& path) {
  return WithClient(path, [&](StoreClient& c) { return c.ReadFile(path); });
}

Result<std::string> SharedMount::ReadRange(const std::string& path, uint64_t offset,
                                           uint64_t max_bytes) {
  return WithClient(path, [&](StoreClient& c) { return c.ReadRange(path, offset, max_bytes); });
}

Result<uint64_t> SharedMount::FileSize(const std::string& path) {
  return WithClient(path, [&](StoreClient& c) { return c.FileSize(path); });
}

Result<bool> SharedMount::Exists(const std::string& path) {
  return WithClient(path, [&](StoreClient& c) { return c.Exists(path); });
}

Status SharedMount::Rename(const std::string& from, const std::string& to) {
  return WithClient(from, [&](StoreClient& c) { return c.Rename(from, to); });
}

Status SharedMount::Remove(const std::string& path) {
  return WithClient(path, [&](StoreClient& c) { return c.Remove(path); });
}

Result<std::vector<std::string>> SharedMount::List(const std::string& dir) {
  return WithClient(dir, [&](StoreClient& c) { return c.List(dir); });
}

Status SharedMount::CreateDir(const std::string& dir) {
  return WithClient(dir, [&](StoreClient& c) { return c.CreateDir(dir); });
}

Status SharedMount::SyncDir(const std::string&) { return Status::Ok(); }

Status SharedMount::WriteAtomically(const std::string& path, std::string_view data) {
  return WithClient(path, [&](StoreClient& c) { return c.WriteAtomic(path, data); });
}

}  // namespace sluice::sim
