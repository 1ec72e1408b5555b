#include "engine/rpc/control.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(ControlMessageTest, RoundTripsEveryField) {
  ControlMessage m;
  m.type = ControlType::kDeploy;
  m.epoch = 3;
  m.attempt = 3000002;
  m.checkpoint_id = 17;
  m.chain = 1;
  m.subtask = 2;
  m.slots = 2;
  m.task_state = TaskState::kFinished;
  m.text = "spec";
  m.address = Address{"taskmanager-2", 6124};
  m.consumers = {Address{"a", 1}, Address{"b", 2}};
  m.restore_path = "checkpoints/chk-17/1-2-a3000002";
  m.failure = TaskFailure::kRestoredStateLost;
  m.split_index = 4;
  m.splits = {"input/part-3", std::string("\0\x01", 2)};
  m.no_more_splits = true;
  m.restore_paths = {"checkpoints/chk-17/1-0-a3000002", "checkpoints/chk-17/1-1-a3000002"};
  m.terminate = true;
  m.savepoint = true;
  m.in_flight_data = true;
  m.times = TaskTimes{.busy_ns = 5, .idle_ns = 1'000'000'007, .backpressured_ns = 42};
  auto decoded = ControlMessage::Decode(m.Encode());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->Encode(), m.Encode());
  EXPECT_EQ(decoded->consumers[1].host, "b");
  EXPECT_EQ(decoded->failure, TaskFailure::kRestoredStateLost);
  EXPECT_EQ(decoded->split_index, 4);
  EXPECT_EQ(decoded->splits, m.splits);
  EXPECT_TRUE(decoded->no_more_splits);
  EXPECT_EQ(decoded->restore_paths, m.restore_paths);
  EXPECT_TRUE(decoded->terminate);
  EXPECT_EQ(decoded->times.idle_ns, 1'000'000'007);
  EXPECT_EQ(decoded->times.backpressured_ns, 42);
  EXPECT_TRUE(decoded->savepoint);
  EXPECT_TRUE(decoded->in_flight_data);
}

TEST(ControlMessageTest, UnknownFailureKindIsRejected) {
  ControlMessage m;
  m.type = ControlType::kTaskState;
  std::string bytes = m.Encode();
  // The failure kind's byte: where the encodings of two kinds differ.
  m.failure = TaskFailure::kRecoverable;
  const std::string other = m.Encode();
  ASSERT_EQ(bytes.size(), other.size());
  size_t at = 0;
  while (at < bytes.size() && bytes[at] == other[at]) ++at;
  ASSERT_LT(at, bytes.size());
  bytes[at] = 3;  // 3 is past kRestoredStateLost
  auto decoded = ControlMessage::Decode(bytes);
  EXPECT_EQ(decoded.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(decoded.status().message().find("trailer"), std::string::npos)
      << decoded.status().ToString();
}

TEST(ControlMessageTest, GarbageNeverDecodes) {
  ControlMessage m;
  m.type = ControlType::kAcknowledgeCheckpoint;
  const std::string bytes = m.Encode();
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(ControlMessage::Decode(bytes.substr(0, n)).ok()) << "prefix of " << n;
  }
  EXPECT_FALSE(ControlMessage::Decode(bytes + "x").ok());
  EXPECT_FALSE(ControlMessage::Decode(std::string(1, '\x7f')).ok());
}

}  // namespace
}  // namespace sluice
