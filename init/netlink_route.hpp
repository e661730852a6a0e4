// Addresses and routes of the root's own network interface through rtnetlink (the kernel's
// interface, rtnetlink(7); what `ip address add` and `ip route add` send): the request is built
// as bytes by encode_*(), which the unit tests read back, and sent by RouteSocket, which waits
// for the kernel's acknowledgement and turns its error into words.
#pragma once

#include <stdint.h>

#include <expected>
#include <string>
#include <vector>

#include "appliance/appliance_config.hpp"

namespace rootstock::init {

/// RTM_NEWADDR for `address`/`prefix_length` on interface `index` (struct ifaddrmsg with
/// IFA_LOCAL and IFA_ADDRESS; IFA_BROADCAST for IPv4), NLM_F_CREATE|NLM_F_REPLACE|NLM_F_ACK.
[[nodiscard]] std::vector<uint8_t> encode_new_address(uint32_t sequence, int index,
                                                      const appliance::InterfaceAddress& address);
/// RTM_DELADDR for the same address (a lease that ended).
[[nodiscard]] std::vector<uint8_t> encode_delete_address(
    uint32_t sequence, int index, const appliance::InterfaceAddress& address);

/// RTM_NEWROUTE for the default route of `gateway`'s family via `gateway` on interface `index`
/// (struct rtmsg, RTA_GATEWAY, RTA_OIF; main table, static, universe scope).
[[nodiscard]] std::vector<uint8_t> encode_default_route(uint32_t sequence, int index,
                                                        const appliance::IpAddress& gateway);

/// A NETLINK_ROUTE socket that sends one request at a time and waits for its acknowledgement.
class RouteSocket {
 public:
  /// Opens the socket; check ok() before use.
  RouteSocket();
  ~RouteSocket();
  RouteSocket(const RouteSocket&) = delete;
  RouteSocket& operator=(const RouteSocket&) = delete;

  [[nodiscard]] bool ok() const { return fd_ >= 0; }
  /// Adds (or replaces) an address on interface `index`.
  [[nodiscard]] std::expected<void, std::string> add_address(
      int index, const appliance::InterfaceAddress& address);
  /// Removes an address from interface `index`.
  [[nodiscard]] std::expected<void, std::string> remove_address(
      int index, const appliance::InterfaceAddress& address);
  /// Adds (or replaces) the default route of the gateway's family.
  [[nodiscard]] std::expected<void, std::string> add_default_route(
      int index, const appliance::IpAddress& gateway);

  /// The sequence number for the next request built elsewhere (vm_bridge.hpp's links).
  [[nodiscard]] uint32_t next_sequence() { return sequence_++; }
  /// Sends `message`, built with `sequence`, and waits for the kernel's acknowledgement.
  [[nodiscard]] std::expected<void, std::string> request(const std::vector<uint8_t>& message,
                                                         uint32_t sequence);

 private:
  int fd_ = -1;
  uint32_t sequence_ = 1;
};

}  // namespace rootstock::init
