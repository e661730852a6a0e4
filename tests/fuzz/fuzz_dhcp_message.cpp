// Fuzzes the DHCP client's reply parser (init/dhcp_message.hpp): datagrams any node on the
// appliance's link may send to port 68 while PID 1 waits for a lease.
//
// Input: a flags byte, then the datagram. Flags bit 0: expect the xid and client hardware
// address the datagram itself carries (so that mutations reach the options); else fixed ones.
// Checked: parse_reply() reads nothing outside the datagram (ASan: the datagram is a buffer of
// its own size) and accepts only what dhcp_message.hpp promises: an OFFER or ACK with a Lease
// whose address (= 'yiaddr') and server (= option 54) are unicast, a prefix length of 1 to 32,
// at most Lease::kMaxDns DNS servers, a lease of at least a second with T1 <= T2 <= lease (all
// infinite when the lease is), a router other than 0.0.0.0; a NAK without a lease; a message of
// printable ASCII, at most 255 bytes. An accepted lease, written out again with MessageWriter
// as a server would, parses to the same lease. Requests built with the datagram's hardware
// address and any host name are at least kMinMessageSize bytes with the cookie in place.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dhcp_message.hpp"

using namespace rootstock::init::dhcp;

namespace {

constexpr uint8_t kOwnTransaction = 1;
constexpr uint32_t kFixedXid = 0x5eed5eed;
constexpr MacAddress kFixedMac{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_lease(const Lease& l, const Header& h, const Reply& r) {
  check(l.address == h.yiaddr && is_unicast(l.address));
  check(r.server == l.server && is_unicast(l.server));
  check(l.prefix_length >= 1 && l.prefix_length <= 32);
  check(l.dns.size() <= Lease::kMaxDns);
  check(!l.router || *l.router != Ipv4Address{});
  check(l.lease_seconds >= 1);
  if (l.lease_seconds == Lease::kInfinite) {
    check(l.t1_seconds == Lease::kInfinite && l.t2_seconds == Lease::kInfinite);
  } else {
    check(l.t1_seconds <= l.t2_seconds && l.t2_seconds <= l.lease_seconds);
  }
  check(l.start == std::chrono::steady_clock::time_point{});
}

// The lease as a server would write it: every value explicit, so that it parses back as is.
std::vector<uint8_t> written(const Lease& l, MessageType type, uint32_t xid,
                             const MacAddress& mac) {
  Header h;
  h.op = Op::kBootReply;
  h.xid.set(xid);
  h.yiaddr = l.address;
  std::copy(mac.bytes.begin(), mac.bytes.end(), h.chaddr.begin());
  MessageWriter w(h);
  w.add(Option::kMessageType, static_cast<uint8_t>(type));
  w.add(Option::kServerId, l.server);
  w.add(Option::kSubnetMask,
        Ipv4Address::of(static_cast<uint32_t>(0xFFFFFFFFull << (32 - l.prefix_length))));
  if (l.router) w.add(Option::kRouter, *l.router);
  std::vector<uint8_t> dns;
  for (const Ipv4Address& a : l.dns) dns.insert(dns.end(), a.bytes.begin(), a.bytes.end());
  if (!dns.empty()) w.add(Option::kDns, dns);
  w.add_u32(Option::kLeaseTime, l.lease_seconds);
  w.add_u32(Option::kRenewalTime, l.t1_seconds);
  w.add_u32(Option::kRebindingTime, l.t2_seconds);
  return std::move(w).finish();
}

void check_requests(const MacAddress& mac, const uint8_t* data, size_t size) {
  const ClientIdentity client{
      mac, std::string(reinterpret_cast<const char*>(data), std::min<size_t>(size, 300))};
  for (const auto& m : {build_discover(client, 1, 2),
                        build_selecting_request(client, 1, 2, Ipv4Address{{10, 0, 2, 15}},
                                                Ipv4Address{{10, 0, 2, 2}}),
                        build_renewing_request(client, 1, 2, Ipv4Address{{10, 0, 2, 15}})}) {
    check(m.size() >= kMinMessageSize);
    check(std::equal(kMagicCookie.begin(), kMagicCookie.end(), m.begin() + sizeof(Header)));
    check(parse_reply(m, 1, mac).error().error == ReplyError::kNotReply);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  const std::vector<uint8_t> datagram(data + 1, data + size);

  uint32_t xid = kFixedXid;
  MacAddress mac = kFixedMac;
  Header h{};
  if (datagram.size() >= sizeof(Header)) {
    memcpy(&h, datagram.data(), sizeof(h));
    if (flags & kOwnTransaction) {
      xid = h.xid.value();
      std::copy_n(h.chaddr.begin(), mac.bytes.size(), mac.bytes.begin());
    }
  }
  check_requests(mac, datagram.data(), datagram.size());

  const auto reply = parse_reply(datagram, xid, mac);
  if (!reply) {
    check(!reply.error().text.empty());
    return 0;
  }
  check(datagram.size() >= kOptionsOffset);
  check(reply->message.size() <= 255);
  check(std::all_of(reply->message.begin(), reply->message.end(),
                    [](char c) { return c >= 0x20 && c < 0x7F; }));
  if (reply->type == MessageType::kNak) {
    check(!reply->lease);
    return 0;
  }
  check(reply->type == MessageType::kOffer || reply->type == MessageType::kAck);
  check(reply->lease.has_value());
  check_lease(*reply->lease, h, *reply);

  const auto again = parse_reply(written(*reply->lease, reply->type, xid, mac), xid, mac);
  check(again.has_value() && again->type == reply->type && again->lease == reply->lease);
  return 0;
}
