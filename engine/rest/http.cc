#include "engine/rest/http.h"

#include <http_parser.h>

#include <cctype>
#include <memory>
#include <nlohmann/json.hpp>
#include <utility>

#include "engine/runtime/sync.h"

namespace sluice {
namespace {

constexpr size_t kReadChunkBytes = 4096;

// What http_parser's callbacks collect for one message.
struct Parsed {
  std::string url;
  std::string status;
  std::map<std::string, std::string> headers;
  std::string field;  // the header name being read
  std::string value;
  bool in_value = false;
  std::string body;
  bool complete = false;

  void FlushHeader() {
    if (!in_value) return;
    for (char& c : field) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    headers[field] = value;
    field.clear();
    value.clear();
    in_value = false;
  }
};

Parsed* Of(http_parser* parser) { return static_cast<Parsed*>(parser->data); }

const http_parser_settings& Settings() {
  static const http_parser_settings settings = [] {
    http_parser_settings s;
    http_parser_settings_init(&s);
    s.on_url = [](http_parser* p, const char* at, size_t n) {
      Of(p)->url.append(at, n);
      return 0;
    };
    s.on_status = [](http_parser* p, const char* at, size_t n) {
      Of(p)->status.append(at, n);
      return 0;
    };
    s.on_header_field = [](http_parser* p, const char* at, size_t n) {
      Of(p)->FlushHeader();
      Of(p)->field.append(at, n);
      return 0;
    };
    s.on_header_value = [](http_parser* p, const char* at, size_t n) {
      Of(p)->in_value = true;
      Of(p)->value.append(at, n);
      return 0;
    };
    s.on_headers_complete = [](http_parser* p) {
      Of(p)->FlushHeader();
      return 0;
    };
    s.on_body = [](http_parser* p, const char* at, size_t n) {
      Of(p)->body.append(at, n);
      return 0;
    };
    s.on_message_complete = [](http_parser* p) {
      Of(p)->complete = true;
      http_parser_pause(p, 1);  // one message per connection: ignore what follows
      return 0;
    };
    return s;
  }();
  return settings;
}

// Reads from `stream` into `parser` until a whole message is parsed.
Status ReadMessage(Stream& stream, http_parser* parser, Parsed* parsed) {
  parser->data = parsed;
  size_t total = 0;
  std::string chunk;
  while (!parsed->complete) {
    chunk.clear();
    ASSIGN_OR_RETURN(size_t got, stream.Read(&chunk, kReadChunkBytes));
    const bool eof = got == 0;
    total += got;
    if (total > kMaxHttpMessageBytes) {
      return ResourceExhaustedError("HTTP message over " + std::to_string(kMaxHttpMessageBytes) +
                                    " bytes");
    }
    // At end of stream, a zero-length execute tells the parser (a body read to EOF ends there).
    http_parser_execute(parser, &Settings(), chunk.data(), chunk.size());
    if (eof && !parsed->complete) {
      return UnavailableError("connection closed before a whole HTTP message arrived");
    }
    const auto error = HTTP_PARSER_ERRNO(parser);
    if (error != HPE_OK && error != HPE_PAUSED) {
      return InvalidArgumentError(std::string("malformed HTTP message: ") + http_errno_name(error) +
                                  " (" + http_errno_description(error) + ")");
    }
  }
  return Status::Ok();
}

}  // namespace

const char* HttpReason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

Result<HttpRequest> ReadHttpRequest(Stream& stream) {
  http_parser parser;
  http_parser_init(&parser, HTTP_REQUEST);
  Parsed parsed;
  RETURN_IF_ERROR(ReadMessage(stream, &parser, &parsed));
  HttpRequest request;
  request.method = http_method_str(static_cast<http_method>(parser.method));
  const size_t question = parsed.url.find('?');
  request.path = parsed.url.substr(0, question);
  if (question != std::string::npos) request.query = parsed.url.substr(question + 1);
  request.headers = std::move(parsed.headers);
  request.body = std::move(parsed.body);
  return request;
}

Result<HttpResponse> ReadHttpResponse(Stream& stream) {
  http_parser parser;
  http_parser_init(&parser, HTTP_RESPONSE);
  Parsed parsed;
  RETURN_IF_ERROR(ReadMessage(stream, &parser, &parsed));
  HttpResponse response;
  response.status = static_cast<int>(parser.status_code);
  auto type = parsed.headers.find("content-type");
  response.content_type = type == parsed.headers.end() ? "" : type->second;
  parsed.headers.erase("content-type");
  response.headers = std::move(parsed.headers);
  response.body = std::move(parsed.body);
  return response;
}

std::string EncodeHttpResponse(const HttpResponse& response) {
  std::string out =
      "HTTP/1.1 " + std::to_string(response.status) + " " + HttpReason(response.status) + "\r\n";
  out += "Content-Type: " + response.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
  out += "Connection: close\r\n\r\n";
  out += response.body;
  return out;
}

std::string EncodeHttpRequest(const std::string& method, const std::string& host,
                              const std::string& target, const std::string& body) {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n";
  if (!body.empty() || method == "POST" || method == "PATCH") {
    out +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  out += "Connection: close\r\n\r\n" + body;
  return out;
}

Result<HttpResponse> CallHttp(Network& network, const Address& address, const std::string& method,
                              const std::string& target, const std::string& body,
                              int64_t connect_timeout_ns) {
  ASSIGN_OR_RETURN(std::unique_ptr<Stream> stream, network.Connect(address, connect_timeout_ns));
  RETURN_IF_ERROR(stream->Write(EncodeHttpRequest(method, address.host, target, body)));
  auto response = ReadHttpResponse(*stream);
  stream->Close();
  return response;
}

void ServeHttp(Host& host, Listener& listener, const HttpHandler& handler) {
  // The open connections (closed when the listener ends, so their fibers end too) and a wake-up
  // for when the last one is gone.
  struct Connections {
    std::map<uint64_t, std::shared_ptr<Stream>> open;
    WaitList ended;
  };
  auto connections = std::make_shared<Connections>();
  uint64_t next_id = 0;
  for (;;) {
    auto accepted = listener.Accept();
    if (!accepted.ok()) break;
    std::shared_ptr<Stream> stream = std::move(accepted).value();
    const uint64_t id = next_id++;
    connections->open[id] = stream;
    host.fibers.Spawn("http-connection", [&host, &handler, stream, id, connections] {
      struct Done {  // also when the fiber is cancelled
        Host& host;
        uint64_t id;
        std::shared_ptr<Connections> connections;
        ~Done() {
          connections->open.erase(id);
          if (connections->open.empty()) connections->ended.NotifyAll(host.fibers);
        }
      } done{host, id, connections};
      auto request = ReadHttpRequest(*stream);
      const StatusCode code = request.status().code();
      if (code == StatusCode::kUnavailable) {  // the peer left
        stream->Close();
        return;
      }
      HttpResponse response;
      if (request.ok()) {
        response = handler(request.value());
      } else {
        response.status = code == StatusCode::kResourceExhausted ? 413 : 400;
        response.body = nlohmann::json{{"errors", {request.status().message()}}}.dump();
        host.log.Warn("rest.bad_request", stream->PeerName() + ": " + request.status().ToString());
      }
      (void)stream->Write(EncodeHttpResponse(response));
      stream->Close();
    });
  }
  for (auto& [id, stream] : connections->open) stream->Close();
  while (!connections->open.empty()) connections->ended.Wait(host.fibers);
}

bool BearerTokenAccepted(const HttpRequest& request, const std::string& bearer_token) {
  if (bearer_token.empty()) return true;
  auto it = request.headers.find("authorization");
  if (it == request.headers.end()) return false;
  const std::string expected = "Bearer " + bearer_token;
  const std::string& given = it->second;
  // Constant time in the token's length: no early exit on the first differing byte.
  unsigned char differ = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    differ |= static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
  }
  return differ == 0;
}

HttpResponse UnauthorizedResponse() {
  HttpResponse response;
  response.status = 401;
  response.body =
      R"json({"errors":["this endpoint wants the cluster's secret as a bearer token )json"
      R"json((Authorization: Bearer ...)"]})json";
  response.headers["WWW-Authenticate"] = "Bearer";
  return response;
}

}  // namespace sluice
