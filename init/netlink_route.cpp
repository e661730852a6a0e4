#include "netlink_route.hpp"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink_message.hpp"

namespace rootstock::init {
namespace {

uint8_t family_of(const appliance::IpAddress& a) {
  return a.family == appliance::IpAddress::Family::kIpv4 ? AF_INET : AF_INET6;
}
size_t size_of(const appliance::IpAddress& a) {
  return a.family == appliance::IpAddress::Family::kIpv4 ? 4 : 16;
}

std::vector<uint8_t> encode_address(uint16_t type, uint16_t flags, uint32_t sequence, int index,
                                    const appliance::InterfaceAddress& address) {
  NetlinkMessage m(type, flags, sequence);
  ifaddrmsg ifa{};
  ifa.ifa_family = family_of(address.address);
  ifa.ifa_prefixlen = address.prefix_length;
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  ifa.ifa_index = static_cast<uint32_t>(index);
  m.add_struct(ifa);
  const uint8_t* bytes = address.address.bytes.data();
  const size_t size = size_of(address.address);
  m.add_attribute(IFA_LOCAL, bytes, size);
  m.add_attribute(IFA_ADDRESS, bytes, size);
  if (address.address.family == appliance::IpAddress::Family::kIpv4 && address.prefix_length < 31) {
    // The subnet's broadcast address: the host bits all ones.
    uint8_t broadcast[4];
    memcpy(broadcast, bytes, 4);
    for (unsigned bit = address.prefix_length; bit < 32; ++bit) {
      broadcast[bit / 8] = static_cast<uint8_t>(broadcast[bit / 8] | (0x80 >> (bit % 8)));
    }
    m.add_attribute(IFA_BROADCAST, broadcast, 4);
  }
  return m.finish();
}

}  // namespace

std::vector<uint8_t> encode_new_address(uint32_t sequence, int index,
                                        const appliance::InterfaceAddress& address) {
  return encode_address(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE,
                        sequence, index, address);
}

std::vector<uint8_t> encode_delete_address(uint32_t sequence, int index,
                                           const appliance::InterfaceAddress& address) {
  return encode_address(RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, sequence, index, address);
}

std::vector<uint8_t> encode_default_route(uint32_t sequence, int index,
                                          const appliance::IpAddress& gateway) {
  NetlinkMessage m(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE,
                   sequence);
  rtmsg rt{};
  rt.rtm_family = family_of(gateway);
  rt.rtm_dst_len = 0;  // the default route: every destination
  rt.rtm_table = RT_TABLE_MAIN;
  rt.rtm_protocol = RTPROT_STATIC;
  rt.rtm_scope = RT_SCOPE_UNIVERSE;
  rt.rtm_type = RTN_UNICAST;
  m.add_struct(rt);
  m.add_attribute(RTA_GATEWAY, gateway.bytes.data(), size_of(gateway));
  const auto oif = static_cast<uint32_t>(index);
  m.add_attribute(RTA_OIF, &oif, sizeof(oif));
  return m.finish();
}

RouteSocket::RouteSocket() {
  fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd_ < 0) return;
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&local), sizeof(local)) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RouteSocket::~RouteSocket() {
  if (fd_ >= 0) ::close(fd_);
}

std::expected<void, std::string> RouteSocket::add_address(
    int index, const appliance::InterfaceAddress& address) {
  const uint32_t seq = next_sequence();
  return request(encode_new_address(seq, index, address), seq);
}

std::expected<void, std::string> RouteSocket::remove_address(
    int index, const appliance::InterfaceAddress& address) {
  const uint32_t seq = next_sequence();
  return request(encode_delete_address(seq, index, address), seq);
}

std::expected<void, std::string> RouteSocket::add_default_route(
    int index, const appliance::IpAddress& gateway) {
  const uint32_t seq = next_sequence();
  return request(encode_default_route(seq, index, gateway), seq);
}

std::expected<void, std::string> RouteSocket::request(const std::vector<uint8_t>& message,
                                                      uint32_t sequence) {
  if (fd_ < 0) return std::unexpected("no netlink socket");
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_, message.data(), message.size(), 0, reinterpret_cast<const sockaddr*>(&kernel),
               sizeof(kernel)) != static_cast<ssize_t>(message.size())) {
    return std::unexpected(std::string("netlink: ") + strerror(errno));
  }
  // The acknowledgement: an NLMSG_ERROR whose error is 0, or the kernel's errno negated. A
  // kernel that does not answer within seconds has a problem no retry would fix.
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return std::unexpected("netlink: the kernel did not answer");
    alignas(nlmsghdr) uint8_t buffer[8192];
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(std::string("netlink: ") + strerror(errno));
    auto left = static_cast<unsigned>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(h, left);
         h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_seq != sequence || h->nlmsg_type != NLMSG_ERROR) continue;
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr)))
        return std::unexpected("netlink: short answer");
      const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
      if (e->error == 0) return {};
      return std::unexpected(std::string(strerror(-e->error)));
    }
  }
}

}  // namespace rootstock::init
