#include "tools/corpus.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "tools/file_util.h"

namespace sluice::tools {
namespace {
namespace corpus_test {

class CorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "corpus-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    ASSERT_TRUE(WriteWholeFile(dir_ + "/" + name, text).ok());
  }
  std::string dir_;
};

TEST_F(CorpusTest, ConcatenatesRegularFilesInNameOrderSkippingDatU8AndSymlinks) {
  Write("b", "bee\n");
  Write("a", "ay\n");
  Write("a.dat", "index");
  Write("c.u8", "utf8");
  std::filesystem::create_symlink(dir_ + "/a", dir_ + "/d");
  std::filesystem::create_directory(dir_ + "/sub");
  auto corpus = ReadFortunesCorpus(dir_);
  ASSERT_TRUE(corpus.ok()) << corpus.status().ToString();
  EXPECT_EQ(corpus.value(), "ay\nbee\n");
}

TEST_F(CorpusTest, MissingOrEmptyCorpusTellsToInstallFortunes) {
  auto missing = ReadFortunesCorpus(dir_ + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("fortunes"), std::string::npos);
  EXPECT_FALSE(ReadFortunesCorpus(dir_).ok());  // exists, but holds no fortune files
}

TEST_F(CorpusTest, LoadInputNamesUnreadableFile) {
  auto missing = LoadInput(dir_ + "/absent.txt");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("absent.txt"), std::string::npos);
  EXPECT_FALSE(LoadInput(dir_).ok());  // a directory is not an input file
  Write("in.txt", "hello\n");
  EXPECT_EQ(LoadInput(dir_ + "/in.txt").value(), "hello\n");
}

TEST_F(CorpusTest, WriteFilesUnderRefusesEscapingNames) {
  EXPECT_FALSE(WriteFilesUnder(dir_ + "/out", {{"../evil", "x"}}).ok());
  EXPECT_FALSE(WriteFilesUnder(dir_ + "/out", {{"/tmp/evil", "x"}}).ok());
  EXPECT_TRUE(WriteFilesUnder(dir_ + "/out", {{"part-0", "a\n"}, {"sub/part-1", "b\n"}}).ok());
  EXPECT_EQ(ReadWholeFile(dir_ + "/out/sub/part-1").value(), "b\n");
}

}  // namespace corpus_test
}  // namespace
}  // namespace sluice::tools
