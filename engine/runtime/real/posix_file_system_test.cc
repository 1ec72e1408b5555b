#include "engine/runtime/real/posix_file_system.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "engine/runtime/real/real_runtime.h"

namespace sluice::real {
namespace {
namespace posix_file_system_test {

constexpr uint64_t kSeed = 11;

class RealFileSystemTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/sluice_fs_test_XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    temp_dir_ = pattern;
    root_ = temp_dir_ + "/host/root";  // Run creates it
  }
  void TearDown() override { std::filesystem::remove_all(temp_dir_); }

  // Runs `body` on a RealRuntime rooted at root_, and expects it to succeed.
  void RunOnHost(const std::function<void(Host&)>& body) {
    RealRuntime runtime("host", root_, kSeed);
    const Status status = runtime.Run([&](Host& host) {
      body(host);
      return Status::Ok();
    });
    EXPECT_TRUE(status.ok()) << status.ToString();
  }

  std::string temp_dir_;
  std::string root_;
};

#define EXPECT_OK(expr)                              \
  do {                                               \
    const ::sluice::Status status_ = (expr);         \
    EXPECT_TRUE(status_.ok()) << status_.ToString(); \
  } while (0)

TEST_F(RealFileSystemTest, AppendSyncReadRenameListRemove) {
  RunOnHost([&](Host& host) {
    FileSystem& fs = host.fs;
    EXPECT_OK(fs.CreateDir("chk/1"));
    EXPECT_OK(fs.CreateDir("chk/1"));  // exists: fine
    auto file = fs.OpenAppendable("chk/1/data.tmp", /*truncate=*/false);
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    EXPECT_OK((*file)->Append("hello "));
    EXPECT_OK((*file)->Append("world"));
    EXPECT_OK((*file)->Sync());
    EXPECT_OK((*file)->Close());
    EXPECT_OK((*file)->Close());  // idempotent
    EXPECT_EQ((*file)->Append("late").code(), StatusCode::kFailedPrecondition);

    EXPECT_OK(fs.Rename("chk/1/data.tmp", "chk/1/data"));
    EXPECT_OK(fs.SyncDir("chk/1"));
    EXPECT_FALSE(*fs.Exists("chk/1/data.tmp"));
    EXPECT_TRUE(*fs.Exists("chk/1/data"));
    EXPECT_EQ(*fs.ReadFile("chk/1/data"), "hello world");
    EXPECT_EQ(*fs.FileSize("chk/1/data"), 11u);
    EXPECT_EQ(*fs.ReadRange("chk/1/data", 6, 100), "world");
    EXPECT_EQ(*fs.ReadRange("chk/1/data", 0, 5), "hello");
    EXPECT_EQ(*fs.ReadRange("chk/1/data", 11, 5), "");
    EXPECT_EQ(*fs.ReadRange("chk/1/data", 50, 5), "");

    EXPECT_OK(WriteFileAtomically(fs, "chk/1/_metadata", "meta"));
    EXPECT_OK(fs.CreateDir("chk/1/sub"));
    EXPECT_EQ(*fs.List("chk/1"), (std::vector<std::string>{"_metadata", "data", "sub"}));

    EXPECT_OK(fs.Remove("chk/1/data"));
    EXPECT_OK(fs.Remove("chk/1/sub"));  // an empty directory
    EXPECT_EQ(*fs.List("chk/1"), (std::vector<std::string>{"_metadata"}));
  });
  // Relative paths landed under the root.
  EXPECT_TRUE(std::filesystem::exists(root_ + "/chk/1/_metadata"));
}

TEST_F(RealFileSystemTest, TruncateEmptiesAndAppendAppends) {
  RunOnHost([&](Host& host) {
    EXPECT_OK(WriteFileAtomically(host.fs, "f", "old contents"));
    {
      auto file = host.fs.OpenAppendable("f", /*truncate=*/false);
      ASSERT_TRUE(file.ok());
      EXPECT_OK((*file)->Append("+more"));
    }
    EXPECT_EQ(*host.fs.ReadFile("f"), "old contents+more");
    auto file = host.fs.OpenAppendable("f", /*truncate=*/true);
    ASSERT_TRUE(file.ok());
    EXPECT_OK((*file)->Append("new"));
    EXPECT_EQ(*host.fs.ReadFile("f"), "new");
  });
}

TEST_F(RealFileSystemTest, ErrorsCarryTheCodeAndNameThePath) {
  RunOnHost([&](Host& host) {
    FileSystem& fs = host.fs;
    const std::string missing = root_ + "/missing";
    auto read = fs.ReadFile("missing");
    EXPECT_EQ(read.status().code(), StatusCode::kNotFound);
    EXPECT_NE(read.status().message().find(missing), std::string::npos) << read.status().message();
    EXPECT_NE(read.status().message().find("No such file"), std::string::npos);

    EXPECT_EQ(fs.Remove("missing").code(), StatusCode::kNotFound);
    EXPECT_EQ(fs.FileSize("missing").status().code(), StatusCode::kNotFound);
    EXPECT_EQ(fs.List("missing").status().code(), StatusCode::kNotFound);
    EXPECT_EQ(fs.Rename("missing", "other").code(), StatusCode::kNotFound);
    EXPECT_FALSE(*fs.Exists("missing"));
    EXPECT_FALSE(*fs.Exists("missing/below"));

    EXPECT_OK(WriteFileAtomically(fs, "plain", "x"));
    const Status list = fs.List("plain").status();
    EXPECT_EQ(list.code(), StatusCode::kIoError);
    EXPECT_NE(list.message().find(root_ + "/plain"), std::string::npos) << list.message();
    const Status mkdir = fs.CreateDir("plain/sub");
    EXPECT_EQ(mkdir.code(), StatusCode::kIoError) << mkdir.ToString();
    EXPECT_NE(mkdir.message().find("plain"), std::string::npos) << mkdir.message();
    EXPECT_EQ(fs.CreateDir("plain").code(), StatusCode::kIoError);

    EXPECT_OK(fs.CreateDir("full/dir"));
    EXPECT_OK(WriteFileAtomically(fs, "full/dir/f", "x"));
    EXPECT_EQ(fs.Remove("full/dir").code(), StatusCode::kIoError);  // not empty
  });
}

TEST_F(RealFileSystemTest, AbsolutePathsBypassTheRoot) {
  RunOnHost([&](Host& host) {
    const std::string outside = temp_dir_ + "/outside.txt";
    EXPECT_OK(WriteFileAtomically(host.fs, outside, "abs"));
    EXPECT_EQ(*host.fs.ReadFile(outside), "abs");
  });
  EXPECT_TRUE(std::filesystem::exists(temp_dir_ + "/outside.txt"));
  EXPECT_FALSE(std::filesystem::exists(root_ + temp_dir_));
}

TEST_F(RealFileSystemTest, RunFailsWhenTheRootCannotBeCreated) {
  ASSERT_TRUE(std::filesystem::create_directories(temp_dir_ + "/host"));
  std::ofstream(temp_dir_ + "/host/root") << "a file where the root directory should be";
  RealRuntime runtime("host", root_, kSeed);
  bool ran = false;
  const Status status = runtime.Run([&](Host&) {
    ran = true;
    return Status::Ok();
  });
  EXPECT_EQ(status.code(), StatusCode::kIoError) << status.ToString();
  EXPECT_FALSE(ran);
}

#undef EXPECT_OK

}  // namespace posix_file_system_test
}  // namespace
}  // namespace sluice::real
