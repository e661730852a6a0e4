#include "dhcp_client.hpp"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <fstream>

namespace rootstock::init::dhcp {
namespace {

using std::chrono::milliseconds;

// Larger than any reply: servers keep to option 57's kMaxMessageSize, or to RFC 2131's 576.
constexpr size_t kReceiveBuffer = 4096;
constexpr uint32_t kJitterSpanMs = 2001;  // -1000 .. +1000 ms
constexpr milliseconds kJitterOffset{1000};

uint16_t secs_since(Clock::time_point start, Clock::time_point now) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(now - start).count();
  return static_cast<uint16_t>(std::clamp<int64_t>(s, 0, UINT16_MAX));
}

Clock::duration jittered(Link& link, Clock::duration wait) {
  return wait + milliseconds(link.random() % kJitterSpanMs) - kJitterOffset;
}

Clock::duration doubled(Clock::duration wait) {
  return std::min<Clock::duration>(wait * 2, kMaxRetransmission);
}

std::string whole_seconds(Clock::duration d) {
  return std::to_string(std::chrono::round<std::chrono::seconds>(d).count()) + " s";
}

// What an exchange met on the way, for the words of its failure.
struct Seen {
  int refused = 0;
  std::string last_refusal;
  std::string send_error;  // the last send's, when it failed
  std::string offer;       // "10.0.2.15 from 10.0.2.2", the last OFFER taken
  std::string nak;         // "10.0.2.2 refused it (NAK: …)", the last NAK

  // Other clients' replies on the link are normal traffic, not worth a word.
  void note(const ReplyRefusal& r) {
    if (r.error == ReplyError::kOtherTransaction || r.error == ReplyError::kOtherClient ||
        r.error == ReplyError::kNotReply) {
      return;
    }
    ++refused;
    last_refusal = r.text;
  }

  [[nodiscard]] std::string details() const {
    std::string s;
    if (refused > 0) {
      s += "; " + std::to_string(refused) + (refused == 1 ? " reply" : " replies") +
           " refused, the last: " + last_refusal;
    }
    if (!send_error.empty()) s += "; sending failed: " + send_error;
    return s;
  }
};

std::string nak_words(const Reply& nak) {
  std::string s = nak.server ? nak.server->text() + " refused it (NAK" : "a server refused it (NAK";
  if (!nak.message.empty()) s += ": " + nak.message;
  return s + ")";
}

void send(Link& link, const std::vector<uint8_t>& datagram, Ipv4Address to, Seen& seen) {
  auto sent = link.send(datagram, to);
  seen.send_error = sent ? std::string() : sent.error();
}

// Receives until `until`: the first reply for us that parse_reply() accepts and `wanted`
// takes; nullopt at `until`. Everything else is skipped, refusals noted.
template <typename Wanted>
std::expected<std::optional<Reply>, std::string> wait_for(Link& link, uint32_t xid,
                                                          const MacAddress& mac,
                                                          Clock::time_point until, Seen& seen,
                                                          const Wanted& wanted) {
  for (;;) {
    auto datagram = link.receive(until);
    if (!datagram) return std::unexpected(datagram.error());
    if (!*datagram) return std::nullopt;
    auto reply = parse_reply(**datagram, xid, mac);
    if (!reply) {
      seen.note(reply.error());
      continue;
    }
    if (wanted(*reply)) return std::move(*reply);
  }
}

bool never(const Reply&) {
  return false;
}

// SELECTING: DISCOVER with backoff until an OFFER. nullopt at the deadline.
std::expected<std::optional<Reply>, std::string> select_offer(
    Link& link, const ClientIdentity& client, uint32_t xid, uint16_t& secs, Clock::time_point start,
    Clock::time_point deadline, Seen& seen) {
  for (Clock::duration wait = kFirstRetransmission; link.now() < deadline; wait = doubled(wait)) {
    secs = secs_since(start, link.now());
    send(link, build_discover(client, xid, secs), kBroadcast, seen);
    const Clock::time_point until = std::min(link.now() + jittered(link, wait), deadline);
    auto offer = wait_for(link, xid, client.mac, until, seen,
                          [](const Reply& r) { return r.type == MessageType::kOffer; });
    if (!offer || *offer) return offer;
  }
  return std::nullopt;
}

// REQUESTING: the offer's REQUEST, kRequestAttempts times with backoff, until its server's
// ACK or NAK. nullopt when none came.
std::expected<std::optional<Reply>, std::string> request_offer(
    Link& link, const ClientIdentity& client, uint32_t xid, uint16_t secs, const Reply& offer,
    Clock::time_point deadline, Seen& seen) {
  const Ipv4Address server = *offer.server;
  // RFC 2131 §4.4.1: the same 'secs' as the DISCOVER, and broadcast, so that every server
  // that offered learns which offer was taken.
  const auto request = build_selecting_request(client, xid, secs, offer.lease->address, server);
  Clock::duration wait = kFirstRetransmission;
  for (int attempt = 0; attempt < kRequestAttempts && link.now() < deadline; ++attempt) {
    send(link, request, kBroadcast, seen);
    const Clock::time_point until = std::min(link.now() + jittered(link, wait), deadline);
    auto answer = wait_for(link, xid, client.mac, until, seen, [&](const Reply& r) {
      return (r.type == MessageType::kAck || r.type == MessageType::kNak) &&
             (!r.server || *r.server == server);
    });
    if (!answer || *answer) return answer;
    wait = doubled(wait);
  }
  return std::nullopt;
}

// RENEWING and REBINDING (RFC 2131 §4.4.5).
std::expected<Lease, RenewFailure> extend_lease(Link& link, const ClientIdentity& client,
                                                const Lease& lease, Clock::time_point deadline,
                                                bool rebinding) {
  const Clock::time_point start = link.now();
  const uint32_t xid = link.random();
  const Ipv4Address to = rebinding ? kBroadcast : lease.server;
  Seen seen;
  while (link.now() < deadline) {
    const Clock::time_point now = link.now();
    send(link, build_renewing_request(client, xid, secs_since(start, now), lease.address), to,
         seen);
    const Clock::duration wait =
        std::max<Clock::duration>((deadline - now) / 2, kMinRenewRetransmission);
    auto answer =
        wait_for(link, xid, client.mac, std::min(now + wait, deadline), seen, [&](const Reply& r) {
          return r.type != MessageType::kOffer &&
                 (rebinding || !r.server || *r.server == lease.server);
        });
    if (!answer) return std::unexpected(RenewFailure{false, answer.error()});
    if (!*answer) continue;
    if ((*answer)->type == MessageType::kNak) {
      return std::unexpected(RenewFailure{
          true, "the lease of " + lease.address.text() + " ended: " + nak_words(**answer)});
    }
    Lease renewed = *(*answer)->lease;
    renewed.start = start;  // the first REQUEST's time
    return renewed;
  }
  const std::string who = rebinding ? "no server answered the rebinding request"
                                    : lease.server.text() + " did not answer the renewing request";
  return std::unexpected(RenewFailure{false, who + " for " + lease.address.text() + " in " +
                                                 whole_seconds(link.now() - start) +
                                                 seen.details()});
}

// The socket behind the appliance's Link.
class SocketLink final : public Link {
 public:
  explicit SocketLink(int fd) : fd_(fd) {}
  ~SocketLink() override { ::close(fd_); }
  SocketLink(const SocketLink&) = delete;
  SocketLink& operator=(const SocketLink&) = delete;

  Clock::time_point now() override { return Clock::now(); }

  std::expected<void, std::string> send(std::span<const uint8_t> datagram,
                                        Ipv4Address to) override {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(kServerPort);
    memcpy(&address.sin_addr, to.bytes.data(), to.bytes.size());
    for (;;) {
      if (::sendto(fd_, datagram.data(), datagram.size(), 0,
                   reinterpret_cast<const sockaddr*>(&address), sizeof(address)) >= 0) {
        return {};
      }
      if (errno != EINTR) return std::unexpected(to.text() + ": " + strerror(errno));
    }
  }

  std::expected<std::optional<std::vector<uint8_t>>, std::string> receive(
      Clock::time_point until) override {
    std::vector<uint8_t> buffer(kReceiveBuffer);
    for (;;) {
      const auto left = std::chrono::ceil<milliseconds>(until - Clock::now()).count();
      if (left <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, INT_MAX)));
      if (ready < 0 && errno != EINTR)
        return std::unexpected(std::string("poll: ") + strerror(errno));
      if (ready <= 0) continue;
      // MSG_TRUNC: the datagram's whole length, to skip one the buffer cut.
      const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_TRUNC | MSG_DONTWAIT);
      if (n < 0) {
        // An ICMP error a unicast renewal drew is reported here, and is no reason to stop.
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNREFUSED ||
            errno == EHOSTUNREACH || errno == ENETUNREACH) {
          continue;
        }
        return std::unexpected(std::string("receiving: ") + strerror(errno));
      }
      if (static_cast<size_t>(n) > buffer.size()) continue;
      buffer.resize(static_cast<size_t>(n));
      return buffer;
    }
  }

  uint32_t random() override {
    uint32_t value = 0;
    if (::getrandom(&value, sizeof(value), 0) == static_cast<ssize_t>(sizeof(value))) return value;
    // getrandom() fails only before the kernel has entropy at all, which it always has once it
    // runs PID 1 on x86-64 (RDRAND, jitter entropy); the clock still varies xid between boots.
    return static_cast<uint32_t>(Clock::now().time_since_epoch().count());
  }

 private:
  int fd_;
};

// A name the kernel could have given an interface, safe in a /sys path.
bool is_interface_name(const std::string& name) {
  return !name.empty() && name.size() < IFNAMSIZ && name != "." && name != ".." &&
         name.find_first_of("/: \t\n") == std::string::npos;
}

std::unexpected<std::string> socket_error(const std::string& interface, const char* step) {
  return std::unexpected(interface + ": " + step + ": " + strerror(errno));
}

}  // namespace

std::expected<std::unique_ptr<Link>, std::string> open_link(const std::string& interface,
                                                            Ipv4Address local) {
  if (!is_interface_name(interface)) {
    return std::unexpected("\"" + interface + "\" is not a network interface name");
  }
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return socket_error(interface, "socket");
  auto link = std::make_unique<SocketLink>(fd);
  const int on = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) {
    return socket_error(interface, "SO_REUSEADDR");
  }
  if (::setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)) != 0) {
    return socket_error(interface, "SO_BROADCAST");
  }
  // Only this interface's datagrams, and ours leave through it whatever the routes say (there
  // are none before the first lease).
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, interface.c_str(),
                   static_cast<socklen_t>(interface.size() + 1)) != 0) {
    return socket_error(interface, "SO_BINDTODEVICE");
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(kClientPort);
  memcpy(&address.sin_addr, local.bytes.data(), local.bytes.size());
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return socket_error(interface, ("bind to " + local.text() + ":68").c_str());
  }
  return link;
}

std::expected<Lease, std::string> acquire_lease(Link& link, const ClientIdentity& client,
                                                Clock::time_point deadline) {
  const Clock::time_point start = link.now();
  Seen seen;
  Clock::duration nak_pause{0};
  while (link.now() < deadline) {
    const uint32_t xid = link.random();
    uint16_t secs = 0;
    auto offer = select_offer(link, client, xid, secs, start, deadline, seen);
    if (!offer) return std::unexpected(offer.error());
    if (!*offer) break;
    const Lease& offered = *(*offer)->lease;
    seen.offer = offered.address.text() + " from " + offered.server.text();
    const Clock::time_point requested = link.now();
    auto answer = request_offer(link, client, xid, secs, **offer, deadline, seen);
    if (!answer) return std::unexpected(answer.error());
    if (!*answer) continue;  // no answer: DISCOVER again (RFC 2131 §3.1 step 5)
    if ((*answer)->type == MessageType::kAck) {
      Lease lease = *(*answer)->lease;
      lease.start = requested;
      return lease;
    }
    // NAK: INIT again (§3.1 step 5). The first at once; a server that takes back each offer
    // it makes is asked less and less often.
    seen.nak = nak_words(**answer);
    if (nak_pause > Clock::duration{0}) {
      auto drained =
          wait_for(link, xid, client.mac, std::min(link.now() + nak_pause, deadline), seen, never);
      if (!drained) return std::unexpected(drained.error());
    }
    nak_pause = nak_pause == Clock::duration{0} ? Clock::duration{kFirstRetransmission}
                                                : doubled(nak_pause);
  }
  std::string what = seen.offer.empty() ? "no server offered one" : "the offer of " + seen.offer;
  if (!seen.offer.empty()) what += seen.nak.empty() ? " was not acknowledged" : ": " + seen.nak;
  return std::unexpected("no DHCP lease in " + whole_seconds(link.now() - start) + ": " + what +
                         seen.details());
}

std::expected<Lease, RenewFailure> renew_lease(Link& link, const ClientIdentity& client,
                                               const Lease& lease, Clock::time_point deadline) {
  return extend_lease(link, client, lease, deadline, /*rebinding=*/false);
}

std::expected<Lease, RenewFailure> rebind_lease(Link& link, const ClientIdentity& client,
                                                const Lease& lease, Clock::time_point deadline) {
  return extend_lease(link, client, lease, deadline, /*rebinding=*/true);
}

std::optional<MacAddress> parse_mac(std::string_view text) {
  MacAddress mac;
  if (text.size() != 3 * mac.bytes.size() - 1) return std::nullopt;
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < mac.bytes.size(); ++i) {
    const int high = nibble(text[3 * i]);
    const int low = nibble(text[3 * i + 1]);
    if (high < 0 || low < 0 || (i + 1 < mac.bytes.size() && text[3 * i + 2] != ':')) {
      return std::nullopt;
    }
    mac.bytes[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return mac;
}

std::expected<MacAddress, std::string> read_mac(const std::string& interface) {
  if (!is_interface_name(interface)) {
    return std::unexpected("\"" + interface + "\" is not a network interface name");
  }
  const std::string path = "/sys/class/net/" + interface + "/address";
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) {
    return std::unexpected(interface + ": no such network interface (" + path + ")");
  }
  const auto mac = parse_mac(line);
  if (!mac)
    return std::unexpected(interface + ": not an Ethernet interface (address " + line + ")");
  if (*mac == MacAddress{}) return std::unexpected(interface + ": no hardware address");
  return *mac;
}

std::expected<Lease, std::string> acquire_lease(const std::string& interface, const MacAddress& mac,
                                                const std::string& hostname,
                                                Clock::time_point deadline) {
  auto link = open_link(interface);
  if (!link) return std::unexpected(link.error());
  auto lease = acquire_lease(**link, ClientIdentity{mac, hostname}, deadline);
  if (!lease) return std::unexpected(interface + ": " + lease.error());
  return lease;
}

namespace {

// renew_lease() or rebind_lease() over a socket on `interface` bound to the leased address.
std::expected<Lease, RenewFailure> extend_on(const std::string& interface,
                                             const ClientIdentity& client, const Lease& lease,
                                             Clock::time_point deadline, bool rebinding) {
  auto link = open_link(interface, lease.address);
  if (!link) return std::unexpected(RenewFailure{false, link.error()});
  auto renewed = extend_lease(**link, client, lease, deadline, rebinding);
  if (!renewed) renewed.error().reason = interface + ": " + renewed.error().reason;
  return renewed;
}

}  // namespace

std::expected<Lease, RenewFailure> renew_lease(const std::string& interface, const MacAddress& mac,
                                               const std::string& hostname, const Lease& lease,
                                               Clock::time_point deadline) {
  return extend_on(interface, ClientIdentity{mac, hostname}, lease, deadline, false);
}

std::expected<Lease, RenewFailure> rebind_lease(const std::string& interface, const MacAddress& mac,
                                                const std::string& hostname, const Lease& lease,
                                                Clock::time_point deadline) {
  return extend_on(interface, ClientIdentity{mac, hostname}, lease, deadline, true);
}

appliance::IpAddress ip_address(Ipv4Address a) {
  appliance::IpAddress ip;
  ip.family = appliance::IpAddress::Family::kIpv4;
  std::copy(a.bytes.begin(), a.bytes.end(), ip.bytes.begin());
  return ip;
}

appliance::InterfaceAddress interface_address(const Lease& lease) {
  return appliance::InterfaceAddress{ip_address(lease.address), lease.prefix_length};
}

}  // namespace rootstock::init::dhcp
