// TLS for the management API (mbedTLS, TLS 1.2 and up): one server configuration holding the
// identity (tls_identity.hpp), shared read-only by every connection, and a ConnectionStream per
// accepted socket that runs the handshake and carries the HTTP bytes encrypted.
#pragma once

#include <expected>
#include <memory>
#include <string>

#include "appliance/connection_stream.hpp"
#include "appliance/tls_identity.hpp"

namespace rootstock::appliance {

class TlsServer {
 public:
  /// The configuration for `identity`; the reason when its certificate or key do not parse.
  [[nodiscard]] static std::expected<std::unique_ptr<TlsServer>, std::string> create(
      const TlsIdentity& identity);
  ~TlsServer();
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  /// A TLS stream over the non-blocking socket `fd` (not closed by it); null when mbedTLS
  /// cannot set one up (memory).
  [[nodiscard]] std::unique_ptr<ConnectionStream> wrap(int fd) const;

 private:
  struct State;
  explicit TlsServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace rootstock::appliance
