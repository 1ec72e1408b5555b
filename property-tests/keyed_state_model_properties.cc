// A RapidCheck state-machine test (rc::state) of each keyed-state backend behind the KeyedRuntime
// every keyed operator runs on (engine/api/keyed_runtime.h: the KeyedStateStore's value, list and
// map columns, event-time timers): the heap backend (key-group-indexed keys), and RocksDB
// (engine/state/rocksdb_keyed_state_backend.h, in a temporary directory on the real disk) with
// full and with incremental snapshots. Random updates, reads, timers firing, snapshots of every
// subtask, and restores of the last snapshot at another parallelism (the state redistributed by
// key-group ranges, engine/partition/state_assignment.h; incremental RocksDB snapshots restore
// natively or by copying key ranges), checked against a plain std::map model that knows nothing
// of subtasks, key groups or backends. A failing run prints RapidCheck's RC_PARAMS line to
// reproduce it.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

#include <filesystem>

#include "engine/api/keyed_runtime.h"
#include "engine/partition/state_assignment.h"
#include "engine/runtime/real/real_runtime.h"
#include "engine/state/rocksdb_keyed_state_backend.h"

namespace sluice {
namespace {

constexpr int kMaxParallelism = 16;  // few key groups, so that subtasks share and split them
constexpr int kKeys = 24;

std::string KeyName(int i) { return "key-" + std::to_string(i); }

// What one key holds; a key with nothing in it is the same as an absent one.
struct KeyState {
  std::optional<int64_t> value;
  std::vector<int64_t> list;
  std::map<int64_t, int64_t> map;
  bool empty() const { return !value && list.empty() && map.empty(); }
};

struct Model {
  int parallelism = 2;
  std::map<std::string, KeyState> keys;
  std::set<std::pair<int64_t, std::string>> timers;  // (time, key)
  // The last snapshot, if any, and the parallelism it was taken at.
  std::optional<
      std::pair<std::map<std::string, KeyState>, std::set<std::pair<int64_t, std::string>>>>
      snapshot;
  int snapshot_parallelism = 0;
};

// A consumer for the runtime's output (the test emits none).
class Discard final : public BatchConsumer<int> {
 public:
  Status Consume(std::span<const int>, std::span<const int64_t>) override { return Status::Ok(); }
};

enum class Backend { kHeap, kRocksDb, kRocksDbIncremental };

// Checkpoint storage for incremental RocksDB snapshots: store path → bytes.
using SharedStore = std::map<std::string, std::string>;

// One subtask of the keyed operator (with its own RocksDB backends, as a task has, for the
// RocksDB variants).
struct Instance {
  Instance(const TaskContext& context, std::unique_ptr<RocksDbStateBackend> backends)
      : rocksdb(std::move(backends)), ctx(WithRocksDb(context, rocksdb.get())),
        runtime(ctx, &discard) {
    value = &runtime.store().GetValueState<int64_t>("value");
    list = &runtime.store().GetListState<int64_t>("list");
    map = &runtime.store().GetMapState<int64_t, int64_t>("map");
  }
  static TaskContext WithRocksDb(TaskContext context, RocksDbStateBackend* backends) {
    context.rocksdb = backends;
    return context;
  }
  std::unique_ptr<RocksDbStateBackend> rocksdb;  // outlives the runtime's instance
  TaskContext ctx;
  Discard discard;
  internal::KeyedRuntime<std::string, int> runtime;
  ValueState<int64_t>* value;
  ListState<int64_t>* list;
  MapState<int64_t, int64_t>* map;
};

struct Sut {
  explicit Sut(Backend b = Backend::kHeap) : backend(b) {
    if (backend == Backend::kHeap) return;
    // Per backend and process: ctest runs the variants at once.
    const std::filesystem::path root =
        std::filesystem::temp_directory_path() /
        ("sluice-keyed-state-model-" + std::to_string(static_cast<int>(backend)) + "-" +
         std::to_string(::getpid()));
    std::filesystem::remove_all(root);
    runtime = std::make_unique<real::RealRuntime>("taskmanager", root.string(), /*seed=*/1);
    std::filesystem::create_directories(root);
    root_ = root;
  }
  ~Sut() {
    subtasks.clear();  // the instances close first
    runtime.reset();
    if (!root_.empty()) std::filesystem::remove_all(root_);
  }
  Sut(const Sut&) = delete;
  Sut& operator=(const Sut&) = delete;
  std::filesystem::path root_;
  Backend backend;
  std::unique_ptr<real::RealRuntime> runtime;  // the RocksDB variants' host (real files)
  SharedStore shared;                          // their checkpoint storage
  int deployments = 0;
  int64_t checkpoints = 0;
  std::vector<std::unique_ptr<Instance>> subtasks;
  std::vector<std::string> snapshot;  // one per subtask of the snapshot's parallelism

  // Deploys `parallelism` subtasks; each opens its state backend (Restore with no snapshot).
  void Deploy(int parallelism, bool open = true) {
    subtasks.clear();
    ++deployments;
    for (int i = 0; i < parallelism; ++i) {
      TaskContext ctx;
      ctx.task_name = "Keyed (" + std::to_string(i + 1) + "/" + std::to_string(parallelism) + ")";
      ctx.subtask = i;
      ctx.parallelism = parallelism;
      ctx.max_parallelism = kMaxParallelism;
      std::unique_ptr<RocksDbStateBackend> backends;
      if (runtime != nullptr) {
        ctx.host = &runtime->host();
        RocksDbOptions options;
        options.write_buffer_bytes = 2048;  // flushes and compactions within a run
        options.incremental = backend == Backend::kRocksDbIncremental;
        backends = std::make_unique<RocksDbStateBackend>(
            runtime->host(),
            "rocksdb/" + std::to_string(deployments) + "-" + std::to_string(i), options,
            "checkpoints", "checkpoints", [this](const std::string& path) -> Result<std::string> {
              auto it = shared.find(path);
              if (it == shared.end()) return NotFoundError(path + ": no copy exists");
              return it->second;
            });
      }
      subtasks.push_back(std::make_unique<Instance>(ctx, std::move(backends)));
      if (open) RC_ASSERT(subtasks.back()->runtime.Restore({}).ok());
    }
  }
  // Snapshots every subtask (uploading incremental snapshots' new files to `shared`).
  void TakeSnapshot() {
    ++checkpoints;
    snapshot.clear();
    for (auto& instance : subtasks) {
      if (instance->rocksdb != nullptr) instance->rocksdb->BeginSnapshot(checkpoints, false);
      snapshot.emplace_back();
      RC_ASSERT(instance->runtime.Snapshot(&snapshot.back()).ok());
      if (instance->rocksdb == nullptr) continue;
      const auto files = instance->rocksdb->TakeSnapshotFiles(checkpoints);
      for (const auto& upload : files.uploads) {
        auto bytes = runtime->host().fs.ReadFile(upload.local_path);
        RC_ASSERT(bytes.ok());
        shared[upload.store_path] = *bytes;
      }
      instance->rocksdb->SnapshotFilesUploaded(checkpoints);
    }
  }
  // The subtask `key` is routed to (by its key group).
  Instance& Owner(const std::string& key) {
    const int group = KeyGroupForKeyOf(key, kMaxParallelism);
    return *subtasks[OperatorIndexForKeyGroup(kMaxParallelism, static_cast<int>(subtasks.size()),
                                              group)];
  }
  // The same, with its state handles and timers bound to `key`.
  Instance& Bind(const std::string& key) {
    Instance& instance = Owner(key);
    instance.runtime.Bind(key, kNoTimestamp);
    return instance;
  }
};

using Command = rc::state::Command<Model, Sut>;

std::string AnyKey() { return KeyName(*rc::gen::inRange(0, kKeys)); }

struct Update : Command {
  std::string key = AnyKey();
  int64_t value = *rc::gen::inRange<int64_t>(1, 1000);
  void apply(Model& m) const override { m.keys[key].value = value; }
  void run(const Model&, Sut& sut) const override { sut.Bind(key).value->update(value); }
  void show(std::ostream& os) const override { os << "Update(" << key << ", " << value << ")"; }
};

struct Append : Command {
  std::string key = AnyKey();
  int64_t element = *rc::gen::inRange<int64_t>(-50, 50);
  void apply(Model& m) const override { m.keys[key].list.push_back(element); }
  void run(const Model&, Sut& sut) const override { sut.Bind(key).list->add(element); }
  void show(std::ostream& os) const override { os << "Append(" << key << ", " << element << ")"; }
};

struct MapPut : Command {
  std::string key = AnyKey();
  int64_t map_key = *rc::gen::inRange<int64_t>(0, 5);
  int64_t map_value = *rc::gen::inRange<int64_t>(0, 100);
  void apply(Model& m) const override { m.keys[key].map[map_key] = map_value; }
  void run(const Model&, Sut& sut) const override { sut.Bind(key).map->put(map_key, map_value); }
  void show(std::ostream& os) const override {
    os << "MapPut(" << key << ", " << map_key << " -> " << map_value << ")";
  }
};

struct ClearKey : Command {
  std::string key = AnyKey();
  void apply(Model& m) const override { m.keys.erase(key); }
  void run(const Model&, Sut& sut) const override {
    Instance& instance = sut.Bind(key);
    instance.value->clear();
    instance.list->clear();
    instance.map->clear();
  }
  void show(std::ostream& os) const override { os << "ClearKey(" << key << ")"; }
};

struct RegisterTimer : Command {
  std::string key = AnyKey();
  int64_t time = *rc::gen::inRange<int64_t>(0, 100);
  void apply(Model& m) const override { m.timers.emplace(time, key); }
  void run(const Model&, Sut& sut) const override {
    sut.Owner(key).runtime.Bind(key, kNoTimestamp).timer_service().RegisterEventTimeTimer(time);
  }
  void show(std::ostream& os) const override {
    os << "RegisterTimer(" << key << ", " << time << ")";
  }
};

// Every key's state as the model has it (read through the handles, as a function would).
struct CheckAll : Command {
  void run(const Model& m, Sut& sut) const override {
    for (int i = 0; i < kKeys; ++i) {
      const std::string key = KeyName(i);
      auto it = m.keys.find(key);
      const KeyState expected = it == m.keys.end() ? KeyState{} : it->second;
      Instance& instance = sut.Bind(key);
      RC_ASSERT(instance.value->value() == expected.value.value_or(0));
      RC_ASSERT(instance.list->get() == expected.list);
      std::map<int64_t, int64_t> map;
      for (const auto& [k, v] : instance.map->entries()) map[k] = v;
      RC_ASSERT(map == expected.map);
    }
  }
  void show(std::ostream& os) const override { os << "CheckAll"; }
};

// The watermark passes `watermark`: exactly the model's timers up to it fire, each once, in the
// subtask that owns its key.
struct FireTimers : Command {
  int64_t watermark = *rc::gen::inRange<int64_t>(0, 100);
  void apply(Model& m) const override {
    m.timers.erase(m.timers.begin(), m.timers.upper_bound({watermark, std::string(1, '\x7f')}));
  }
  void run(const Model& m, Sut& sut) const override {
    std::set<std::pair<int64_t, std::string>> expected(
        m.timers.begin(), m.timers.upper_bound({watermark, std::string(1, '\x7f')}));
    std::set<std::pair<int64_t, std::string>> fired;
    for (auto& instance : sut.subtasks) {
      const int subtask = instance->ctx.subtask;
      const Status s = instance->runtime.Fire(
          TimeDomain::kEventTime, watermark,
          [&](int64_t time, KeyedContext<std::string>& ctx, Collector<int>&) {
            const int group = KeyGroupForKeyOf(ctx.current_key(), kMaxParallelism);
            RC_ASSERT(OperatorIndexForKeyGroup(kMaxParallelism,
                                               static_cast<int>(sut.subtasks.size()),
                                               group) == subtask);
            RC_ASSERT(fired.emplace(time, ctx.current_key()).second);
          });
      RC_ASSERT(s.ok());
    }
    RC_ASSERT(fired == expected);
  }
  void show(std::ostream& os) const override { os << "FireTimers(" << watermark << ")"; }
};

struct Snapshot : Command {
  void apply(Model& m) const override {
    m.snapshot.emplace(m.keys, m.timers);
    m.snapshot_parallelism = m.parallelism;
  }
  void run(const Model&, Sut& sut) const override { sut.TakeSnapshot(); }
  void show(std::ostream& os) const override { os << "Snapshot"; }
};

// A restore of the last snapshot at `parallelism`: each new subtask reads the snapshots of the
// old subtasks whose key groups overlap its own.
struct Restore : Command {
  int parallelism = *rc::gen::inRange(1, 7);
  explicit Restore(const Model& m) { RC_PRE(m.snapshot.has_value()); }
  void checkPreconditions(const Model& m) const override { RC_PRE(m.snapshot.has_value()); }
  void apply(Model& m) const override {
    m.keys = m.snapshot->first;
    m.timers = m.snapshot->second;
    m.parallelism = parallelism;
  }
  void run(const Model& m, Sut& sut) const override {
    sut.Deploy(parallelism, /*open=*/false);
    for (auto& instance : sut.subtasks) {
      std::vector<std::string_view> sections;
      for (int j :
           OldSubtasksToRestore(StateRedistribution::kKeyGroups, kMaxParallelism,
                                m.snapshot_parallelism, parallelism, instance->ctx.subtask)) {
        sections.push_back(sut.snapshot[j]);
      }
      const Status s = instance->runtime.Restore(sections);
      RC_ASSERT(s.ok());
    }
  }
  void show(std::ostream& os) const override { os << "Restore(parallelism " << parallelism << ")"; }
};

void CheckBackend(Backend backend) {
  Model model;
  model.parallelism = *rc::gen::inRange(1, 7);
  Sut sut(backend);
  sut.Deploy(model.parallelism);
  rc::state::check(
      model, sut,
      rc::state::gen::execOneOfWithArgs<Update, Append, MapPut, ClearKey, RegisterTimer, CheckAll,
                                        FireTimers, Snapshot, Restore>());
}

RC_GTEST_PROP(KeyedStateModel, HeapBackendMatchesAMapAcrossSnapshotsAndRescales, ()) {
  CheckBackend(Backend::kHeap);
}

RC_GTEST_PROP(KeyedStateModel, RocksDbBackendMatchesAMapAcrossSnapshotsAndRescales, ()) {
  CheckBackend(Backend::kRocksDb);
}

RC_GTEST_PROP(KeyedStateModel, IncrementalRocksDbMatchesAMapAcrossSnapshotsAndRescales, ()) {
  CheckBackend(Backend::kRocksDbIncremental);
}

}  // namespace
}  // namespace sluice
