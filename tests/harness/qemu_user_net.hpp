// QEMU's user network (slirp) on a boot test's command line: a forward from an address on the
// guest's LAN to a server on the test host's loopback. The project's network tests run with
// restrict=on, so a guest reaches nothing but the forwards a test names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rootstock::harness {

/// An IPv4 address and TCP port on the guest's LAN that QEMU forwards.
struct GuestEndpoint {
  std::string address;  ///< dotted quad, e.g. "10.0.2.100"
  uint16_t port = 0;    ///< 1-65535
};

/// Parses "A.B.C.D:PORT"; nullopt when it is not one.
[[nodiscard]] std::optional<GuestEndpoint> parse_guest_endpoint(std::string_view text);

/// Adds guestfwd=tcp:<guest>-tcp:127.0.0.1:<host_port> (qemu-system-x86_64(1), -netdev user) to
/// the first user network of a QEMU command line: the argument after a -nic or -netdev that
/// starts with "user". QEMU connects to the host port once when it starts and takes the guest's
/// connections to `guest` to that stream. Returns why it cannot: no user network, or one without
/// restrict=on.
[[nodiscard]] std::optional<std::string> add_guestfwd(std::vector<std::string>& command,
                                                      const GuestEndpoint& guest,
                                                      uint16_t host_port);

/// Adds hostfwd=tcp:127.0.0.1:<host_port>-:<guest_port> to the first user network of a QEMU
/// command line (restrict=on required, as for add_guestfwd): connections to the host's loopback
/// port reach the guest's port, as a user's client reaches an appliance. Returns why it cannot.
[[nodiscard]] std::optional<std::string> add_hostfwd(std::vector<std::string>& command,
                                                     uint16_t host_port, uint16_t guest_port);

/// A TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick); 0 when none.
[[nodiscard]] uint16_t free_loopback_port();

}  // namespace rootstock::harness
