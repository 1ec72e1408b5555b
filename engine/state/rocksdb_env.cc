#include "engine/state/rocksdb_env.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <functional>
#include <utility>

#include "engine/base/assert.h"

// RocksDB's sync-point registry (test_util/sync_point.h, not installed): the members Sluice
// calls, as the library exports them.
namespace rocksdb {
class SyncPoint {
 public:
  static SyncPoint* GetInstance();
  void SetCallBack(const std::string& point, const std::function<void(void*)>& callback);
  void ClearCallBack(const std::string& point);
  void EnableProcessing();
  void DisableProcessing();
};
}  // namespace rocksdb

namespace sluice {
namespace {

constexpr char kSessionIdSyncPoint[] = "DBImpl::SetDbSessionId";

using rocksdb::FileOptions;
using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

// Keeps the first error and converts it for RocksDB: kNotFound as PathNotFound (what RocksDB
// tests with IsNotFound / IsPathNotFound), everything else as a plain IOError (a full disk
// included: see rocksdb_env.h).
class ErrorSink {
 public:
  explicit ErrorSink(std::shared_ptr<Status> first) : first_(std::move(first)) {}
  IOStatus Convert(const Status& status) const {
    if (status.ok()) return IOStatus::OK();
    if (status.code() == StatusCode::kNotFound) return IOStatus::PathNotFound(status.message());
    if (first_->ok()) *first_ = status;
    return IOStatus::IOError(status.message());
  }

 private:
  std::shared_ptr<Status> first_;
};

class SeamSequentialFile final : public rocksdb::FSSequentialFile {
 public:
  SeamSequentialFile(FileSystem& fs, std::string path, ErrorSink errors)
      : fs_(fs), path_(std::move(path)), errors_(std::move(errors)) {}
  IOStatus Read(size_t n, const IOOptions&, Slice* result, char* scratch,
                IODebugContext*) override {
    Result<std::string> bytes = fs_.ReadRange(path_, offset_, n);
    if (!bytes.ok()) return errors_.Convert(bytes.status());
    std::memcpy(scratch, bytes->data(), bytes->size());
    *result = Slice(scratch, bytes->size());
    offset_ += bytes->size();
    return IOStatus::OK();
  }
  IOStatus Skip(uint64_t n) override {
    offset_ += n;
    return IOStatus::OK();
  }

 private:
  FileSystem& fs_;
  std::string path_;
  ErrorSink errors_;
  uint64_t offset_ = 0;
};

class SeamRandomAccessFile final : public rocksdb::FSRandomAccessFile {
 public:
  SeamRandomAccessFile(FileSystem& fs, std::string path, ErrorSink errors)
      : fs_(fs), path_(std::move(path)), errors_(std::move(errors)) {}
  IOStatus Read(uint64_t offset, size_t n, const IOOptions&, Slice* result, char* scratch,
                IODebugContext*) const override {
    Result<std::string> bytes = fs_.ReadRange(path_, offset, n);
    if (!bytes.ok()) return errors_.Convert(bytes.status());
    std::memcpy(scratch, bytes->data(), bytes->size());
    *result = Slice(scratch, bytes->size());
    return IOStatus::OK();
  }

 private:
  FileSystem& fs_;
  std::string path_;
  ErrorSink errors_;
};

class SeamWritableFile final : public rocksdb::FSWritableFile {
 public:
  SeamWritableFile(std::unique_ptr<WritableFile> file, ErrorSink errors)
      : file_(std::move(file)), errors_(std::move(errors)) {}
  IOStatus Append(const Slice& data, const IOOptions&, IODebugContext*) override {
    const Status status = file_->Append(std::string_view(data.data(), data.size()));
    if (status.ok()) size_ += data.size();
    return errors_.Convert(status);
  }
  IOStatus Append(const Slice& data, const IOOptions& options,
                  const rocksdb::DataVerificationInfo&, IODebugContext* dbg) override {
    return Append(data, options, dbg);
  }
  IOStatus Close(const IOOptions&, IODebugContext*) override {
    return errors_.Convert(file_->Close());
  }
  IOStatus Flush(const IOOptions&, IODebugContext*) override { return IOStatus::OK(); }
  IOStatus Sync(const IOOptions&, IODebugContext*) override {
    return errors_.Convert(file_->Sync());
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    return Sync(options, dbg);
  }
  uint64_t GetFileSize(const IOOptions&, IODebugContext*) override { return size_; }

 private:
  std::unique_ptr<WritableFile> file_;
  ErrorSink errors_;
  uint64_t size_ = 0;
};

class SeamDirectory final : public rocksdb::FSDirectory {
 public:
  SeamDirectory(FileSystem& fs, std::string path, ErrorSink errors)
      : fs_(fs), path_(std::move(path)), errors_(std::move(errors)) {}
  IOStatus Fsync(const IOOptions&, IODebugContext*) override {
    return errors_.Convert(fs_.SyncDir(path_));
  }

 private:
  FileSystem& fs_;
  std::string path_;
  ErrorSink errors_;
};

// LockFile's lock: an instance directory belongs to one RocksDB instance of one process, so the
// lock is a token and nothing more.
class SeamFileLock final : public rocksdb::FileLock {};

class SeamFileSystem final : public rocksdb::FileSystem {
 public:
  SeamFileSystem(sluice::FileSystem& fs, ErrorSink errors) : fs_(fs), errors_(std::move(errors)) {}
  const char* Name() const override { return "SluiceSeamFileSystem"; }

  IOStatus NewSequentialFile(const std::string& path, const FileOptions&,
                             std::unique_ptr<rocksdb::FSSequentialFile>* result,
                             IODebugContext*) override {
    const IOStatus found = MustExist(path);
    if (found.ok()) *result = std::make_unique<SeamSequentialFile>(fs_, path, errors_);
    return found;
  }
  IOStatus NewRandomAccessFile(const std::string& path, const FileOptions&,
                               std::unique_ptr<rocksdb::FSRandomAccessFile>* result,
                               IODebugContext*) override {
    const IOStatus found = MustExist(path);
    if (found.ok()) *result = std::make_unique<SeamRandomAccessFile>(fs_, path, errors_);
    return found;
  }
  IOStatus NewWritableFile(const std::string& path, const FileOptions&,
                           std::unique_ptr<rocksdb::FSWritableFile>* result,
                           IODebugContext*) override {
    Result<std::unique_ptr<WritableFile>> file = fs_.OpenAppendable(path, /*truncate=*/true);
    if (!file.ok()) return errors_.Convert(file.status());
    *result = std::make_unique<SeamWritableFile>(std::move(*file), errors_);
    return IOStatus::OK();
  }
  IOStatus ReuseWritableFile(const std::string& path, const std::string& old_path,
                             const FileOptions& options,
                             std::unique_ptr<rocksdb::FSWritableFile>* result,
                             IODebugContext* dbg) override {
    const Status renamed = fs_.Rename(old_path, path);
    if (!renamed.ok()) return errors_.Convert(renamed);
    return NewWritableFile(path, options, result, dbg);
  }
  IOStatus NewDirectory(const std::string& path, const IOOptions&,
                        std::unique_ptr<rocksdb::FSDirectory>* result, IODebugContext*) override {
    *result = std::make_unique<SeamDirectory>(fs_, path, errors_);
    return IOStatus::OK();
  }
  IOStatus FileExists(const std::string& path, const IOOptions&, IODebugContext*) override {
    Result<bool> exists = fs_.Exists(path);
    if (!exists.ok()) return errors_.Convert(exists.status());
    return *exists ? IOStatus::OK() : IOStatus::NotFound(path);
  }
  IOStatus GetChildren(const std::string& dir, const IOOptions&, std::vector<std::string>* result,
                       IODebugContext*) override {
    Result<std::vector<std::string>> names = fs_.List(dir);
    if (!names.ok()) return errors_.Convert(names.status());
    *result = std::move(*names);
    return IOStatus::OK();
  }
  IOStatus DeleteFile(const std::string& path, const IOOptions&, IODebugContext*) override {
    return errors_.Convert(fs_.Remove(path));
  }
  IOStatus CreateDir(const std::string& dir, const IOOptions&, IODebugContext*) override {
    Result<bool> exists = fs_.Exists(dir);
    if (!exists.ok()) return errors_.Convert(exists.status());
    if (*exists) return IOStatus::IOError(dir + ": exists");
    return errors_.Convert(fs_.CreateDir(dir));
  }
  IOStatus CreateDirIfMissing(const std::string& dir, const IOOptions&,
                              IODebugContext*) override {
    return errors_.Convert(fs_.CreateDir(dir));
  }
  IOStatus DeleteDir(const std::string& dir, const IOOptions&, IODebugContext*) override {
    return errors_.Convert(fs_.Remove(dir));
  }
  IOStatus GetFileSize(const std::string& path, const IOOptions&, uint64_t* size,
                       IODebugContext*) override {
    Result<uint64_t> bytes = fs_.FileSize(path);
    if (!bytes.ok()) return errors_.Convert(bytes.status());
    *size = *bytes;
    return IOStatus::OK();
  }
  IOStatus GetFileModificationTime(const std::string&, const IOOptions&, uint64_t*,
                                   IODebugContext*) override {
    return IOStatus::NotSupported("modification times are not kept");
  }
  IOStatus RenameFile(const std::string& from, const std::string& to, const IOOptions&,
                      IODebugContext*) override {
    return errors_.Convert(fs_.Rename(from, to));
  }
  IOStatus LockFile(const std::string&, const IOOptions&, rocksdb::FileLock** lock,
                    IODebugContext*) override {
    *lock = new SeamFileLock();  // RocksDB takes ownership and hands it back to UnlockFile
    return IOStatus::OK();
  }
  IOStatus UnlockFile(rocksdb::FileLock* lock, const IOOptions&, IODebugContext*) override {
    delete lock;
    return IOStatus::OK();
  }
  IOStatus GetTestDirectory(const IOOptions&, std::string*, IODebugContext*) override {
    return IOStatus::NotSupported("no test directory");
  }
  IOStatus NewLogger(const std::string&, const IOOptions&, std::shared_ptr<rocksdb::Logger>*,
                     IODebugContext*) override {
    return IOStatus::NotSupported("RocksDB logs to the instance's own Logger, not to a file");
  }
  IOStatus GetAbsolutePath(const std::string& path, const IOOptions&, std::string* output,
                           IODebugContext*) override {
    *output = path;  // paths are the host's: relative to its root, as every sluice path
    return IOStatus::OK();
  }
  IOStatus IsDirectory(const std::string& path, const IOOptions&, bool* is_dir,
                       IODebugContext*) override {
    const IOStatus found = MustExist(path);
    if (found.ok()) *is_dir = fs_.List(path).ok();
    return found;
  }

 private:
  // OK if `path` exists; PathNotFound if not; the file system's error otherwise.
  IOStatus MustExist(const std::string& path) {
    Result<bool> exists = fs_.Exists(path);
    if (!exists.ok()) return errors_.Convert(exists.status());
    return *exists ? IOStatus::OK() : IOStatus::PathNotFound(path);
  }

  sluice::FileSystem& fs_;
  ErrorSink errors_;
};

class SeamClock final : public rocksdb::SystemClock {
 public:
  SeamClock(Clock& clock, int64_t* sleep_debt_ns) : clock_(clock), sleep_debt_ns_(sleep_debt_ns) {}
  const char* Name() const override { return "SluiceSeamClock"; }
  uint64_t NowMicros() override { return static_cast<uint64_t>(clock_.NowNs() / kNanosPerMicro); }
  uint64_t NowNanos() override { return static_cast<uint64_t>(clock_.NowNs()); }
  // Owed, not slept (rocksdb_env.h).
  void SleepForMicroseconds(int micros) override {
    if (micros > 0) *sleep_debt_ns_ += int64_t{micros} * kNanosPerMicro;
  }
  rocksdb::Status GetCurrentTime(int64_t* unix_time) override {
    *unix_time = clock_.NowNs() / kNanosPerSecond;
    return rocksdb::Status::OK();
  }
  std::string TimeToString(uint64_t time) override { return std::to_string(time); }

 private:
  Clock& clock_;
  int64_t* sleep_debt_ns_;
};

}  // namespace

RocksDbEnv::RocksDbEnv(Host& host) : RocksDbEnv(host, std::make_shared<Status>()) {}

RocksDbEnv::RocksDbEnv(Host& host, std::shared_ptr<Status> first_error)
    : RocksDbEnv(host, first_error,
                 std::make_shared<SeamFileSystem>(host.fs, ErrorSink(first_error))) {}

RocksDbEnv::RocksDbEnv(Host& host, std::shared_ptr<Status> first_error,
                       std::shared_ptr<rocksdb::FileSystem> fs)
    : EnvWrapper(rocksdb::NewCompositeEnv(fs)), host_(host), first_error_(std::move(first_error)) {
  // DB::Open takes the file system and the clock from here; the composite target (for the
  // legacy Env file calls) shares the same file system.
  file_system_ = std::move(fs);
  system_clock_ = std::make_shared<SeamClock>(host.clock, &sleep_debt_ns_);
}

RocksDbEnv::~RocksDbEnv() {
  // Whatever is still queued belongs to a DB already closed (its Close unscheduled its jobs);
  // release the arguments through their unschedule functions.
  for (const Job& job : jobs_) {
    if (job.unschedule != nullptr) job.unschedule(job.arg);
  }
}

void RocksDbEnv::Enter() { host_.fs.DeferLatency(true); }

int64_t RocksDbEnv::Leave() {
  host_.fs.DeferLatency(false);
  const int64_t owed = host_.fs.TakeDeferredLatencyNs() + sleep_debt_ns_;
  sleep_debt_ns_ = 0;
  return owed;
}

void RocksDbEnv::RunBackgroundWork() {
  while (!jobs_.empty()) {
    const Job job = jobs_.front();
    jobs_.pop_front();
    ++jobs_run_;
    job.function(job.arg);
  }
}

void RocksDbEnv::Schedule(void (*function)(void* arg), void* arg, Priority pri, void* tag,
                          void (*unschedule)(void* arg)) {
  jobs_.push_back(Job{function, arg, pri, tag, unschedule});
}

int RocksDbEnv::UnSchedule(void* tag, Priority pri) {
  int removed = 0;
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (it->tag == tag && it->pri == pri) {
      if (it->unschedule != nullptr) it->unschedule(it->arg);
      it = jobs_.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

void RocksDbEnv::StartThread(void (*)(void*), void*) {
  SLUICE_ASSERT(false, "RocksDB asked for a thread; its options must keep all work on the "
                       "calling fiber (rocksdb_env.h)");
}

unsigned int RocksDbEnv::GetThreadPoolQueueLen(Priority pri) const {
  return static_cast<unsigned int>(
      std::count_if(jobs_.begin(), jobs_.end(), [pri](const Job& job) { return job.pri == pri; }));
}

rocksdb::Status RocksDbEnv::GetHostName(char* name, uint64_t len) {
  if (len == 0) return rocksdb::Status::InvalidArgument("no room for the host name");
  const size_t n = std::min<size_t>(host_.name.size(), len - 1);
  std::memcpy(name, host_.name.data(), n);
  name[n] = '\0';
  return rocksdb::Status::OK();
}

std::string RocksDbEnv::GenerateUniqueId() {
  // A UUID-shaped string from the host's seeded generator (version 4 layout).
  const uint64_t hi = host_.random.NextU64();
  const uint64_t lo = host_.random.NextU64();
  char text[40];
  std::snprintf(text, sizeof(text), "%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-a%03" PRIx64
                "-%012" PRIx64,
                hi >> 32, (hi >> 16) & 0xffff, hi & 0xfff, (lo >> 48) & 0xfff,
                static_cast<uint64_t>(lo & 0xffffffffffffULL));
  return text;
}

std::string RocksDbEnv::NextSessionId() {
  static constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string id(20, '0');
  for (char& c : id) c = kDigits[host_.random.Uniform(36)];
  return id;
}

ScopedDbSessionId::ScopedDbSessionId(std::string session_id)
    : session_id_(std::move(session_id)) {
  rocksdb::SyncPoint* points = rocksdb::SyncPoint::GetInstance();
  points->SetCallBack(kSessionIdSyncPoint, [this](void* arg) {
    *static_cast<std::string*>(arg) = session_id_;
  });
  points->EnableProcessing();
}

ScopedDbSessionId::~ScopedDbSessionId() {
  rocksdb::SyncPoint* points = rocksdb::SyncPoint::GetInstance();
  points->DisableProcessing();
  points->ClearCallBack(kSessionIdSyncPoint);
}

uint64_t RocksDbEnv::NowMicros() {
  return static_cast<uint64_t>(host_.clock.NowNs() / kNanosPerMicro);
}

uint64_t RocksDbEnv::NowNanos() { return static_cast<uint64_t>(host_.clock.NowNs()); }

void RocksDbEnv::SleepForMicroseconds(int micros) { system_clock_->SleepForMicroseconds(micros); }

rocksdb::Status RocksDbEnv::GetCurrentTime(int64_t* unix_time) {
  return system_clock_->GetCurrentTime(unix_time);
}

}  // namespace sluice
