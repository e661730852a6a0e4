// The root's own network (init/network.hpp, netlink_route.hpp): which interface is configured,
// resolv.conf's text, and the rtnetlink requests for an address and the default route, read
// back field by field.
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <catch2/catch_test_macros.hpp>
#include <map>
#include <vector>

#include "netlink_route.hpp"
#include "network.hpp"

using namespace rootstock;
using namespace rootstock::init;
using appliance::InterfaceAddress;
using appliance::IpAddress;

namespace {

IpAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddress ip;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

IpAddress v6_db8(uint8_t last) {
  IpAddress ip;
  ip.family = IpAddress::Family::kIpv6;
  ip.bytes[0] = 0x20;
  ip.bytes[1] = 0x01;
  ip.bytes[2] = 0x0d;
  ip.bytes[3] = 0xb8;
  ip.bytes[15] = last;
  return ip;
}

// A request read back: its header, family header and attributes by type.
struct Parsed {
  nlmsghdr header{};
  std::vector<uint8_t> family_header;
  std::map<uint16_t, std::vector<uint8_t>> attributes;
};

Parsed parse(const std::vector<uint8_t>& bytes, size_t family_size) {
  Parsed p;
  REQUIRE(bytes.size() >= NLMSG_HDRLEN + family_size);
  memcpy(&p.header, bytes.data(), sizeof(p.header));
  CHECK(p.header.nlmsg_len == bytes.size());
  const uint8_t* at = bytes.data() + NLMSG_HDRLEN;
  p.family_header.assign(at, at + family_size);
  size_t offset = NLMSG_HDRLEN + NLMSG_ALIGN(family_size);
  while (offset < bytes.size()) {
    rtattr a;
    REQUIRE(offset + sizeof(a) <= bytes.size());
    memcpy(&a, bytes.data() + offset, sizeof(a));
    REQUIRE(a.rta_len >= sizeof(a));
    REQUIRE(offset + a.rta_len <= bytes.size());
    const uint8_t* data = bytes.data() + offset + RTA_LENGTH(0);
    p.attributes[a.rta_type].assign(data, data + a.rta_len - RTA_LENGTH(0));
    offset += RTA_ALIGN(a.rta_len);
  }
  CHECK(offset == bytes.size());
  return p;
}

std::vector<uint8_t> first(const IpAddress& ip, size_t n) {
  return {ip.bytes.begin(), ip.bytes.begin() + static_cast<long>(n)};
}

}  // namespace

TEST_CASE("network: the interface named, else the first Ethernet with a link", "[init][network]") {
  const std::vector<NetInterface> all = {{"enp0s2", 2, true, false},
                                         {"enp0s3", 3, true, true},
                                         {"lo", 1, false, true},
                                         {"wlan0", 4, true, true}};
  CHECK(choose_interface(all, std::nullopt) == "enp0s3");
  CHECK(choose_interface(all, "enp0s2") == "enp0s2");
  CHECK_FALSE(choose_interface(all, "eth9"));
  const std::vector<NetInterface> no_link = {
      {"lo", 1, false, true}, {"eth1", 3, true, false}, {"eth0", 2, true, false}};
  CHECK(choose_interface(no_link, std::nullopt) == "eth1");  // the first in the list given
  CHECK_FALSE(choose_interface({{"lo", 1, false, true}}, std::nullopt));
  CHECK_FALSE(choose_interface({}, std::nullopt));
}

TEST_CASE("network: the VMs' bridge and their taps are never the uplink unless named",
          "[init][network]") {
  // Both say ARPHRD_ETHER and have a carrier once a VM runs; neither has a device behind it.
  const NetInterface bridge{"rootstock0", 5, true, true, true};
  const NetInterface tap{"tap-web0", 6, true, true, true};
  CHECK(choose_interface({bridge, tap, {"eth0", 2, true, false}}, std::nullopt) == "eth0");
  CHECK(choose_interface({{"eth0", 2, true, true}, bridge, tap}, std::nullopt) == "eth0");
  CHECK_FALSE(choose_interface({bridge, tap}, std::nullopt));
  CHECK(choose_interface({bridge, tap}, "tap-web0") == "tap-web0");  // the file's word counts
}

TEST_CASE("network: resolv.conf has a nameserver line per address", "[init][network]") {
  CHECK(resolv_conf({v4(192, 0, 2, 53), v6_db8(0x53)}) ==
        "# Written by Rootstock from its network configuration\n"
        "nameserver 192.0.2.53\nnameserver 2001:db8::53\n");
  CHECK(resolv_conf({}) == "# Written by Rootstock from its network configuration\n");
}

TEST_CASE("network: RTM_NEWADDR for an IPv4 address with its broadcast", "[init][network]") {
  const auto bytes = encode_new_address(7, 3, InterfaceAddress{v4(192, 0, 2, 10), 24});
  const Parsed p = parse(bytes, sizeof(ifaddrmsg));
  CHECK(p.header.nlmsg_type == RTM_NEWADDR);
  CHECK(p.header.nlmsg_seq == 7);
  CHECK(p.header.nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE));
  ifaddrmsg ifa;
  memcpy(&ifa, p.family_header.data(), sizeof(ifa));
  CHECK(ifa.ifa_family == AF_INET);
  CHECK(ifa.ifa_prefixlen == 24);
  CHECK(ifa.ifa_index == 3);
  CHECK(p.attributes.at(IFA_LOCAL) == first(v4(192, 0, 2, 10), 4));
  CHECK(p.attributes.at(IFA_ADDRESS) == first(v4(192, 0, 2, 10), 4));
  CHECK(p.attributes.at(IFA_BROADCAST) == first(v4(192, 0, 2, 255), 4));

  const Parsed odd =
      parse(encode_new_address(8, 3, InterfaceAddress{v4(10, 0, 2, 15), 20}), sizeof(ifaddrmsg));
  CHECK(odd.attributes.at(IFA_BROADCAST) == first(v4(10, 0, 15, 255), 4));
  // A /31 or /32 has no broadcast address (RFC 3021).
  const Parsed p31 =
      parse(encode_new_address(9, 3, InterfaceAddress{v4(10, 0, 0, 1), 31}), sizeof(ifaddrmsg));
  CHECK_FALSE(p31.attributes.contains(IFA_BROADCAST));
}

TEST_CASE("network: RTM_NEWADDR for an IPv6 address", "[init][network]") {
  const Parsed p =
      parse(encode_new_address(1, 2, InterfaceAddress{v6_db8(0x10), 64}), sizeof(ifaddrmsg));
  ifaddrmsg ifa;
  memcpy(&ifa, p.family_header.data(), sizeof(ifa));
  CHECK(ifa.ifa_family == AF_INET6);
  CHECK(ifa.ifa_prefixlen == 64);
  CHECK(p.attributes.at(IFA_LOCAL) == first(v6_db8(0x10), 16));
  CHECK_FALSE(p.attributes.contains(IFA_BROADCAST));
}

TEST_CASE("network: RTM_NEWROUTE for the default route", "[init][network]") {
  const Parsed p = parse(encode_default_route(4, 3, v4(192, 0, 2, 1)), sizeof(rtmsg));
  CHECK(p.header.nlmsg_type == RTM_NEWROUTE);
  rtmsg rt;
  memcpy(&rt, p.family_header.data(), sizeof(rt));
  CHECK(rt.rtm_family == AF_INET);
  CHECK(rt.rtm_dst_len == 0);
  CHECK(rt.rtm_table == RT_TABLE_MAIN);
  CHECK(rt.rtm_type == RTN_UNICAST);
  CHECK(p.attributes.at(RTA_GATEWAY) == first(v4(192, 0, 2, 1), 4));
  uint32_t oif = 0;
  REQUIRE(p.attributes.at(RTA_OIF).size() == 4);
  memcpy(&oif, p.attributes.at(RTA_OIF).data(), 4);
  CHECK(oif == 3);
  const Parsed v6 = parse(encode_default_route(5, 3, v6_db8(1)), sizeof(rtmsg));
  CHECK(v6.attributes.at(RTA_GATEWAY) == first(v6_db8(1), 16));
}
