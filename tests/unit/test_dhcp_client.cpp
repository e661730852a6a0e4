// The DHCP client's exchanges (init/dhcp_client.*) over a scripted link with a fake clock: what
// it sends when, what it takes and what it skips, NAK restarts, the deadline, renewing and
// rebinding. The socket itself is checked in a network namespace, outside the suite.
#include <string.h>

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <deque>
#include <functional>

#include "dhcp_client.hpp"

using namespace rootstock::init::dhcp;
using namespace std::chrono_literals;

namespace {

constexpr MacAddress kMac{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
const ClientIdentity kClient{kMac, "rootstock"};
constexpr Ipv4Address kServer{{10, 0, 2, 2}};
constexpr Ipv4Address kOther{{10, 0, 2, 4}};
constexpr Ipv4Address kAddress{{10, 0, 2, 15}};

// A request as the client sent it.
struct Sent {
  Clock::duration at;  // since the test began
  Ipv4Address to;
  MessageType type;
  uint32_t xid;
  uint16_t secs;
  bool broadcast_flag;
  Ipv4Address ciaddr;
};

// What a server writes into a reply, beside the header.
struct Answer {
  MessageType type = MessageType::kOffer;
  Ipv4Address server = kServer;
  uint32_t lease_seconds = 3600;
  std::optional<uint32_t> xid{};  // another transaction's
  Ipv4Address mask{{255, 255, 255, 0}};
};

std::vector<uint8_t> answer_to(const Sent& request, const Answer& a) {
  Header h;
  h.op = Op::kBootReply;
  h.xid.set(a.xid.value_or(request.xid));
  h.yiaddr = a.type == MessageType::kNak ? Ipv4Address{} : kAddress;
  std::copy(kMac.bytes.begin(), kMac.bytes.end(), h.chaddr.begin());
  MessageWriter w(h);
  w.add(Option::kMessageType, static_cast<uint8_t>(a.type));
  w.add(Option::kServerId, a.server);
  if (a.type != MessageType::kNak) {
    w.add(Option::kSubnetMask, a.mask);
    w.add(Option::kRouter, kServer);
    w.add_u32(Option::kLeaseTime, a.lease_seconds);
  }
  return std::move(w).finish();
}

// A Link with a fake clock: receive() jumps to the next queued datagram or to its deadline.
// `server` sees each request as it is sent and queues the answers.
class FakeLink final : public Link {
 public:
  Clock::time_point start = Clock::time_point{} + 1000h;
  Clock::time_point clock = start;
  std::vector<Sent> sent;
  std::function<void(FakeLink&, const Sent&)> server;
  std::deque<std::pair<Clock::time_point, std::vector<uint8_t>>> queued;
  std::vector<uint32_t> jitters{1000};  // random() % 2001: 1000 is no jitter
  int failed_sends = 0;                 // the first ones fail
  std::optional<std::string> receive_error;

  void reply(Clock::duration after, std::vector<uint8_t> datagram) {
    const Clock::time_point at = clock + after;
    auto it =
        std::find_if(queued.begin(), queued.end(), [&](const auto& q) { return q.first > at; });
    queued.insert(it, {at, std::move(datagram)});
  }
  void answer(const Sent& request, const Answer& a, Clock::duration after = 10ms) {
    reply(after, answer_to(request, a));
  }
  std::vector<MessageType> types() const {
    std::vector<MessageType> t;
    for (const Sent& s : sent) t.push_back(s.type);
    return t;
  }
  std::vector<Clock::duration> times() const {
    std::vector<Clock::duration> t;
    for (const Sent& s : sent) t.push_back(s.at);
    return t;
  }

  Clock::time_point now() override { return clock; }

  std::expected<void, std::string> send(std::span<const uint8_t> datagram,
                                        Ipv4Address to) override {
    REQUIRE(datagram.size() >= kMinMessageSize);
    Header h;
    memcpy(&h, datagram.data(), sizeof(h));
    REQUIRE(h.op == Op::kBootRequest);
    REQUIRE(datagram[kOptionsOffset] == static_cast<uint8_t>(Option::kMessageType));
    sent.push_back(Sent{clock - start, to, static_cast<MessageType>(datagram[kOptionsOffset + 2]),
                        h.xid.value(), h.secs.value(), (h.flags.value() & kFlagBroadcast) != 0,
                        h.ciaddr});
    if (failed_sends > 0) {
      --failed_sends;
      return std::unexpected("Network is unreachable");
    }
    if (server) server(*this, sent.back());
    return {};
  }

  std::expected<std::optional<std::vector<uint8_t>>, std::string> receive(
      Clock::time_point until) override {
    if (receive_error) return std::unexpected(*receive_error);
    if (!queued.empty() && queued.front().first <= until) {
      clock = std::max(clock, queued.front().first);
      auto datagram = std::move(queued.front().second);
      queued.pop_front();
      return datagram;
    }
    clock = std::max(clock, until);
    return std::nullopt;
  }

  // Transaction ids differ from call to call; the jitter is jitters[] in turn.
  uint32_t random() override {
    constexpr uint32_t kSpan = 2001;
    const uint32_t n = randoms_++;
    return jitters[n % jitters.size()] + kSpan * (n + 1);
  }

 private:
  uint32_t randoms_ = 0;
};

// A server that offers and acknowledges like QEMU's.
void good_server(FakeLink& link, const Sent& s) {
  link.answer(s,
              Answer{s.type == MessageType::kDiscover ? MessageType::kOffer : MessageType::kAck});
}

std::vector<Clock::duration> seconds_list(std::initializer_list<int> s) {
  std::vector<Clock::duration> out;
  for (int v : s) out.push_back(std::chrono::seconds(v));
  return out;
}

}  // namespace

TEST_CASE("dhcp client: DISCOVER, OFFER, REQUEST, ACK", "[dhcp]") {
  FakeLink link;
  link.server = good_server;
  const auto lease = acquire_lease(link, kClient, link.clock + 60s);
  REQUIRE(lease.has_value());
  CHECK(lease->address == kAddress);
  CHECK(lease->prefix_length == 24);
  CHECK(lease->router == kServer);
  CHECK(lease->server == kServer);
  CHECK(lease->lease_seconds == 3600);
  CHECK(lease->t1_seconds == 1800);
  CHECK(lease->start == link.start + 10ms);  // when the REQUEST went
  REQUIRE(link.types() == std::vector{MessageType::kDiscover, MessageType::kRequest});
  for (const Sent& s : link.sent) {
    CHECK(s.to == kBroadcast);
    CHECK(s.broadcast_flag);
    CHECK(s.xid == link.sent[0].xid);
    CHECK(s.ciaddr == Ipv4Address{});
  }
}

TEST_CASE("dhcp client: DISCOVER again after 4, 8, 16, 32, 64, 64 s, until the deadline",
          "[dhcp]") {
  FakeLink link;
  const auto lease = acquire_lease(link, kClient, link.clock + 200s);
  REQUIRE_FALSE(lease.has_value());
  CHECK(lease.error() == "no DHCP lease in 200 s: no server offered one");
  CHECK(link.times() == seconds_list({0, 4, 12, 28, 60, 124, 188}));
  CHECK(link.clock == link.start + 200s);
  for (const Sent& s : link.sent) {
    CHECK(s.type == MessageType::kDiscover);
    CHECK(s.xid == link.sent[0].xid);
    CHECK(s.secs == std::chrono::duration_cast<std::chrono::seconds>(s.at).count());
  }
}

TEST_CASE("dhcp client: retransmissions are jittered by up to a second either way", "[dhcp]") {
  FakeLink link;
  link.jitters = {0, 2000};  // the first call's is the xid's: -1 s, +1 s, -1 s, ...
  (void)acquire_lease(link, kClient, link.clock + 60s);
  CHECK(link.times() == seconds_list({0, 5, 12, 29}));
}

TEST_CASE("dhcp client: replies for others and malformed ones are skipped", "[dhcp]") {
  FakeLink link;
  link.server = [](FakeLink& l, const Sent& s) {
    if (s.type == MessageType::kDiscover) {
      l.answer(s, Answer{.xid = s.xid + 1}, 10ms);                       // another transaction
      l.answer(s, Answer{.mask = Ipv4Address{{255, 0, 255, 0}}}, 20ms);  // refused
      l.reply(30ms, std::vector<uint8_t>(100, 0xff));                    // not DHCP
      l.answer(s, Answer{.type = MessageType::kAck}, 35ms);              // not an OFFER
      l.answer(s, Answer{}, 40ms);
    } else {
      l.answer(s, Answer{.type = MessageType::kOffer}, 10ms);                  // not an ACK
      l.answer(s, Answer{.type = MessageType::kAck, .server = kOther}, 20ms);  // another server
      l.answer(s, Answer{.type = MessageType::kNak, .server = kOther}, 30ms);
      l.answer(s, Answer{.type = MessageType::kAck, .lease_seconds = 60}, 40ms);
    }
  };
  const auto lease = acquire_lease(link, kClient, link.clock + 60s);
  REQUIRE(lease.has_value());
  CHECK(lease->lease_seconds == 60);
  CHECK(link.types() == std::vector{MessageType::kDiscover, MessageType::kRequest});
  CHECK(link.sent[1].at == 40ms);
}

TEST_CASE("dhcp client: a NAK starts over with a new transaction, later each time", "[dhcp]") {
  FakeLink link;
  int naks = 3;
  link.server = [&](FakeLink& l, const Sent& s) {
    if (s.type == MessageType::kDiscover) return l.answer(s, Answer{});
    l.answer(s, Answer{.type = naks-- > 0 ? MessageType::kNak : MessageType::kAck});
  };
  const auto lease = acquire_lease(link, kClient, link.clock + 120s);
  REQUIRE(lease.has_value());
  REQUIRE(link.sent.size() == 8);
  // At once after the first NAK, 4 s after the second, 8 s after the third.
  const auto ms = [](int v) { return Clock::duration(std::chrono::milliseconds(v)); };
  CHECK(link.times() ==
        std::vector{ms(0), ms(10), ms(20), ms(30), ms(4040), ms(4050), ms(12060), ms(12070)});
  for (size_t i = 0; i < link.sent.size(); i += 2) {
    CHECK(link.sent[i].type == MessageType::kDiscover);
    CHECK(link.sent[i + 1].xid == link.sent[i].xid);
    if (i > 0) CHECK(link.sent[i].xid != link.sent[i - 2].xid);
  }
  CHECK(lease->start == link.start + ms(12070));
}

TEST_CASE("dhcp client: an unanswered REQUEST is sent 4 times, then DISCOVER again", "[dhcp]") {
  FakeLink link;
  link.server = [](FakeLink& l, const Sent& s) {
    if (s.type == MessageType::kDiscover) l.answer(s, Answer{}, 1s);
  };
  const auto lease = acquire_lease(link, kClient, link.clock + 100s);
  REQUIRE_FALSE(lease.has_value());
  CHECK(lease.error() ==
        "no DHCP lease in 100 s: the offer of 10.0.2.15 from 10.0.2.2 was not acknowledged");
  CHECK(link.times() == seconds_list({0, 1, 5, 13, 29, 61, 62, 66, 74, 90}));
  CHECK(link.sent[5].type == MessageType::kDiscover);
  CHECK(link.sent[5].xid != link.sent[0].xid);
  CHECK(link.sent[3].secs == 0);  // REQUESTs keep the DISCOVER's 'secs' (RFC 2131 §4.4.1)
  CHECK(link.sent[6].secs == 61);
}

TEST_CASE("dhcp client: what the failure says", "[dhcp]") {
  FakeLink link;
  link.failed_sends = 1;  // then the sends go through: the failure is not worth a word
  link.server = [](FakeLink& l, const Sent& s) { l.answer(s, Answer{.lease_seconds = 0}); };
  auto lease = acquire_lease(link, kClient, link.clock + 13s);
  REQUIRE_FALSE(lease.has_value());
  CHECK(lease.error() ==
        "no DHCP lease in 13 s: no server offered one; 2 replies refused, the last: option 51 "
        "(lease time) is zero");

  FakeLink unreachable;
  unreachable.failed_sends = 100;
  lease = acquire_lease(unreachable, kClient, unreachable.clock + 10s);
  REQUIRE_FALSE(lease.has_value());
  CHECK(lease.error() ==
        "no DHCP lease in 10 s: no server offered one; sending failed: Network is unreachable");

  FakeLink naks;
  naks.server = [](FakeLink& l, const Sent& s) {
    l.answer(s, Answer{.type = s.type == MessageType::kDiscover ? MessageType::kOffer
                                                                : MessageType::kNak});
  };
  CHECK(acquire_lease(naks, kClient, naks.clock + 3s).error() ==
        "no DHCP lease in 3 s: the offer of 10.0.2.15 from 10.0.2.2: 10.0.2.2 refused it (NAK)");

  FakeLink broken;
  broken.receive_error = "receiving: Network is down";
  CHECK(acquire_lease(broken, kClient, broken.clock + 10s).error() == "receiving: Network is down");
  FakeLink late;
  CHECK_FALSE(acquire_lease(late, kClient, late.clock).has_value());
  CHECK(late.sent.empty());
}

TEST_CASE("dhcp client: renewing, unicast to the server until T2", "[dhcp]") {
  Lease lease;
  lease.address = kAddress;
  lease.server = kServer;
  FakeLink link;
  auto renewed = renew_lease(link, kClient, lease, link.clock + 1000s);
  REQUIRE_FALSE(renewed.has_value());
  CHECK_FALSE(renewed.error().refused);
  CHECK(renewed.error().reason ==
        "10.0.2.2 did not answer the renewing request for 10.0.2.15 in 1000 s");
  // Half the time left each time, at least 60 s apart (RFC 2131 §4.4.5).
  const auto ms = [](int v) { return Clock::duration(std::chrono::milliseconds(v)); };
  CHECK(link.times() ==
        std::vector{ms(0), ms(500000), ms(750000), ms(875000), ms(937500), ms(997500)});
  for (const Sent& s : link.sent) {
    CHECK(s.type == MessageType::kRequest);
    CHECK(s.to == kServer);
    CHECK(s.ciaddr == kAddress);
    CHECK_FALSE(s.broadcast_flag);
  }

  FakeLink acked;
  acked.server = [](FakeLink& l, const Sent& s) {
    l.answer(s, Answer{.type = MessageType::kAck, .server = kOther}, 1s);  // not our server
    l.answer(s, Answer{.type = MessageType::kAck, .lease_seconds = 7200}, 2s);
  };
  renewed = renew_lease(acked, kClient, lease, acked.clock + 1000s);
  REQUIRE(renewed.has_value());
  CHECK(renewed->lease_seconds == 7200);
  CHECK(renewed->start == acked.start);

  FakeLink refused;
  refused.server = [](FakeLink& l, const Sent& s) {
    l.answer(s, Answer{.type = MessageType::kNak});
  };
  renewed = renew_lease(refused, kClient, lease, refused.clock + 1000s);
  REQUIRE_FALSE(renewed.has_value());
  CHECK(renewed.error().refused);
  CHECK(renewed.error().reason == "the lease of 10.0.2.15 ended: 10.0.2.2 refused it (NAK)");
}

TEST_CASE("dhcp client: rebinding, broadcast, any server's ACK", "[dhcp]") {
  Lease lease;
  lease.address = kAddress;
  lease.server = kServer;
  FakeLink link;
  link.server = [](FakeLink& l, const Sent& s) {
    if (l.sent.size() == 2) l.answer(s, Answer{.type = MessageType::kAck, .server = kOther});
  };
  const auto rebound = rebind_lease(link, kClient, lease, link.clock + 100s);
  REQUIRE(rebound.has_value());
  CHECK(rebound->server == kOther);
  CHECK(link.times() == seconds_list({0, 60}));
  CHECK(link.sent[1].to == kBroadcast);
  CHECK(link.sent[1].ciaddr == kAddress);
  CHECK(link.sent[1].secs == 60);
  CHECK(link.sent[1].xid == link.sent[0].xid);

  FakeLink silent;
  const auto none = rebind_lease(silent, kClient, lease, silent.clock + 30s);
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().reason == "no server answered the rebinding request for 10.0.2.15 in 30 s");
}

TEST_CASE("dhcp client: hardware addresses, and the lease in the appliance's types", "[dhcp]") {
  CHECK(parse_mac("52:54:00:12:34:56") == kMac);
  CHECK(parse_mac("52:54:00:12:34:5E")->bytes[5] == 0x5e);
  CHECK_FALSE(parse_mac("52:54:00:12:34").has_value());
  CHECK_FALSE(parse_mac("52:54:00:12:34:56:78").has_value());
  CHECK_FALSE(parse_mac("52-54-00-12-34-56").has_value());
  CHECK_FALSE(parse_mac("52:54:00:12:34:5g").has_value());
  CHECK_FALSE(parse_mac("00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00").has_value());
  CHECK(read_mac("lo").error() == "lo: no hardware address");
  CHECK(read_mac("rootstock-none").error() ==
        "rootstock-none: no such network interface (/sys/class/net/rootstock-none/address)");
  CHECK(read_mac("../../etc").error() == "\"../../etc\" is not a network interface name");
  CHECK(read_mac("").has_value() == false);

  Lease lease;
  lease.address = kAddress;
  lease.prefix_length = 24;
  const auto a = interface_address(lease);
  CHECK(a.prefix_length == 24);
  CHECK(a.address.text() == "10.0.2.15");
  CHECK(ip_address(kServer).family == rootstock::appliance::IpAddress::Family::kIpv4);
}
