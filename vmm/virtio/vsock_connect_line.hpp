// The first line on a host-initiated vsock connection (Firecracker's docs/vsock.md, "Host-
// Initiated Connections"): the host connects to `uds_path` and writes `CONNECT <port>\n`,
// naming the child's port; the VMM answers `OK <host port>\n` once the child accepted.
// As Firecracker reads it: the command in any case, the port in decimal, words separated by
// blanks, at most 32 bytes with the newline.
//
// The line is read without taking a byte past its newline: what the host writes after it,
// even in the same write, is stream data for the child, read once the connection stands.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace rootstock::vmm::virtio {

/// The child's port named by `line` (without its newline), or nothing when it is not a
/// CONNECT command.
[[nodiscard]] std::optional<uint32_t> parse_connect_line(std::string_view line);

/// Collects the CONNECT line from a non-blocking stream, across as many reads as it comes in.
class ConnectLineReader {
 public:
  /// The longest line taken, with its newline.
  static constexpr size_t kMaxLine = 32;

  /// Reads what `fd` has of the line: the port once the line is complete, nothing while it is
  /// not, or why the stream is to be closed (end of stream, a read error, a line too long or
  /// not a CONNECT command).
  [[nodiscard]] std::expected<std::optional<uint32_t>, std::string> read(int fd);

 private:
  std::string line_;
};

/// The answer to the host once the child accepted: `OK <host port>\n`.
[[nodiscard]] std::string connect_ok_line(uint32_t host_port);

}  // namespace rootstock::vmm::virtio
