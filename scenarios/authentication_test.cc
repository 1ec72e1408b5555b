// Authentication between a simulated cluster's hosts (WordCountClusterOptions::auth_secret: every
// store, JobManager and TaskManager host authenticates its connections, as real processes do
// with security.auth.secret-file). A rogue host without the secret forges a TaskManager's
// registration to the JobManager, a data-plane handshake to a TaskManager and a write to the
// checkpoint store; one holding another secret tries to connect. Each is dropped and logged
// ("auth.rejected"), none is heard, and the job commits word count's exact output.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/rpc/authenticated_network.h"
#include "engine/rpc/control.h"
#include "engine/rpc/frame.h"
#include "scenarios/exactly_once.h"
#include "scenarios/wordcount_cluster.h"

namespace sluice::scenarios {
namespace {
namespace authentication_test {

constexpr char kSecret[] = "the-cluster-secret-0123456789";

std::string Input() {
  std::string input;
  for (int i = 0; i < 3000; ++i) input += "alpha beta gamma w" + std::to_string(i % 17) + "\n";
  return input;
}

// Connects to `address`, writes `bytes`, and reads until the peer closes or fails the stream:
// "closed" when it did so without answering, else what it answered.
std::string ForgeAndListen(Host& host, const Address& address, const std::string& bytes) {
  auto stream = host.network.Connect(address, kNanosPerSecond);
  if (!stream.ok()) return "connect failed: " + stream.status().ToString();
  (void)(*stream)->Write(bytes);
  std::string answer;
  for (;;) {
    auto n = (*stream)->Read(&answer, 4096);
    if (!n.ok() || *n == 0) break;
  }
  (*stream)->Close();
  return answer.empty() ? "closed" : answer;
}

TEST(AuthenticationTest, PeersWithoutTheSecretAreDroppedAndChangeNothing) {
  WordCountClusterOptions options;
  options.seed = 4;
  options.auth_secret = kSecret;
  options.source_records_per_second = 2000;
  const std::string input = Input();
  WordCountCluster cluster(options, input);
  int rejected = 0;
  std::vector<std::string> messages;
  cluster.world().AddEventObserver(
      [&](sim::World::HostId, Severity, std::string_view category, std::string_view message) {
        if (category == "auth.rejected") ++rejected;
        messages.emplace_back(message);
      });
  struct Seen {
    std::string jobmanager, taskmanager, store;
    Status wrong_secret = InternalError("not tried");
  } seen;
  cluster.world().AddHost("rogue", [&seen](Host& host) {
    host.fibers.SleepFor(300 * kNanosPerMilli);
    ControlMessage hello;
    hello.type = ControlType::kRegister;
    hello.text = "rogue-tm";
    hello.address = Address{"rogue", 6124};
    hello.slots = 64;
    std::string frame;
    AppendFrame(&frame, hello.Encode());
    seen.jobmanager = ForgeAndListen(host, Address{"jobmanager", 6123}, frame);
    seen.taskmanager = ForgeAndListen(host, Address{"taskmanager-1", 6124}, frame);
    seen.store = ForgeAndListen(host, Address{"checkpoint-store", 7000}, frame);
  });
  // Another secret: its Connect itself fails (the server's proof does not check out).
  cluster.world().AddHost(
      "guesser",
      [&seen](Host& host) {
        host.fibers.SleepFor(400 * kNanosPerMilli);
        seen.wrong_secret = host.network.Connect(Address{"jobmanager", 6123}, kNanosPerSecond)
                                .status();
      },
      [](Network& inner, Random& random, EventLog& log, Fibers& fibers) {
        return std::make_unique<AuthenticatedNetwork>(inner, "a-guessed-secret-987654", random,
                                                      log, fibers);
      });
  cluster.Run(60 * 1000);
  ASSERT_TRUE(cluster.finished()) << cluster.failure() << " (rerun: ctest -R AuthenticationTest)";
  const ExactlyOnceReport report = CheckExactlyOnce(WordCountReference(input),
                                                    cluster.CommittedOutput());
  EXPECT_TRUE(report.ok) << report.first_violation;
  // The forged frames found no Sluice peer behind the hello they lacked: each server closed.
  EXPECT_EQ(seen.jobmanager, "closed");
  EXPECT_EQ(seen.taskmanager, "closed");
  EXPECT_EQ(seen.store, "closed");
  EXPECT_EQ(seen.wrong_secret.code(), StatusCode::kUnauthenticated) << seen.wrong_secret.ToString();
  EXPECT_GE(rejected, 4) << "each refused peer is logged";
  for (const std::string& message : messages) {
    EXPECT_EQ(message.find("rogue-tm"), std::string::npos) << "the forged TaskManager was heard: "
                                                          << message;
  }
}

}  // namespace authentication_test
}  // namespace
}  // namespace sluice::scenarios
