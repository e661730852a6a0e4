// The bytes of one accepted API connection: plain TCP, or TLS over it (tls_server.hpp). The
// server (api_server.cpp) only ever calls these, each returning at once on a non-blocking
// socket, and polls the descriptor for what the stream says it waits for.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace rootstock::appliance {

class ConnectionStream {
 public:
  /// read()/write()/handshake(): nothing can be done now; poll the descriptor for wants().
  static constexpr ssize_t kWouldBlock = -2;

  virtual ~ConnectionStream() = default;
  [[nodiscard]] virtual int fd() const = 0;
  /// Sets the stream up (TLS: the handshake): 1 done, kWouldBlock, -1 failed.
  [[nodiscard]] virtual ssize_t handshake() = 0;
  /// Bytes read (> 0), 0 when the peer closed, -1 on failure, or kWouldBlock.
  [[nodiscard]] virtual ssize_t read(char* buffer, size_t size) = 0;
  /// Bytes written (> 0), -1 on failure, or kWouldBlock.
  [[nodiscard]] virtual ssize_t write(const char* bytes, size_t size) = 0;
  /// The poll(2) events the last kWouldBlock waits for (TLS may need to write to read).
  [[nodiscard]] virtual short wants() const = 0;
  /// Bytes received and decoded already, readable without waiting on the descriptor.
  [[nodiscard]] virtual bool buffered() const = 0;
};

/// Plain TCP on a non-blocking socket `fd` (not closed by it).
class PlainStream final : public ConnectionStream {
 public:
  explicit PlainStream(int fd) : fd_(fd) {}
  [[nodiscard]] int fd() const override { return fd_; }
  [[nodiscard]] ssize_t handshake() override { return 1; }
  [[nodiscard]] ssize_t read(char* buffer, size_t size) override;
  [[nodiscard]] ssize_t write(const char* bytes, size_t size) override;
  [[nodiscard]] short wants() const override { return wants_; }
  [[nodiscard]] bool buffered() const override { return false; }

 private:
  int fd_;
  short wants_ = 0;
};

}  // namespace rootstock::appliance
