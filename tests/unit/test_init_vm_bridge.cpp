// The VMs' bridge (init/vm_bridge.hpp): the rtnetlink requests that make it and make the uplink
// its port, read back field by field as the kernel's rtnl_newlink() would read them, nested
// IFLA_LINKINFO included.
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

#include <catch2/catch_test_macros.hpp>
#include <map>
#include <string>
#include <vector>

#include "vm_bridge.hpp"

using namespace rootstock::init;

namespace {

using Attributes = std::map<uint16_t, std::vector<uint8_t>>;

// Attributes back to back, each padded to RTA_ALIGNTO; every byte must belong to one.
Attributes attributes(const uint8_t* at, size_t size) {
  Attributes out;
  size_t offset = 0;
  while (offset < size) {
    rtattr a;
    REQUIRE(offset + sizeof(a) <= size);
    memcpy(&a, at + offset, sizeof(a));
    REQUIRE(a.rta_len >= sizeof(a));
    REQUIRE(offset + a.rta_len <= size);
    const uint8_t* data = at + offset + RTA_LENGTH(0);
    CHECK_FALSE(out.contains(a.rta_type));
    out[a.rta_type].assign(data, data + a.rta_len - RTA_LENGTH(0));
    offset += RTA_ALIGN(a.rta_len);
  }
  CHECK(offset == size);
  return out;
}

Attributes nested(const std::vector<uint8_t>& value) {
  return attributes(value.data(), value.size());
}

struct Link {
  nlmsghdr header{};
  ifinfomsg info{};
  Attributes attributes;
};

Link parse(const std::vector<uint8_t>& bytes) {
  Link l;
  REQUIRE(bytes.size() >= NLMSG_LENGTH(sizeof(ifinfomsg)));
  memcpy(&l.header, bytes.data(), sizeof(l.header));
  CHECK(l.header.nlmsg_len == bytes.size());
  memcpy(&l.info, bytes.data() + NLMSG_HDRLEN, sizeof(l.info));
  const size_t start = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifinfomsg));
  l.attributes = attributes(bytes.data() + start, bytes.size() - start);
  return l;
}

std::string text(const std::vector<uint8_t>& value) {
  REQUIRE_FALSE(value.empty());
  CHECK(value.back() == 0);  // NUL-terminated, as nla_strscpy() wants
  return {value.begin(), value.end() - 1};
}

uint32_t u32(const std::vector<uint8_t>& value) {
  REQUIRE(value.size() == 4);
  uint32_t v = 0;
  memcpy(&v, value.data(), 4);
  return v;
}

}  // namespace

TEST_CASE("vm bridge: RTM_NEWLINK makes a bridge that forwards at once", "[init][network]") {
  const Link l = parse(encode_new_bridge(11, "rootstock0"));
  CHECK(l.header.nlmsg_type == RTM_NEWLINK);
  CHECK(l.header.nlmsg_seq == 11);
  // A new link, refused if the name is taken rather than changing what is there.
  CHECK(l.header.nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL));
  CHECK(l.info.ifi_family == AF_UNSPEC);
  CHECK(l.info.ifi_index == 0);
  CHECK(l.info.ifi_change == 0);
  CHECK(text(l.attributes.at(IFLA_IFNAME)) == "rootstock0");
  const Attributes info = nested(l.attributes.at(IFLA_LINKINFO));
  CHECK(text(info.at(IFLA_INFO_KIND)) == "bridge");
  const Attributes data = nested(info.at(IFLA_INFO_DATA));
  CHECK(u32(data.at(IFLA_BR_FORWARD_DELAY)) == 0);
  CHECK(data.size() == 1);  // STP stays as a new bridge has it: off
  CHECK(l.attributes.size() == 2);
}

TEST_CASE("vm bridge: the bridge takes the uplink's hardware address", "[init][network]") {
  const rootstock::init::dhcp::MacAddress mac{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
  const Link l = parse(encode_set_link(3, 7, {.address = mac, .master = {}, .up = false}));
  CHECK(l.header.nlmsg_type == RTM_NEWLINK);
  // Without NLM_F_CREATE: a change to link 7, which must exist.
  CHECK(l.header.nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK));
  CHECK(l.info.ifi_index == 7);
  CHECK(l.info.ifi_change == 0);  // no flag changes
  CHECK(l.attributes.at(IFLA_ADDRESS) == std::vector<uint8_t>(mac.bytes.begin(), mac.bytes.end()));
  CHECK(l.attributes.size() == 1);
}

TEST_CASE("vm bridge: the uplink becomes a port, up", "[init][network]") {
  const Link l = parse(encode_set_link(4, 2, {.address = {}, .master = 7, .up = true}));
  CHECK(l.info.ifi_index == 2);
  CHECK(l.info.ifi_flags == IFF_UP);
  CHECK(l.info.ifi_change == IFF_UP);  // IFF_UP alone changes; the link's other flags stay
  CHECK(u32(l.attributes.at(IFLA_MASTER)) == 7);
  CHECK_FALSE(l.attributes.contains(IFLA_ADDRESS));

  const Link up = parse(encode_set_link(5, 7, {.address = {}, .master = {}, .up = true}));
  CHECK(up.info.ifi_flags == IFF_UP);
  CHECK(up.attributes.empty());
}
