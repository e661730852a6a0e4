#include "vm_bridge.hpp"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

#include "netlink_message.hpp"

namespace rootstock::init {
namespace {

constexpr std::string_view kBridgeKind = "bridge";  // net/bridge/br_netlink.c, br_link_ops.kind
// In clock_t (USER_HZ) units. With STP off (a new bridge's default) a port forwards as soon as it
// is up whatever the delay (net/bridge/br_stp.c, br_make_forwarding()); 0 makes the bridge's
// settings (`ip -d link show`) say so, instead of the default 15 s (br_device.c, br_dev_setup()).
constexpr uint32_t kForwardDelay = 0;

ifinfomsg link_header(int index, bool up) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  ifi.ifi_flags = up ? IFF_UP : 0U;
  ifi.ifi_change = up ? IFF_UP : 0U;  // only the flags named here change (rtnetlink(7))
  return ifi;
}

}  // namespace

std::vector<uint8_t> encode_new_bridge(uint32_t sequence, std::string_view name) {
  NetlinkMessage m(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, sequence);
  m.add_struct(link_header(0, /*up=*/false));
  m.add_string(IFLA_IFNAME, name);
  const size_t info = m.begin_nested(IFLA_LINKINFO);
  m.add_string(IFLA_INFO_KIND, kBridgeKind);
  const size_t data = m.begin_nested(IFLA_INFO_DATA);
  m.add_u32(IFLA_BR_FORWARD_DELAY, kForwardDelay);
  m.end_nested(data);
  m.end_nested(info);
  return m.finish();
}

std::vector<uint8_t> encode_set_link(uint32_t sequence, int index, const LinkChange& change) {
  NetlinkMessage m(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, sequence);
  m.add_struct(link_header(index, change.up));
  if (change.address) {
    m.add_attribute(IFLA_ADDRESS, change.address->bytes.data(), change.address->bytes.size());
  }
  if (change.master) m.add_u32(IFLA_MASTER, static_cast<uint32_t>(*change.master));
  return m.finish();
}

std::expected<int, std::string> make_bridge(RouteSocket& route, std::string_view name) {
  if (!route.ok()) return std::unexpected("no netlink socket");
  const std::string z(name);
  // One that is there already (made by hand in a debugging session, say) is taken as it is.
  if (if_nametoindex(z.c_str()) == 0) {
    const uint32_t seq = route.next_sequence();
    auto made = route.request(encode_new_bridge(seq, name), seq);
    if (!made) return std::unexpected(made.error());
  }
  const unsigned index = if_nametoindex(z.c_str());
  if (index == 0) return std::unexpected(std::string("made, then not found: ") + strerror(errno));
  const uint32_t seq = route.next_sequence();
  auto up = route.request(
      encode_set_link(seq, static_cast<int>(index), {.address = {}, .master = {}, .up = true}),
      seq);
  if (!up) return std::unexpected(up.error());
  return static_cast<int>(index);
}

std::expected<void, std::string> join_bridge(RouteSocket& route, int bridge, int uplink,
                                             const dhcp::MacAddress& mac) {
  uint32_t seq = route.next_sequence();
  auto done =
      route.request(encode_set_link(seq, bridge, {.address = mac, .master = {}, .up = false}), seq);
  if (!done) return std::unexpected("cannot give the bridge the uplink's address: " + done.error());
  seq = route.next_sequence();
  done = route.request(encode_set_link(seq, uplink, {.address = {}, .master = bridge, .up = true}),
                       seq);
  if (!done) return std::unexpected("cannot make the uplink a port: " + done.error());
  return {};
}

}  // namespace rootstock::init
