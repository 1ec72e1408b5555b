#include "engine/rest/http.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice {
namespace {
namespace http_test {

// A stream that hands out `chunks` one Read at a time, then end of stream, and keeps what is
// written. Never suspends.
class ScriptedStream final : public Stream {
 public:
  explicit ScriptedStream(std::vector<std::string> chunks) : chunks_(std::move(chunks)) {}
  Status Write(std::string_view data) override {
    written.append(data);
    return Status::Ok();
  }
  Result<size_t> Read(std::string* out, size_t max_bytes) override {
    if (next_ == chunks_.size()) return size_t{0};
    std::string& chunk = chunks_[next_];
    const size_t n = std::min(max_bytes, chunk.size());
    out->append(chunk, 0, n);
    chunk.erase(0, n);
    if (chunk.empty()) ++next_;
    return n;
  }
  void Close() override {}
  std::string PeerName() const override { return "peer:1"; }
  std::string written;

 private:
  std::vector<std::string> chunks_;
  size_t next_ = 0;
};

TEST(HttpTest, ParsesARequestSplitAcrossReads) {
  ScriptedStream stream(
      {"GET /jobs/ab", "c/checkpoints?x=1 HTTP/1.1\r\nHo", "st: jm\r\nX-Thing:", " 7\r\n\r\n"});
  auto request = ReadHttpRequest(stream);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->method, "GET");
  EXPECT_EQ(request->path, "/jobs/abc/checkpoints");
  EXPECT_EQ(request->query, "x=1");
  EXPECT_EQ(request->headers.at("host"), "jm");
  EXPECT_EQ(request->headers.at("x-thing"), "7");
}

TEST(HttpTest, ReadsABodyByContentLength) {
  ScriptedStream stream({"POST /jobs HTTP/1.1\r\nContent-Length: 5\r\n\r\nhel", "lo"});
  auto request = ReadHttpRequest(stream);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->method, "POST");
  EXPECT_EQ(request->body, "hello");
}

TEST(HttpTest, ResponsesRoundTrip) {
  HttpResponse response;
  response.status = 404;
  response.body = "{\"errors\":[\"x\"]}";
  ScriptedStream stream({EncodeHttpResponse(response)});
  auto read = ReadHttpResponse(stream);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->status, 404);
  EXPECT_EQ(read->content_type, "application/json");
  EXPECT_EQ(read->body, response.body);
  EXPECT_EQ(read->headers.at("connection"), "close");
}

TEST(HttpTest, MalformedTruncatedAndOversizedRequestsAreErrors) {
  ScriptedStream garbage({"\x01\x02 nonsense\r\n\r\n"});
  auto bad = ReadHttpRequest(garbage);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("malformed HTTP message"), std::string::npos);

  ScriptedStream truncated({"GET / HTTP/1.1\r\nHost: a\r\n"});
  EXPECT_EQ(ReadHttpRequest(truncated).status().code(), StatusCode::kUnavailable);

  ScriptedStream huge({"POST / HTTP/1.1\r\nContent-Length: 100000\r\n\r\n",
                       std::string(kMaxHttpMessageBytes, 'x')});
  EXPECT_EQ(ReadHttpRequest(huge).status().code(), StatusCode::kResourceExhausted);
}

TEST(HttpTest, EveryPrefixOfARequestIsIncompleteNeverACrash) {
  const std::string request = EncodeHttpRequest("GET", "jm", "/overview");
  for (size_t n = 0; n < request.size(); ++n) {
    ScriptedStream stream({request.substr(0, n)});
    EXPECT_FALSE(ReadHttpRequest(stream).ok()) << "prefix of " << n;
  }
  ScriptedStream whole({request});
  EXPECT_TRUE(ReadHttpRequest(whole).ok());
}

}  // namespace http_test
}  // namespace
}  // namespace sluice
