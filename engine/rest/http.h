// HTTP/1.1 over the runtime's network seam (engine/runtime/network.h), for the JobManager's REST
// API: one request per connection, answered and closed ("Connection: close", RFC 9112 §9.6).
// Messages are parsed by Node's http_parser (the Debian package libhttp-parser-dev), so that a
// real host and the simulator serve the same bytes the same way. Requests larger than
// kMaxHttpMessageBytes, malformed bytes and bodies are refused (400 or 413) and the connection
// closed; nothing a peer sends can crash the server.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/base/status.h"
#include "engine/runtime/host.h"
#include "engine/runtime/network.h"

namespace sluice {

inline constexpr size_t kMaxHttpMessageBytes = 64 * 1024;

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // "/jobs/abc/checkpoints" (the target without its query)
  std::string query;   // after '?', undecoded; "" if none
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;  // extra headers (names as given)
};

// The reason phrase of a status code ("Not Found"); "Unknown" for codes it does not know.
const char* HttpReason(int status);

// Whether `request` may be served when the server wants `bearer_token` ("" = no token
// wanted): its "Authorization: Bearer <token>" header matches, compared in constant time.
bool BearerTokenAccepted(const HttpRequest& request, const std::string& bearer_token);
// 401 with Flink's error body and a WWW-Authenticate: Bearer header.
HttpResponse UnauthorizedResponse();

// Reads one request from `stream`. kInvalidArgument naming the parser's error for malformed
// bytes, kResourceExhausted past kMaxHttpMessageBytes, kUnavailable if the peer closes first. May
// suspend.
Result<HttpRequest> ReadHttpRequest(Stream& stream);
// Reads one response (for clients: tests, tools). Errors as ReadHttpRequest. May suspend.
Result<HttpResponse> ReadHttpResponse(Stream& stream);
// One request (`method` `target` with `body`, "Connection: close") to the HTTP server at
// `address` over `network`, and its response. The network's errors (connect within
// `connect_timeout_ns`, write), then ReadHttpResponse's. May suspend.
Result<HttpResponse> CallHttp(Network& network, const Address& address, const std::string& method,
                              const std::string& target, const std::string& body,
                              int64_t connect_timeout_ns);

// The bytes of a response with Content-Length and "Connection: close".
std::string EncodeHttpResponse(const HttpResponse& response);
// The bytes of a request for `target` to `host` with "Connection: close".
std::string EncodeHttpRequest(const std::string& method, const std::string& host,
                              const std::string& target, const std::string& body = "");

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// Serves `listener` until it is closed: each connection on its own fiber, one request each. A
// request that cannot be parsed is answered 400 (413 if too large) without calling `handler`.
// `handler` runs on the connection's fiber; it may suspend (the JobManager's POST /jobs does: an
// etcd write), and the listener's end then waits for it. Suspends; returns once the
// listener fails (closed) after every connection fiber it started has ended.
void ServeHttp(Host& host, Listener& listener, const HttpHandler& handler);

}  // namespace sluice
