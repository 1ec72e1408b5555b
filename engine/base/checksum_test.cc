#include "engine/base/checksum.h"

#include <gtest/gtest.h>

#include "engine/base/bytes.h"

namespace sluice {
namespace {

TEST(ChecksumTest, SealedBlobRoundTrips) {
  const std::string blob = SealBlob(0x1234, "payload");
  auto payload = UnsealBlob(0x1234, blob, "f");
  ASSERT_TRUE(payload.ok()) << payload.status().ToString();
  EXPECT_EQ(payload.value(), "payload");
}

TEST(ChecksumTest, EveryBitFlipTruncationAndWrongMagicIsDataLoss) {
  const std::string blob = SealBlob(0x1234, "some state bytes");
  for (size_t i = 0; i < blob.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string corrupt = blob;
      corrupt[i] = static_cast<char>(corrupt[i] ^ (1 << bit));
      auto result = UnsealBlob(0x1234, corrupt, "chk-1/_metadata");
      ASSERT_FALSE(result.ok()) << "flip of bit " << bit << " in byte " << i << " went unseen";
      EXPECT_EQ(result.status().code(), StatusCode::kDataLoss);
    }
  }
  for (size_t n = 0; n < blob.size(); ++n)
    EXPECT_FALSE(UnsealBlob(0x1234, blob.substr(0, n), "f").ok());
  auto wrong = UnsealBlob(0x9999, blob, "chk-1/_metadata");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("chk-1/_metadata"), std::string::npos);
}

TEST(BytesTest, VarintsAndStringsRoundTripAndRejectTruncation) {
  std::string buffer;
  ByteWriter w(&buffer);
  w.PutVarint(0);
  w.PutVarint(UINT64_MAX);
  w.PutSignedVarint(-5);
  w.PutString("hello");
  ByteReader r(buffer);
  uint64_t a = 1, b = 0;
  int64_t c = 0;
  std::string s;
  ASSERT_TRUE(r.GetVarint(&a) && r.GetVarint(&b) && r.GetSignedVarint(&c) && r.GetString(&s));
  EXPECT_EQ(a, 0u);
  EXPECT_EQ(b, UINT64_MAX);
  EXPECT_EQ(c, -5);
  EXPECT_EQ(s, "hello");
  EXPECT_TRUE(r.empty());
  ByteReader truncated(std::string_view(buffer).substr(0, buffer.size() - 1));
  ASSERT_TRUE(truncated.GetVarint(&a) && truncated.GetVarint(&b) && truncated.GetSignedVarint(&c));
  EXPECT_FALSE(truncated.GetString(&s));
}

}  // namespace
}  // namespace sluice
