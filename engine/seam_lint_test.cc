// Architecture rules, enforced by tests that first prove they can fail.
// 1. The seam: engine code outside engine/runtime/real/ and all of simnet/ must not reach
// the operating system directly (OS clocks, threads, sleeps, <random> engines or distributions,
// files, sockets, getenv). They get those through Host (engine/runtime/host.h). Tests (*_test.cc)
// are exempt: they may set up real files. A line may opt out with a "nondeterministic-ok: why"
// comment, which a reviewer then reads.
// 2. Assertions always run: no plain assert() (NDEBUG removes it), SLUICE_ASSERT instead.
// 3. Dependencies point down the layers of docs/architecture.md (DependencyLintTest).
// 4. One name, one class: two classes of the same qualified name linked into one program break
// the one-definition rule silently (ClassNameLintTest).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace sluice {
namespace {
namespace seam_lint_test {

const std::regex& Forbidden() {
  static const std::regex pattern(
      R"(std::chrono::(steady_clock|system_clock|high_resolution_clock)|std::this_thread|)"
      R"(std::thread\b|std::jthread|std::async\b|\brand\(|\bsrand\(|random_device|mt19937|)"
      R"(default_random_engine|std::[a-z_]+_distribution|\bfopen\(|std::[io]?fstream|)"
      R"(\bsocket\(|\bgetenv\(|\bsleep\(|\busleep\(|\bnanosleep\(|\btime\(nullptr\)|)"
      R"(gettimeofday|clock_gettime|#include <(thread|random|fstream|sys/socket\.h|unistd\.h)>)");
  return pattern;
}

// Plain assert() is compiled out by NDEBUG, which every build defines: use SLUICE_ASSERT
// (engine/base/assert.h), which always runs.
const std::regex& PlainAssert() {
  static const std::regex pattern(R"((^|[^_A-Za-z])assert\(|#include <cassert>)");
  return pattern;
}

// Returns "file:line: text" for every match of `rule` in `source`.
std::vector<std::string> Violations(const std::string& name, const std::string& source,
                                    const std::regex& rule = Forbidden()) {
  std::vector<std::string> found;
  std::istringstream lines(source);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (line.find("nondeterministic-ok") != std::string::npos) continue;
    const size_t comment = line.find("//");
    const std::string code = comment == std::string::npos ? line : line.substr(0, comment);
    if (std::regex_search(code, rule)) {
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

// The non-test sources under `dirs` (relative to the source root), sorted, as "dir/file" paths.
std::vector<std::string> Sources(std::initializer_list<const char*> dirs, bool skip_real_runtime) {
  namespace fs = std::filesystem;
  const fs::path root = SLUICE_SOURCE_DIR;
  std::vector<std::string> files;
  for (const char* dir : dirs) {
    for (const auto& entry : fs::recursive_directory_iterator(root / dir)) {
      const fs::path& path = entry.path();
      const std::string relative = fs::relative(path, root).generic_string();
      const std::string ext = path.extension().string();
      if (!entry.is_regular_file() || (ext != ".h" && ext != ".cc")) continue;
      if (skip_real_runtime && relative.rfind("engine/runtime/real/", 0) == 0) continue;
      if (relative.size() > 8 && relative.substr(relative.size() - 8) == "_test.cc") continue;
      files.push_back(relative);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string ReadSource(const std::string& relative) {
  std::ifstream in(std::filesystem::path(SLUICE_SOURCE_DIR) / relative);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every violation of `rule` in `files`, one per line, for a failure message.
std::string Report(const std::vector<std::string>& files, const std::regex& rule) {
  std::string report;
  for (const std::string& file : files) {
    for (const std::string& v : Violations(file, ReadSource(file), rule)) report += "  " + v + "\n";
  }
  return report;
}

TEST(SeamLintTest, EngineAndSimulatorUseOnlyTheSeam) {
  const std::vector<std::string> files = Sources({"engine", "simnet"}, true);
  EXPECT_GT(files.size(), 20u) << "the lint found too few sources under " << SLUICE_SOURCE_DIR;
  const std::string report = Report(files, Forbidden());
  EXPECT_TRUE(report.empty()) << "engine code must use the Host seam:\n" << report;
}

TEST(SeamLintTest, TheAssertCheckCatchesPlainAsserts) {
  EXPECT_EQ(Violations("a.cc", "  assert(x > 0);", PlainAssert()).size(), 1u);
  EXPECT_EQ(Violations("a.cc", "#include <cassert>", PlainAssert()).size(), 1u);
  EXPECT_TRUE(Violations("a.cc", "  SLUICE_ASSERT(x > 0, \"why\");", PlainAssert()).empty());
  EXPECT_TRUE(Violations("a.cc", "  static_assert(sizeof(int) == 4);", PlainAssert()).empty());
}

TEST(SeamLintTest, AssertionsAlwaysRun) {
  const std::vector<std::string> files =
      Sources({"engine", "simnet", "scenarios", "tools"}, false);
  const std::string report = Report(files, PlainAssert());
  EXPECT_TRUE(report.empty()) << "use SLUICE_ASSERT (engine/base/assert.h), which NDEBUG does "
                                 "not turn off:\n"
                              << report;
}

// The layers (docs/architecture.md): each engine folder may include only the folders listed for
// it (and itself); nothing under engine/ includes simnet/, scenarios/ or tools/; simnet/ includes
// only engine/; scenarios/ never includes tools/.
const std::map<std::string, std::set<std::string>>& AllowedEngineDependencies() {
  static const std::map<std::string, std::set<std::string>> allowed = {
      {"base", {}},
      {"runtime", {"base"}},
      {"config", {"base"}},
      {"rpc", {"base", "runtime"}},
      {"partition", {"base"}},
      {"state", {"base", "partition", "runtime"}},
      {"exchange", {"base", "rpc", "runtime"}},
      {"checkpoint", {"base", "ha", "rpc", "runtime"}},
      {"rest", {"base", "runtime"}},
      {"ha", {"base", "rest", "runtime"}},
      {"graph", {"base", "config", "exchange", "partition", "runtime"}},
      {"jobmanager",
       {"base", "checkpoint", "config", "graph", "ha", "partition", "rest", "rpc", "runtime"}},
      {"taskmanager",
       {"base", "checkpoint", "config", "exchange", "graph", "ha", "partition", "rest", "rpc",
        "runtime", "state"}},
      {"api", {"base", "config", "exchange", "graph", "partition", "runtime", "state"}},
      {"connectors", {"api", "base", "checkpoint", "graph", "partition", "runtime", "state"}},
      {"jobs", {"api", "base", "config", "connectors", "graph", "partition", "runtime", "state"}},
  };
  return allowed;
}

// "top/sub" of a source path or an include path ("engine/graph/x.h" -> {"engine", "graph"}).
std::pair<std::string, std::string> Layer(const std::string& path) {
  const size_t first = path.find('/');
  if (first == std::string::npos) return {path, ""};
  const size_t second = path.find('/', first + 1);
  return {path.substr(0, first),
          second == std::string::npos ? "" : path.substr(first + 1, second - first - 1)};
}

// Why `file` may not include `included` (both relative to the source root), or "" if it may.
std::string DependencyViolation(const std::string& file, const std::string& included) {
  const auto [top, sub] = Layer(file);
  const auto [to_top, to_sub] = Layer(included);
  static const std::set<std::string> kTops = {"engine", "simnet", "scenarios", "tools"};
  if (kTops.count(to_top) == 0) return "";  // a library header
  if (top == "engine" && to_top != "engine") return "engine/ must not depend on " + to_top + "/";
  if (top == "simnet" && to_top != "engine" && to_top != "simnet") {
    return "simnet/ must not depend on " + to_top + "/";
  }
  if (top == "scenarios" && to_top == "tools") return "scenarios/ must not depend on tools/";
  if (top != "engine" || to_top != "engine" || sub == to_sub) return "";
  const auto& allowed = AllowedEngineDependencies();
  auto it = allowed.find(sub);
  if (it == allowed.end()) return "engine/" + sub + "/ has no entry in the layer table";
  if (it->second.count(to_sub) == 0) {
    return "engine/" + sub + "/ must not depend on engine/" + to_sub + "/ (a higher layer)";
  }
  return "";
}

std::vector<std::string> DependencyViolations(const std::string& file) {
  static const std::regex include(R"re(^\s*#include\s+"([^"]+)")re");
  std::vector<std::string> found;
  std::istringstream lines(ReadSource(file));
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    std::smatch match;
    if (!std::regex_search(line, match, include)) continue;
    const std::string why = DependencyViolation(file, match[1]);
    if (!why.empty()) found.push_back(file + ":" + std::to_string(number) + ": " + why);
  }
  return found;
}

TEST(DependencyLintTest, TheCheckCatchesPlantedViolations) {
  EXPECT_NE(DependencyViolation("engine/jobmanager/job_manager.h", "engine/jobs/wordcount.h"), "");
  EXPECT_NE(DependencyViolation("engine/checkpoint/x.cc", "engine/connectors/file_sink.h"), "");
  EXPECT_NE(DependencyViolation("engine/graph/job_graph.h", "engine/api/data_stream.h"), "");
  EXPECT_NE(DependencyViolation("engine/runtime/x.cc", "simnet/world.h"), "");
  EXPECT_NE(DependencyViolation("scenarios/x.cc", "tools/cli_common.h"), "");
  EXPECT_NE(DependencyViolation("engine/newlayer/x.cc", "engine/base/status.h"), "");
  EXPECT_EQ(DependencyViolation("engine/api/data_stream.h", "engine/graph/job_graph.h"), "");
  EXPECT_EQ(DependencyViolation("engine/graph/job_graph.cc", "engine/graph/job_graph.h"), "");
  EXPECT_EQ(DependencyViolation("tools/x.cc", "scenarios/scenario.h"), "");
  EXPECT_EQ(DependencyViolation("engine/base/x.cc", "fmt/core.h"), "");
}

TEST(DependencyLintTest, DependenciesPointDown) {
  // Tests may reach up (a unit test may use a built-in job), so only sources are held to it.
  const std::vector<std::string> files =
      Sources({"engine", "simnet", "scenarios", "tools"}, false);
  std::string report;
  for (const std::string& file : files) {
    for (const std::string& v : DependencyViolations(file)) report += "  " + v + "\n";
  }
  EXPECT_TRUE(report.empty()) << "includes against the layering of docs/architecture.md:\n"
                              << report;
}

// Classes and structs defined at namespace level (formatted code: the definition starts in
// column 0), outside anonymous namespaces, as "ns::Name" → the files defining them. Namespaces
// are tracked by their "namespace x {" and "}  // namespace" lines.
std::map<std::string, std::set<std::string>> ClassDefinitions(
    const std::vector<std::pair<std::string, std::string>>& sources) {
  static const std::regex open(R"(^namespace ([A-Za-z_:]*) ?\{)");
  static const std::regex close(R"(^\}  // namespace)");
  // Not "struct Outer::Nested {" (a nested class defined out of line).
  static const std::regex definition(R"(^(class|struct) ([A-Za-z_]\w*)(?![\w:])[^;]*$)");
  std::map<std::string, std::set<std::string>> defined;
  for (const auto& [name, source] : sources) {
    std::vector<std::string> namespaces;
    std::istringstream lines(source);
    std::string line;
    std::smatch match;
    while (std::getline(lines, line)) {
      if (std::regex_search(line, match, open)) {
        namespaces.push_back(match[1].str());
      } else if (std::regex_search(line, close) && !namespaces.empty()) {
        namespaces.pop_back();
      } else if (std::regex_search(line, match, definition)) {
        if (std::find(namespaces.begin(), namespaces.end(), "") != namespaces.end()) continue;
        std::string qualified;
        for (const std::string& ns : namespaces) qualified += ns + "::";
        defined[qualified + match[2].str()].insert(name);
      }
    }
  }
  return defined;
}

// "ns::Name: a.h, b.h" for every class defined in more than one file.
std::string DuplicateClasses(const std::vector<std::pair<std::string, std::string>>& sources) {
  std::string report;
  for (const auto& [qualified, files] : ClassDefinitions(sources)) {
    if (files.size() < 2) continue;
    report += "  " + qualified + ":";
    for (const std::string& file : files) report += " " + file;
    report += "\n";
  }
  return report;
}

TEST(ClassNameLintTest, TheCheckCatchesPlantedViolations) {
  const std::string scheduler = "namespace sluice {\n\nclass Scheduler {\n};\n}  // namespace sluice\n";
  EXPECT_NE(DuplicateClasses({{"a.h", scheduler}, {"b.h", scheduler}}), "");
  const std::string other =
      "namespace sluice {\nnamespace {\nclass Scheduler {\n};\n}  // namespace\n"
      "class JobScheduler {\n};\nclass Scheduler;\nstruct Scheduler::Fiber {\n};\n"
      "}  // namespace sluice\n";
  EXPECT_EQ(DuplicateClasses({{"a.h", scheduler}, {"b.cc", other}}), "");
  const std::string nested =
      "namespace sluice::internal {\nstruct Scheduler {\n};\n}  // namespace sluice::internal\n";
  EXPECT_EQ(DuplicateClasses({{"a.h", scheduler}, {"b.h", nested}}), "");
}

TEST(ClassNameLintTest, EveryClassNameIsDefinedOnce) {
  std::vector<std::pair<std::string, std::string>> sources;
  for (const std::string& file : Sources({"engine", "simnet", "scenarios", "tools"}, false)) {
    sources.emplace_back(file, ReadSource(file));
  }
  EXPECT_GT(ClassDefinitions(sources).size(), 50u) << "the lint found too few classes";
  const std::string report = DuplicateClasses(sources);
  EXPECT_TRUE(report.empty()) << "one qualified class name defined in several files breaks the "
                                 "one-definition rule once they are linked together:\n"
                              << report;
}

}  // namespace seam_lint_test
}  // namespace
}  // namespace sluice
