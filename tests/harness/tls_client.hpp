// The boot tests' TLS client for the appliance's API (mbedTLS): the handshake on a connected
// non-blocking socket, then the server's certificate pinned by its SHA-256 fingerprint — the
// one the api-ready milestone printed — instead of a chain to a CA, as a user's client of a
// self-signed appliance does. Every step is bounded by a deadline.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace rootstock::harness {

/// Waits until `fd` is ready for the poll(2) `events` or `deadline` passes; false then.
[[nodiscard]] bool wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline);

/// SHA-256 of `bytes` as 64 lower-case hex digits (certificates' fingerprints, uploads' digests).
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

class TlsClient {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  /// Runs the handshake over `fd` (not closed by it) and checks the server's certificate
  /// against `pinned_sha256` (64 hex digits; empty: any certificate, its fingerprint kept in
  /// peer_fingerprint()). nullptr with the reason in `error` when either fails.
  static std::unique_ptr<TlsClient> connect(int fd, const std::string& pinned_sha256,
                                            Deadline deadline, std::string& error);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  /// All of `bytes`, by `deadline`.
  [[nodiscard]] bool write_all(std::string_view bytes, Deadline deadline);
  /// Bytes read (> 0), 0 at the end of the stream, -1 on failure or when the deadline passed.
  [[nodiscard]] ssize_t read(char* buffer, size_t size, Deadline deadline);
  [[nodiscard]] const std::string& peer_fingerprint() const { return fingerprint_; }

 private:
  struct State;
  explicit TlsClient(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
  std::string fingerprint_;
};

}  // namespace rootstock::harness
