// The DHCPv4 client of the root's own network interface (RFC 2131 §3.1, §4.4): it acquires a
// lease (DISCOVER, the first valid OFFER, REQUEST, ACK) when the link is up and has no address,
// and renews it (a unicast REQUEST to the server at T1) or rebinds it (a broadcast one at T2).
// The exchange runs over the Link seam: a UDP socket on port 68 of the interface in the
// appliance, a script with a fake clock in the unit tests. Bringing the link up, adding the
// address and the routes, and the timers between calls are the caller's (init/network.*).
#pragma once

#include <stdint.h>

#include <chrono>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/appliance_config.hpp"
#include "dhcp_message.hpp"

namespace rootstock::init::dhcp {

using Clock = std::chrono::steady_clock;

/// The client's way to the network, to time and to randomness.
class Link {
 public:
  virtual ~Link() = default;
  [[nodiscard]] virtual Clock::time_point now() = 0;
  /// Sends one datagram to `to`, port 67 (kBroadcast: the limited broadcast).
  [[nodiscard]] virtual std::expected<void, std::string> send(std::span<const uint8_t> datagram,
                                                              Ipv4Address to) = 0;
  /// The next datagram for port 68 that comes before `until`; nullopt when none came.
  [[nodiscard]] virtual std::expected<std::optional<std::vector<uint8_t>>, std::string> receive(
      Clock::time_point until) = 0;
  /// 32 random bits: transaction ids and retransmission jitter.
  [[nodiscard]] virtual uint32_t random() = 0;
};

/// A UDP socket on `interface` (SO_BINDTODEVICE), port 68 of `local` (0.0.0.0: any, as a
/// client without an address needs), with SO_BROADCAST and SO_REUSEADDR; getrandom() and the
/// steady clock.
[[nodiscard]] std::expected<std::unique_ptr<Link>, std::string> open_link(
    const std::string& interface, Ipv4Address local = {});

/// RFC 2131 §4.1: the first retransmission after 4 s, each one after twice the wait before it,
/// randomised by -1 .. +1 s, up to 64 s.
inline constexpr std::chrono::seconds kFirstRetransmission{4};
inline constexpr std::chrono::seconds kMaxRetransmission{64};
/// REQUESTs sent in SELECTING before going back to DISCOVER (4 + 8 + 16 + 32 s; RFC 2131
/// §3.1 step 5 leaves the number to the client).
inline constexpr int kRequestAttempts = 4;
/// RFC 2131 §4.4.5: the shortest wait before a renewing or rebinding REQUEST is sent again.
inline constexpr std::chrono::seconds kMinRenewRetransmission{60};

/// Why a renewal or a rebinding gave no lease.
struct RenewFailure {
  /// A server answered NAK: the lease is gone, the address must go now (RFC 2131 §4.4.5).
  /// Otherwise no server answered by the deadline: the lease holds until it expires.
  bool refused = false;
  std::string reason;
};

/// INIT to BOUND (RFC 2131 §4.4.1): DISCOVER with backoff until the first valid OFFER,
/// REQUEST it (kRequestAttempts times, then DISCOVER again), ACK gives the lease; a NAK starts
/// over with a new transaction, after a wait that grows with each NAK in a row. Replies that
/// parse_reply() refuses are skipped. Fails when `deadline` passes, saying what was seen.
[[nodiscard]] std::expected<Lease, std::string> acquire_lease(Link& link,
                                                              const ClientIdentity& client,
                                                              Clock::time_point deadline);

/// RENEWING (RFC 2131 §4.4.5): a REQUEST with ciaddr, unicast to the lease's server; sent
/// again after half the time left to `deadline` (T2, usually), at least 60 s apart. An ACK
/// from that server is the renewed lease.
[[nodiscard]] std::expected<Lease, RenewFailure> renew_lease(Link& link,
                                                             const ClientIdentity& client,
                                                             const Lease& lease,
                                                             Clock::time_point deadline);

/// REBINDING (RFC 2131 §4.4.5): as renew_lease(), broadcast, and any server's ACK counts;
/// `deadline` is usually the lease's expiry.
[[nodiscard]] std::expected<Lease, RenewFailure> rebind_lease(Link& link,
                                                              const ClientIdentity& client,
                                                              const Lease& lease,
                                                              Clock::time_point deadline);

/// "52:54:00:12:34:56" (either case).
[[nodiscard]] std::optional<MacAddress> parse_mac(std::string_view text);

/// The hardware address of `interface`, from /sys/class/net/INTERFACE/address.
[[nodiscard]] std::expected<MacAddress, std::string> read_mac(const std::string& interface);

/// acquire_lease() on `interface` (up, no address yet) through open_link().
[[nodiscard]] std::expected<Lease, std::string> acquire_lease(const std::string& interface,
                                                              const MacAddress& mac,
                                                              const std::string& hostname,
                                                              Clock::time_point deadline);

/// renew_lease() from the leased address, which `interface` must have.
[[nodiscard]] std::expected<Lease, RenewFailure> renew_lease(const std::string& interface,
                                                             const MacAddress& mac,
                                                             const std::string& hostname,
                                                             const Lease& lease,
                                                             Clock::time_point deadline);

/// rebind_lease() from the leased address, which `interface` must have.
[[nodiscard]] std::expected<Lease, RenewFailure> rebind_lease(const std::string& interface,
                                                              const MacAddress& mac,
                                                              const std::string& hostname,
                                                              const Lease& lease,
                                                              Clock::time_point deadline);

/// The appliance's types for netlink (init/netlink_route.hpp): an address, and the lease's
/// address with its prefix length.
[[nodiscard]] appliance::IpAddress ip_address(Ipv4Address a);
[[nodiscard]] appliance::InterfaceAddress interface_address(const Lease& lease);

}  // namespace rootstock::init::dhcp
