// Writes a seed corpus for each fuzz target into DIR/<target>/: valid encodings of what each
// decoder reads (control messages and job specs, framed messages, HTTP requests, sealed
// checkpoint metadata, keyed-state snapshots, TOML configs, etcd answers), so that a short fuzzing run starts
// from the formats' structure rather than from empty input.
//   seed_corpus DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/base/checksum.h"
#include "engine/checkpoint/completed_checkpoint.h"
#include "engine/graph/job_spec.h"
#include "engine/rpc/control.h"
#include "engine/rpc/frame.h"
#include "engine/state/keyed_state.h"

namespace {

void Write(const std::filesystem::path& dir, const std::string& name, const std::string& bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: seed_corpus DIR\n");
    return 2;
  }
  const std::filesystem::path root = argv[1];
  using namespace sluice;

  JobSpec spec;
  spec.job = "wordcount";
  spec.settings.Set("parallelism.default", "3");
  spec.input_splits = 2;
  std::vector<ControlMessage> messages;
  ControlMessage deploy;
  deploy.type = ControlType::kDeploy;
  deploy.epoch = 2;
  deploy.attempt = 1000002;
  deploy.text = spec.Encode();
  deploy.consumers = {Address{"taskmanager-1", 6121}, Address{"10.0.0.2", 6122}};
  deploy.restore_paths = {"checkpoints/chk-4/0-0", "checkpoints/chk-4/0-1"};
  messages.push_back(deploy);
  ControlMessage ack;
  ack.type = ControlType::kAcknowledgeCheckpoint;
  ack.checkpoint_id = 4;
  ack.restore_path = "checkpoints/chk-4/1-2";
  ack.times.busy_ns = 123456;
  ack.shared_files = {"checkpoints/shared/0-1/4-000012.sst"};
  messages.push_back(ack);
  ControlMessage splits;
  splits.type = ControlType::kAddSplits;
  splits.splits = {"input/part-0", "input/part-1"};
  splits.no_more_splits = true;
  messages.push_back(splits);
  std::string framed;
  for (size_t i = 0; i < messages.size(); ++i) {
    Write(root / "control_message_fuzz", "message-" + std::to_string(i), messages[i].Encode());
    AppendFrame(&framed, messages[i].Encode());
  }
  Write(root / "control_message_fuzz", "job-spec", spec.Encode());
  Write(root / "frame_fuzz", "three-frames", framed);

  // Data frames: a record buffer (kind, backlog, count, records), a barrier, end of partition.
  Write(root / "data_frame_fuzz", "records",
        std::string{static_cast<char>(1), 3, 2, 0, 0, 0} + "\x05hello\x05world");
  Write(root / "data_frame_fuzz", "barrier", std::string{static_cast<char>(2), 8, 0});
  Write(root / "data_frame_fuzz", "end", std::string{static_cast<char>(3)});

  Write(root / "http_request_fuzz", "get",
        "GET /jobs/0123/metrics?get=numRestarts HTTP/1.1\r\nHost: jm\r\n\r\n");
  Write(root / "http_request_fuzz", "post",
        "POST /jobs/0123/stop HTTP/1.1\r\nHost: jm\r\nContent-Length: 16\r\n"
        "Content-Type: application/json\r\n\r\n{\"drain\": false}");

  CompletedCheckpoint checkpoint;
  checkpoint.id = 7;
  checkpoint.state_paths[{0, 0}] = "checkpoints/chk-7/0-0";
  checkpoint.state_paths[{1, 1}] = "checkpoints/chk-7/1-1";
  checkpoint.enumerator_states[0] = "splits";
  checkpoint.shared_files = {"checkpoints/shared/0-1/4-000012.sst"};
  Write(root / "checkpoint_metadata_fuzz", "sealed",
        SealBlob(CompletedCheckpoint::kMetadataMagic, checkpoint.EncodeMetadata()));

  HeapValueStateBackend<int64_t> backend(128, KeyGroupRange{0, 127});
  for (int i = 0; i < 40; ++i) backend.GetOrCreate("key-" + std::to_string(i)) = i;
  std::string snapshot;
  backend.Snapshot(&snapshot);
  Write(root / "keyed_state_fuzz", "snapshot", std::string(1, '\0') + snapshot);

  Write(root / "config_file_fuzz", "process",
        "process.working-dir = \"/var/lib/sluice\"\n\"jobmanager.rpc.port\" = 6123\n"
        "[taskmanager]\nnumberOfTaskSlots = 2\n[high-availability.etcd]\n"
        "endpoints = [\"http://a:2379\", \"http://b:2379\"]\n");

  // etcd's answers as real etcd 3.4 writes them (see tools/etcd_conformance_test.cc).
  const std::string header =
      R"("header":{"cluster_id":"324952591200643719","member_id":"3319814642761637952",)"
      R"("revision":"9","raft_term":"2"})";
  Write(root / "etcd_response_fuzz", "range",
        "{" + header + R"(,"kvs":[{"key":"YQ==","create_revision":"2","mod_revision":"3",)"
                       R"("version":"2","value":"Mg==","lease":"7"}],"count":"1","more":true})");
  Write(root / "etcd_response_fuzz", "txn",
        "{" + header + R"(,"succeeded":true,"responses":[{"response_put":{"header":{}}},)"
                       R"({"response_range":{"header":{"revision":"9"},"kvs":[]}}]})");
  Write(root / "etcd_response_fuzz", "grant", "{" + header + R"(,"ID":"7587","TTL":"15"})");
  Write(root / "etcd_response_fuzz", "keepalive",
        R"({"result":{)" + header + R"(,"ID":"7587","TTL":"15"}})");
  Write(root / "etcd_response_fuzz", "error",
        R"({"error":"etcdserver: requested lease not found","message":"etcdserver: )"
        R"(requested lease not found","code":5})");
  return 0;
}
