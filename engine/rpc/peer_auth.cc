#include "engine/rpc/peer_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

#include "engine/base/assert.h"

namespace sluice {
namespace {

constexpr std::string_view kMagic = "SLUICEA1";

std::string Nonce(Random& random) {
  std::string nonce(kAuthNonceBytes, '\0');
  for (size_t i = 0; i < kAuthNonceBytes; i += 8) {
    uint64_t word = random.NextU64();
    for (size_t j = 0; j < 8; ++j) nonce[i + j] = static_cast<char>((word >> (8 * j)) & 0xff);
  }
  return nonce;
}

std::string Mac(std::string_view secret, std::string_view role, std::string_view first,
                std::string_view second) {
  std::string message;
  message.reserve(role.size() + first.size() + second.size());
  message.append(role).append(first).append(second);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const unsigned char* result =
      HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &length);
  SLUICE_ASSERT(result != nullptr && length == kAuthMacBytes, "HMAC-SHA256 gives 32 bytes");
  return std::string(reinterpret_cast<const char*>(out), length);
}

bool SameMac(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Reads exactly `count` bytes (never more: the protocol's bytes follow on the stream).
Result<std::string> ReadExactly(Stream& stream, size_t count, const char* what) {
  std::string out;
  while (out.size() < count) {
    ASSIGN_OR_RETURN(const size_t n, stream.Read(&out, count - out.size()));
    if (n == 0) {
      return UnavailableError(std::string("authentication with ") + stream.PeerName() +
                              ": the peer closed the connection before its " + what);
    }
  }
  return out;
}

Status Refused(const Stream& stream, const std::string& why) {
  return UnauthenticatedError("authentication with " + stream.PeerName() + " failed: " + why);
}

}  // namespace

Status AuthenticateAsClient(Stream& stream, std::string_view secret, Random& random) {
  const std::string client_nonce = Nonce(random);
  RETURN_IF_ERROR(stream.Write(std::string(kMagic) + client_nonce));
  ASSIGN_OR_RETURN(const std::string reply,
                   ReadExactly(stream, kAuthNonceBytes + kAuthMacBytes, "challenge"));
  const std::string server_nonce = reply.substr(0, kAuthNonceBytes);
  if (!SameMac(reply.substr(kAuthNonceBytes), Mac(secret, "server", client_nonce, server_nonce))) {
    return Refused(stream, "the server does not hold the shared secret");
  }
  return stream.Write(Mac(secret, "client", server_nonce, client_nonce));
}

Status AuthenticateAsServer(Stream& stream, std::string_view secret, Random& random) {
  auto hello = ReadExactly(stream, kMagic.size() + kAuthNonceBytes, "hello");
  if (!hello.ok()) return hello.status();
  if (hello->compare(0, kMagic.size(), kMagic) != 0) {
    return Refused(stream, "not a Sluice peer (no authentication hello)");
  }
  const std::string client_nonce = hello->substr(kMagic.size());
  const std::string server_nonce = Nonce(random);
  RETURN_IF_ERROR(stream.Write(server_nonce + Mac(secret, "server", client_nonce, server_nonce)));
  ASSIGN_OR_RETURN(const std::string proof, ReadExactly(stream, kAuthMacBytes, "proof"));
  if (!SameMac(proof, Mac(secret, "client", server_nonce, client_nonce))) {
    return Refused(stream, "the client does not hold the shared secret");
  }
  return Status::Ok();
}

}  // namespace sluice
