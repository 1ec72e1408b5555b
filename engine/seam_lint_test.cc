// The seam, enforced: engine code outside engine/runtime/real/ and all of simnet/ must not reach
// the operating system directly (OS clocks, threads, sleeps, <random> engines or distributions,
// files, sockets, getenv). They get those through Host (engine/runtime/host.h). Tests (*_test.cc)
// are exempt: they may set up real files. A line may opt out with a "nondeterministic-ok: why"
// comment, which a reviewer then reads.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace sluice {
namespace {

const std::regex& Forbidden() {
  static const std::regex pattern(
      R"(std::chrono::(steady_clock|system_clock|high_resolution_clock)|std::this_thread|)"
      R"(std::thread\b|std::jthread|std::async\b|\brand\(|\bsrand\(|random_device|mt19937|)"
      R"(default_random_engine|std::[a-z_]+_distribution|\bfopen\(|std::[io]?fstream|)"
      R"(\bsocket\(|\bgetenv\(|\bsleep\(|\busleep\(|\bnanosleep\(|\btime\(nullptr\)|)"
      R"(gettimeofday|clock_gettime|#include <(thread|random|fstream|sys/socket\.h|unistd\.h)>)");
  return pattern;
}

// Returns "file:line: text" for every forbidden use in `source`.
std::vector<std::string> Violations(const std::string& name, const std::string& source) {
  std::vector<std::string> found;
  std::istringstream lines(source);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (line.find("nondeterministic-ok") != std::string::npos) continue;
    const size_t comment = line.find("//");
    const std::string code = comment == std::string::npos ? line : line.substr(0, comment);
    if (std::regex_search(code, Forbidden())) {
      found.push_back(name + ":" + std::to_string(number) + ": " + line);
    }
  }
  return found;
}

TEST(SeamLintTest, TheCheckCatchesPlantedViolations) {
  EXPECT_EQ(Violations("a.cc", "auto t = std::chrono::steady_clock::now();").size(), 1u);
  EXPECT_EQ(Violations("a.cc", "#include <thread>").size(), 1u);
  EXPECT_EQ(Violations("a.cc", "std::mt19937 gen(1);").size(), 1u);
  EXPECT_EQ(Violations("a.cc", "std::uniform_int_distribution<int> d;").size(), 1u);
  EXPECT_EQ(Violations("a.cc", "const char* h = getenv(\"HOME\");").size(), 1u);
  EXPECT_EQ(Violations("a.cc", "std::ifstream in(path);").size(), 1u);
  EXPECT_EQ(Violations("a.cc", "int fd = socket(AF_INET, SOCK_STREAM, 0);").size(), 1u);
  EXPECT_TRUE(Violations("a.cc", "host.clock.NowNs();  // not std::thread").empty());
  EXPECT_TRUE(Violations("a.cc", "usleep(1);  // nondeterministic-ok: test").empty());
}

TEST(SeamLintTest, EngineAndSimulatorUseOnlyTheSeam) {
  namespace fs = std::filesystem;
  const fs::path root = SLUICE_SOURCE_DIR;
  std::vector<std::string> violations;
  size_t scanned = 0;
  for (const char* dir : {"engine", "simnet"}) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(root / dir)) {
      const fs::path& path = entry.path();
      const std::string relative = fs::relative(path, root).generic_string();
      const std::string ext = path.extension().string();
      if (!entry.is_regular_file() || (ext != ".h" && ext != ".cc")) continue;
      if (relative.rfind("engine/runtime/real/", 0) == 0) continue;
      if (relative.size() > 8 && relative.substr(relative.size() - 8) == "_test.cc") continue;
      files.push_back(path);
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& path : files) {
      std::ifstream in(path);
      std::stringstream text;
      text << in.rdbuf();
      auto found = Violations(fs::relative(path, root).generic_string(), text.str());
      violations.insert(violations.end(), found.begin(), found.end());
      ++scanned;
    }
  }
  EXPECT_GT(scanned, 20u) << "the lint found too few sources under " << root;
  std::string report;
  for (const auto& v : violations) report += "  " + v + "\n";
  EXPECT_TRUE(violations.empty()) << "engine code must use the Host seam:\n" << report;
}

}  // namespace
}  // namespace sluice
