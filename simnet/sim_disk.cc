#include "simnet/sim_disk.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <utility>

#include "engine/base/assert.h"
#include "engine/base/checksum.h"

namespace sluice::sim {
namespace {

constexpr char kRoot[] = ".";

// Canonical form: components joined by '/', no empty or "." components; the root is ".".
// False on a ".." component (the simulated disk has no parent of the root to offer).
bool Normalize(std::string_view path, std::string* out) {
  out->clear();
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(start, end - start);
    if (part == "..") return false;
    if (!part.empty() && part != ".") {
      if (!out->empty()) out->push_back('/');
      out->append(part);
    }
    start = end + 1;
  }
  if (out->empty()) *out = kRoot;
  return true;
}

Status BadPath(const std::string& path) {
  return InvalidArgumentError("path '" + path + "': '..' is not supported");
}

std::string Parent(const std::string& normalized) {
  const size_t slash = normalized.rfind('/');
  return slash == std::string::npos ? std::string(kRoot) : normalized.substr(0, slash);
}

std::string BaseName(const std::string& normalized) {
  const size_t slash = normalized.rfind('/');
  return slash == std::string::npos ? normalized : normalized.substr(slash + 1);
}

// Whether `path` lies strictly inside directory `dir` (at any depth).
bool IsUnder(const std::string& path, const std::string& dir) {
  if (dir == kRoot) return path != kRoot;
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

// Walks the direct children (files, not deeper paths) of directory `dir` in a path → inode map,
// in path order, skipping each subdirectory's subtree in one step: syncing or listing a directory
// costs its own entries, not a walk of everything beneath it.
class ChildCursor {
 public:
  using Names = std::map<std::string, uint64_t>;
  ChildCursor(const Names& names, const std::string& dir)
      : names_(names), prefix_(dir == kRoot ? std::string() : dir + "/") {
    it_ = names_.lower_bound(prefix_);  // the root's prefix is "": every path lies under it
    SkipDeeper();
  }
  bool done() const { return it_ == names_.end(); }
  const std::string& path() const { return it_->first; }
  uint64_t inode() const { return it_->second; }
  void Next() {
    ++it_;
    SkipDeeper();
  }

 private:
  // Moves it_ to the next direct child at or after it, or to end() once past the directory.
  void SkipDeeper() {
    while (it_ != names_.end()) {
      if (!std::string_view(it_->first).starts_with(prefix_)) {
        it_ = names_.end();  // sorted: nothing further lies under the directory
        return;
      }
      const size_t slash = it_->first.find('/', prefix_.size());
      if (slash == std::string::npos) return;  // a direct child
      // Under subdirectory "<prefix><sub>/": names sort bytewise and '0' is the byte right after
      // '/', so "<prefix><sub>0" is the first name past that subtree.
      std::string past_subtree(it_->first, 0, slash);
      past_subtree.push_back('0');
      it_ = names_.lower_bound(past_subtree);
    }
  }

  const Names& names_;
  const std::string prefix_;
  Names::const_iterator it_;
};

}  // namespace

// A handle on an inode. Stale once the disk crashed (generation changed).
class SimWritableFile final : public WritableFile {
 public:
  SimWritableFile(SimDisk& disk, uint64_t inode_id, uint64_t generation, std::string path)
      : disk_(disk), inode_id_(inode_id), generation_(generation), path_(std::move(path)) {}
  ~SimWritableFile() override {
    if (!closed_) disk_.Release(inode_id_, generation_);
  }
  Status Append(std::string_view data) override {
    if (closed_) return IoError("append: file is closed");
    return disk_.Append(inode_id_, generation_, path_, data);
  }
  Status Sync() override {
    if (closed_) return IoError("sync: file is closed");
    return disk_.Sync(inode_id_, generation_, path_);
  }
  Status Close() override {
    if (closed_) return Status::Ok();
    closed_ = true;
    disk_.Release(inode_id_, generation_);
    return Status::Ok();
  }

 private:
  SimDisk& disk_;
  const uint64_t inode_id_;
  const uint64_t generation_;
  const std::string path_;  // as opened (for error messages)
  bool closed_ = false;
};

SimDisk::SimDisk(SimCore& core, HostId host, Fibers& fibers, Random random, int64_t latency_max_ns)
    : core_(core), host_(host), fibers_(fibers), random_(random), latency_max_ns_(latency_max_ns) {
  SLUICE_ASSERT(latency_max_ns_ >= 0, "a latency is non-negative");
  dirs_.insert(kRoot);
}

SimDisk::~SimDisk() = default;

bool SimDisk::NormalizePath(std::string_view path, std::string* normalized) {
  return Normalize(path, normalized);
}

void SimDisk::Delay() {
  if (!core_.InFiber()) return;  // world context (tests, scenarios): instantaneous
  const int64_t drawn_ns = random_.UniformRange(0, latency_max_ns_);
  const int64_t latency_ns =
      slow_factor_ == 1.0 ? drawn_ns : std::llround(static_cast<double>(drawn_ns) * slow_factor_);
  if (defer_latency_) {
    latency_debt_ns_ += latency_ns;
    return;
  }
  fibers_.SleepFor(latency_ns);
}

SimDisk::Inode* SimDisk::FindFile(const std::string& normalized_path) {
  auto it = names_.find(normalized_path);
  return it == names_.end() ? nullptr : &inodes_.at(it->second);
}

const SimDisk::Inode* SimDisk::FindFile(const std::string& normalized_path) const {
  auto it = names_.find(normalized_path);
  return it == names_.end() ? nullptr : &inodes_.at(it->second);
}

uint64_t SimDisk::NewInode() {
  const uint64_t id = next_inode_id_++;
  inodes_.emplace(id, Inode{});
  return id;
}

void SimDisk::LinkCurrent(const std::string& path, uint64_t inode_id) {
  SLUICE_ASSERT(names_.count(path) == 0, "unlink the old name first");
  names_.emplace(path, inode_id);
  ++inodes_.at(inode_id).current_links;
}

void SimDisk::UnlinkCurrent(const std::string& path) {
  auto it = names_.find(path);
  SLUICE_ASSERT(it != names_.end(), "the name was checked to exist");
  const uint64_t inode_id = it->second;
  names_.erase(it);
  --inodes_.at(inode_id).current_links;
  MaybeFree(inode_id);
}

void SimDisk::SetDurableName(const std::string& path, uint64_t inode_id) {
  auto it = durable_names_.find(path);
  if (it != durable_names_.end()) {
    const uint64_t old_id = it->second;
    if (old_id == inode_id) return;
    durable_names_.erase(it);
    --inodes_.at(old_id).durable_links;
    MaybeFree(old_id);
  }
  if (inode_id == 0) return;
  durable_names_.emplace(path, inode_id);
  ++inodes_.at(inode_id).durable_links;
}

void SimDisk::MaybeFree(uint64_t inode_id) {
  const Inode& inode = inodes_.at(inode_id);
  SLUICE_ASSERT(inode.current_links >= 0, "link counts never go negative");
  SLUICE_ASSERT(inode.durable_links >= 0, "link counts never go negative");
  SLUICE_ASSERT(inode.open_handles >= 0, "handle counts never go negative");
  if (inode.current_links == 0 && inode.durable_links == 0 && inode.open_handles == 0) {
    inodes_.erase(inode_id);
  }
}

void SimDisk::CreateDirs(const std::string& normalized_dir) {
  if (normalized_dir == kRoot) return;
  size_t slash = 0;
  while (slash != std::string::npos) {
    slash = normalized_dir.find('/', slash + 1);
    dirs_.insert(normalized_dir.substr(0, slash));
  }
}

std::vector<std::string> SimDisk::ChildPaths(const Names& names, const std::string& dir) const {
  std::vector<std::string> children;
  for (ChildCursor child(names, dir); !child.done(); child.Next()) children.push_back(child.path());
  return children;
}

Result<std::unique_ptr<WritableFile>> SimDisk::OpenAppendable(const std::string& path,
                                                              bool truncate) {
  Delay();
  std::string p;
  if (!Normalize(path, &p)) return BadPath(path);
  if (dirs_.count(p) != 0) return IoError("open '" + path + "': is a directory");
  if (dirs_.count(Parent(p)) == 0) return NotFoundError("open '" + path + "': no parent directory");
  uint64_t inode_id;
  auto it = names_.find(p);
  if (it != names_.end()) {
    inode_id = it->second;
    Inode& inode = inodes_.at(inode_id);
    if (truncate && !inode.current.empty()) {
      inode.current.clear();
      inode.truncated_since_sync = true;
      inode.unsynced_write_ends.clear();
    }
  } else {
    if (full_) return NoSpace(DiskOp::kCreate, "create", path);
    inode_id = NewInode();
    LinkCurrent(p, inode_id);
  }
  ++inodes_.at(inode_id).open_handles;
  return std::unique_ptr<WritableFile>(
      std::make_unique<SimWritableFile>(*this, inode_id, generation_, path));
}

Status SimDisk::Append(uint64_t inode_id, uint64_t generation, const std::string& path,
                       std::string_view data) {
  Delay();
  if (generation != generation_) return IoError("append: file handle is stale (disk crashed)");
  RETURN_IF_ERROR(MaybeInjectIoError(DiskOp::kAppend, path));
  if (data.empty()) return Status::Ok();
  if (full_) return NoSpace(DiskOp::kAppend, "append to", path);
  Inode& inode = inodes_.at(inode_id);
  inode.current.append(data);
  inode.unsynced_write_ends.push_back(inode.current.size());
  return Status::Ok();
}

Status SimDisk::Sync(uint64_t inode_id, uint64_t generation, const std::string& path) {
  Delay();
  if (generation != generation_) return IoError("sync: file handle is stale (disk crashed)");
  RETURN_IF_ERROR(MaybeInjectIoError(DiskOp::kSync, path));
  Inode& inode = inodes_.at(inode_id);
  inode.durable = inode.current;
  inode.MarkSynced();
  core_.trace().Record(TraceKind::kDiskSync, host_, inode_id, inode.durable.size());
  return Status::Ok();
}

void SimDisk::Release(uint64_t inode_id, uint64_t generation) {
  if (generation != generation_) return;  // the crash already dropped every handle
  --inodes_.at(inode_id).open_handles;
  MaybeFree(inode_id);
}

Result<std::string> SimDisk::ReadFile(const std::string& path) {
  Delay();
  ASSIGN_OR_RETURN(std::string bytes, ReadCurrent(path));
  RETURN_IF_ERROR(MaybeInjectIoError(DiskOp::kRead, path));
  return bytes;
}

Result<std::string> SimDisk::ReadRange(const std::string& path, uint64_t offset,
                                       uint64_t max_bytes) {
  Delay();
  std::string p;
  if (!Normalize(path, &p)) return BadPath(path);
  const Inode* inode = FindFile(p);
  if (inode == nullptr) return NotFoundError("read '" + path + "': no such file");
  RETURN_IF_ERROR(MaybeInjectIoError(DiskOp::kRead, path));
  if (offset >= inode->current.size()) return std::string();
  return inode->current.substr(offset, max_bytes);
}

Result<uint64_t> SimDisk::FileSize(const std::string& path) {
  Delay();
  std::string p;
  if (!Normalize(path, &p)) return BadPath(path);
  const Inode* inode = FindFile(p);
  if (inode == nullptr) return NotFoundError("size of '" + path + "': no such file");
  return static_cast<uint64_t>(inode->current.size());
}

Result<bool> SimDisk::Exists(const std::string& path) {
  Delay();
  std::string p;
  if (!Normalize(path, &p)) return BadPath(path);
  return ExistsCurrent(p);
}

Status SimDisk::Rename(const std::string& from, const std::string& to) {
  Delay();
  std::string f, t;
  if (!Normalize(from, &f)) return BadPath(from);
  if (!Normalize(to, &t)) return BadPath(to);
  if (dirs_.count(f) != 0) return RenameDir(f, t);
  auto it = names_.find(f);
  if (it == names_.end()) return NotFoundError("rename '" + from + "': no such file");
  if (dirs_.count(Parent(t)) == 0) {
    return NotFoundError("rename to '" + to + "': no parent directory");
  }
  if (dirs_.count(t) != 0) return IoError("rename to '" + to + "': is a directory");
  if (f == t) return Status::Ok();
  const uint64_t inode_id = it->second;
  if (names_.count(t) != 0) UnlinkCurrent(t);  // atomic replace
  LinkCurrent(t, inode_id);
  UnlinkCurrent(f);
  return Status::Ok();
}

Status SimDisk::RenameDir(const std::string& from, const std::string& to) {
  if (from == kRoot || to == kRoot || IsUnder(to, from) || from == to) {
    return IoError("rename directory '" + from + "' to '" + to + "': invalid");
  }
  if (ExistsCurrent(to)) return IoError("rename directory to '" + to + "': target exists");
  if (dirs_.count(Parent(to)) == 0) {
    return NotFoundError("rename directory to '" + to + "': no parent directory");
  }
  // Directories are durable at once (see the header), so both namespaces move.
  auto moved = [&](const std::string& path) { return to + path.substr(from.size()); };
  for (Names* names : {&names_, &durable_names_}) {
    Names renamed;
    for (auto it = names->begin(); it != names->end();) {
      if (IsUnder(it->first, from)) {
        renamed.emplace(moved(it->first), it->second);
        it = names->erase(it);
      } else {
        ++it;
      }
    }
    names->merge(renamed);
  }
  std::set<std::string> dirs;
  for (const std::string& dir : dirs_) {
    dirs.insert(dir == from || IsUnder(dir, from) ? moved(dir) : dir);
  }
  dirs_ = std::move(dirs);
  return Status::Ok();
}

Status SimDisk::Remove(const std::string& path) {
  Delay();
  std::string p;
  if (!Normalize(path, &p)) return BadPath(path);
  if (names_.count(p) != 0) {
    UnlinkCurrent(p);
    return Status::Ok();
  }
  if (dirs_.count(p) != 0) return RemoveDir(p);
  return NotFoundError("remove '" + path + "': no such file or directory");
}

Status SimDisk::RemoveDir(const std::string& dir) {
  if (dir == kRoot) return IoError("remove: cannot remove the root directory");
  if (!ListCurrent(dir).empty()) return IoError("remove '" + dir + "': directory not empty");
  // Durable at once, together with the removal of names left only in the durable namespace.
  for (const std::string& path : ChildPaths(durable_names_, dir)) SetDurableName(path, 0);
  dirs_.erase(dir);
  return Status::Ok();
}

Result<std::vector<std::string>> SimDisk::List(const std::string& dir) {
  Delay();
  std::string d;
  if (!Normalize(dir, &d)) return BadPath(dir);
  if (dirs_.count(d) == 0) return NotFoundError("list '" + dir + "': no such directory");
  return ListCurrent(d);
}

Status SimDisk::CreateDir(const std::string& dir) {
  Delay();
  std::string d;
  if (!Normalize(dir, &d)) return BadPath(dir);
  if (d == kRoot) return Status::Ok();
  for (size_t slash = 0; slash != std::string::npos;) {
    slash = d.find('/', slash + 1);
    if (names_.count(d.substr(0, slash)) != 0) {
      return IoError("create directory '" + dir + "': '" + d.substr(0, slash) + "' is a file");
    }
  }
  if (full_ && dirs_.count(d) == 0) return NoSpace(DiskOp::kCreate, "create directory", dir);
  CreateDirs(d);
  return Status::Ok();
}

Status SimDisk::SyncDir(const std::string& dir) {
  Delay();
  std::string d;
  if (!Normalize(dir, &d)) return BadPath(dir);
  if (dirs_.count(d) == 0) return NotFoundError("sync directory '" + dir + "': no such directory");
  RETURN_IF_ERROR(MaybeInjectIoError(DiskOp::kSyncDir, dir));
  // The durable names directly in d become the current ones. Both namespaces are sorted, so one
  // merge walk over the two child lists finds the differences (typically a name or two), which
  // are applied after the walk (SetDurableName edits durable_names_): dropped names first, then
  // new or relinked ones, as a full rewrite of the directory would.
  std::vector<std::string> dropped;
  std::vector<std::pair<std::string, uint64_t>> linked;
  uint64_t current_children = 0;
  ChildCursor durable(durable_names_, d);
  ChildCursor current(names_, d);
  while (!durable.done() || !current.done()) {
    if (current.done() || (!durable.done() && durable.path() < current.path())) {
      dropped.push_back(durable.path());
      durable.Next();
      continue;
    }
    ++current_children;
    const bool same_name = !durable.done() && durable.path() == current.path();
    if (!same_name || durable.inode() != current.inode()) {
      linked.emplace_back(current.path(), current.inode());
    }
    if (same_name) durable.Next();
    current.Next();
  }
  for (const std::string& path : dropped) SetDurableName(path, 0);
  for (const auto& [path, inode_id] : linked) SetDurableName(path, inode_id);
  core_.trace().Record(TraceKind::kDiskSyncDir, host_, Checksum64(d), current_children);
  return Status::Ok();
}

void SimDisk::Crash() {
  SLUICE_ASSERT(!core_.InFiber(), "a disk crashes in world context");
  ++generation_;
  names_ = durable_names_;
  for (auto& [id, inode] : inodes_) {
    if (torn_writes_ && inode.durable_links > 0) TearUnsynced(id, inode);
    inode.current = inode.durable;
    inode.MarkSynced();
    inode.current_links = 0;
    inode.open_handles = 0;
  }
  for (const auto& [path, id] : names_) ++inodes_.at(id).current_links;
  for (auto it = inodes_.begin(); it != inodes_.end();) {
    it = it->second.durable_links == 0 ? inodes_.erase(it) : std::next(it);
  }
  core_.trace().Record(TraceKind::kDiskCrash, host_, names_.size());
}

void SimDisk::WriteDurable(const std::string& path, std::string_view bytes) {
  std::string p;
  const bool valid = Normalize(path, &p);
  SLUICE_ASSERT(valid && dirs_.count(p) == 0, "WriteDurable needs a file path");
  if (!valid) return;
  CreateDirs(Parent(p));
  auto it = names_.find(p);
  const uint64_t inode_id = it != names_.end() ? it->second : NewInode();
  if (it == names_.end()) LinkCurrent(p, inode_id);
  SetDurableName(p, inode_id);
  Inode& inode = inodes_.at(inode_id);
  inode.current.assign(bytes);
  inode.durable.assign(bytes);
  inode.MarkSynced();
}

Result<std::string> SimDisk::ReadCurrent(const std::string& path) const {
  std::string p;
  if (!Normalize(path, &p)) return BadPath(path);
  const Inode* inode = FindFile(p);
  if (inode == nullptr) return NotFoundError("read '" + path + "': no such file");
  return inode->current;
}

Result<std::string> SimDisk::ReadDurable(const std::string& path) const {
  std::string p;
  if (!Normalize(path, &p)) return BadPath(path);
  const Inode* inode = FindFile(p);
  if (inode == nullptr) return NotFoundError("read '" + path + "': no such file");
  return inode->durable;
}

std::vector<std::string> SimDisk::ListCurrent(const std::string& dir) const {
  std::string d;
  if (!Normalize(dir, &d) || dirs_.count(d) == 0) return {};
  std::set<std::string> entries;
  for (const std::string& path : ChildPaths(names_, d)) entries.insert(BaseName(path));
  for (const std::string& sub : dirs_) {
    if (sub != kRoot && Parent(sub) == d) entries.insert(BaseName(sub));
  }
  return std::vector<std::string>(entries.begin(), entries.end());
}

bool SimDisk::ExistsCurrent(const std::string& path) const {
  std::string p;
  if (!Normalize(path, &p)) return false;
  return names_.count(p) != 0 || dirs_.count(p) != 0;
}

}  // namespace sluice::sim
