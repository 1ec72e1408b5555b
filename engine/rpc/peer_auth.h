// Mutual authentication of a connection between Sluice processes by a shared secret
// (security.auth.secret-file), with no secret on the wire: a challenge-response in which each
// side proves it holds the secret by a MAC over the other side's fresh nonce (HMAC-SHA256,
// RFC 2104, from OpenSSL; compared in constant time). The nonces come from the host's Random,
// so the simulator replays a run's handshakes exactly.
//
// Messages have fixed sizes, so neither side reads past the handshake into the protocol that
// follows on the same stream:
//   client -> server  "SLUICEA1" (8 bytes), client nonce (16)
//   server -> client  server nonce (16), HMAC(secret, "server" | client nonce | server nonce) (32)
//   client -> server  HMAC(secret, "client" | server nonce | client nonce) (32)
// A MAC binds both nonces and the sender's role, so neither a recorded exchange (new nonces)
// nor a reflected one (the role differs) passes. Errors: kUnauthenticated naming the peer (a bad
// magic, a wrong MAC: the peer does not hold the secret, or the bytes were changed), kUnavailable
// when the stream breaks. The caller closes the stream on any error. May suspend (stream reads
// and writes); one fiber per stream.
#pragma once

#include <string_view>

#include "engine/base/status.h"
#include "engine/runtime/network.h"
#include "engine/runtime/random.h"

namespace sluice {

inline constexpr size_t kAuthNonceBytes = 16;
inline constexpr size_t kAuthMacBytes = 32;

Status AuthenticateAsClient(Stream& stream, std::string_view secret, Random& random);
Status AuthenticateAsServer(Stream& stream, std::string_view secret, Random& random);

}  // namespace sluice
