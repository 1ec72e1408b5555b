#include "engine/ha/etcd_json.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(EtcdJsonTest, Base64RoundTripsEveryLengthAndByte) {
  std::string bytes;
  for (int i = 0; i < 260; ++i) {
    const std::string encoded = Base64Encode(bytes);
    EXPECT_EQ(encoded.size() % 4, 0u);
    auto decoded = Base64Decode(encoded, "test");
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, bytes);
    bytes.push_back(static_cast<char>(i * 37));
  }
  EXPECT_EQ(Base64Encode("a"), "YQ==");  // as etcd's gateway writes key "a"
  EXPECT_EQ(Base64Decode("YWI=", "k").value(), "ab");
}

TEST(EtcdJsonTest, Base64RefusesWhatIsNotBase64) {
  for (const char* text : {"YQ=", "Y", "!!!!", "YQ==YQ"}) {
    auto decoded = Base64Decode(text, "kvs[0].key");
    EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument) << text;
    if (!decoded.ok()) {
      EXPECT_NE(decoded.status().message().find("kvs[0].key"), std::string::npos);
    }
  }
}

TEST(EtcdJsonTest, Int64FieldsAreStringsOrNumbersAndDefaultWhenAbsent) {
  const auto object = nlohmann::json::parse(
      R"({"revision":"12","count":3,"neg":"-5","big":"9223372036854775807",)"
      R"("over":"9223372036854775808","text":"12a","float":1.5,"list":[]})");
  EXPECT_EQ(JsonInt64(object, "revision").value(), 12);
  EXPECT_EQ(JsonInt64(object, "count").value(), 3);
  EXPECT_EQ(JsonInt64(object, "neg").value(), -5);
  EXPECT_EQ(JsonInt64(object, "big").value(), INT64_MAX);
  EXPECT_EQ(JsonInt64(object, "absent", 7).value(), 7);
  for (const char* bad : {"over", "text", "float", "list"}) {
    auto value = JsonInt64(object, bad);
    EXPECT_EQ(value.status().code(), StatusCode::kInvalidArgument) << bad;
    if (!value.ok()) {
      EXPECT_NE(value.status().message().find(bad), std::string::npos);
    }
  }
  EXPECT_FALSE(JsonInt64(nlohmann::json::array(), "x").ok());
  EXPECT_FALSE(JsonBool(object, "count").ok());
  EXPECT_FALSE(JsonBool(object, "absent").value());
  EXPECT_FALSE(JsonBytes(object, "count").ok());
  EXPECT_EQ(JsonBytes(object, "absent").value(), "");
}

TEST(EtcdJsonTest, PrefixRangeEndIsTheFirstKeyPastThePrefix) {
  EXPECT_EQ(PrefixRangeEnd("job/"), "job0");
  EXPECT_EQ(PrefixRangeEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixRangeEnd(""), std::string(1, '\0'));
  EXPECT_EQ(PrefixRangeEnd(std::string("\xff\xff", 2)), std::string(1, '\0'));
  EXPECT_EQ(PrefixRangeStart("job/"), "job/");
  EXPECT_EQ(PrefixRangeStart(""), std::string(1, '\0'));  // etcd refuses an empty key
}

}  // namespace
}  // namespace sluice
