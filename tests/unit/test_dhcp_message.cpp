// DHCPv4 messages (init/dhcp_message.*): the requests byte for byte as RFC 2131 and RFC 2132
// lay them out, replies as QEMU's and other servers send them, and every refusal of a reply,
// which any node on the link may send.
#include <string.h>

#include <algorithm>
#include <catch2/catch_test_macros.hpp>

#include "dhcp_message.hpp"

using namespace rootstock::init::dhcp;

namespace {

constexpr uint32_t kXid = 0x12345678;
constexpr MacAddress kMac{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};

Ipv4Address ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return Ipv4Address{{a, b, c, d}};
}

Header reply_header(Ipv4Address yiaddr = ip(10, 0, 2, 15)) {
  Header h;
  h.op = Op::kBootReply;
  h.xid.set(kXid);
  h.yiaddr = yiaddr;
  h.siaddr = ip(10, 0, 2, 2);
  std::copy(kMac.bytes.begin(), kMac.bytes.end(), h.chaddr.begin());
  return h;
}

// QEMU's user network (slirp): server and router 10.0.2.2, DNS 10.0.2.3, a day's lease.
using OptionList = std::vector<std::pair<Option, std::vector<uint8_t>>>;
OptionList qemu_list() {
  return {{Option::kServerId, {10, 0, 2, 2}},
          {Option::kSubnetMask, {255, 255, 255, 0}},
          {Option::kRouter, {10, 0, 2, 2}},
          {Option::kDns, {10, 0, 2, 3}},
          {Option::kLeaseTime, {0, 1, 0x51, 0x80}}};  // 86400
}

void qemu_options(MessageWriter& w) {
  for (const auto& [code, value] : qemu_list()) w.add(code, value);
}

// A reply of `type` with the options `add` writes after option 53.
template <typename Add>
std::vector<uint8_t> reply(MessageType type, const Add& add, const Header& h = reply_header()) {
  MessageWriter w(h);
  w.add(Option::kMessageType, static_cast<uint8_t>(type));
  add(w);
  return std::move(w).finish();
}

// Where END stands in QEMU's reply: option 53 (3 bytes) and five of 4-byte values.
constexpr size_t kQemuEnd = kOptionsOffset + 3 + 5 * 6;

std::vector<uint8_t> qemu_reply(MessageType type) {
  return reply(type, qemu_options);
}

// QEMU's OFFER with option `code` left out (nullopt), or with `value` in its place or last.
std::vector<uint8_t> qemu_but(Option code, const std::optional<std::vector<uint8_t>>& value) {
  OptionList list = qemu_list();
  const auto at =
      std::find_if(list.begin(), list.end(), [&](const auto& o) { return o.first == code; });
  if (at != list.end()) list.erase(at);
  if (value) list.emplace_back(code, *value);
  return reply(MessageType::kOffer, [&](MessageWriter& w) {
    for (const auto& [c, v] : list) w.add(c, v);
  });
}

ReplyError refusal(const std::vector<uint8_t>& datagram) {
  const auto r = parse_reply(datagram, kXid, kMac);
  REQUIRE_FALSE(r.has_value());
  INFO(r.error().text);
  CHECK_FALSE(r.error().text.empty());
  return r.error().error;
}

Lease lease_of(const std::vector<uint8_t>& datagram) {
  const auto r = parse_reply(datagram, kXid, kMac);
  INFO((r ? "" : r.error().text));
  REQUIRE(r.has_value());
  REQUIRE(r->lease.has_value());
  return *r->lease;
}

// The options of a request, walked as the RFC lays them out: code, length, value; END last.
std::vector<std::pair<uint8_t, std::vector<uint8_t>>> options_of(const std::vector<uint8_t>& m) {
  std::vector<std::pair<uint8_t, std::vector<uint8_t>>> out;
  size_t at = kOptionsOffset;
  while (at < m.size() && m[at] != 255) {
    out.emplace_back(m[at],
                     std::vector<uint8_t>(m.begin() + static_cast<ptrdiff_t>(at + 2),
                                          m.begin() + static_cast<ptrdiff_t>(at + 2 + m[at + 1])));
    at += 2 + m[at + 1];
  }
  REQUIRE(at < m.size());  // END is there
  return out;
}

const std::vector<uint8_t> kParameterList{1, 3, 6, 51, 58, 59, 54};
const std::vector<uint8_t> kClientId{1, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
const std::vector<uint8_t> kMaxSize{0x05, 0xdc};  // 1500

}  // namespace

TEST_CASE("dhcp message: a DISCOVER as RFC 2131 lays it out", "[dhcp]") {
  const auto m = build_discover(ClientIdentity{kMac, "r1"}, kXid, 3);
  REQUIRE(m.size() == kMinMessageSize);
  CHECK(m[0] == 1);  // BOOTREQUEST
  CHECK(m[1] == 1);  // Ethernet
  CHECK(m[2] == 6);
  CHECK(m[3] == 0);
  CHECK(std::vector<uint8_t>(m.begin() + 4, m.begin() + 12) ==
        std::vector<uint8_t>{0x12, 0x34, 0x56, 0x78, 0, 3, 0x80, 0});  // xid, secs, BROADCAST
  CHECK(std::all_of(m.begin() + 12, m.begin() + 28, [](uint8_t b) { return b == 0; }));
  CHECK(std::equal(kMac.bytes.begin(), kMac.bytes.end(), m.begin() + 28));
  CHECK(std::all_of(m.begin() + 34, m.begin() + 236, [](uint8_t b) { return b == 0; }));
  CHECK(std::vector<uint8_t>(m.begin() + 236, m.begin() + 240) ==
        std::vector<uint8_t>{99, 130, 83, 99});
  const auto options = options_of(m);
  REQUIRE(options.size() == 5);
  CHECK(options[0] == std::pair<uint8_t, std::vector<uint8_t>>{53, {1}});
  CHECK(options[1] == std::pair<uint8_t, std::vector<uint8_t>>{61, kClientId});
  CHECK(options[2] == std::pair<uint8_t, std::vector<uint8_t>>{12, {'r', '1'}});
  CHECK(options[3] == std::pair<uint8_t, std::vector<uint8_t>>{55, kParameterList});
  CHECK(options[4] == std::pair<uint8_t, std::vector<uint8_t>>{57, kMaxSize});
}

TEST_CASE("dhcp message: REQUESTs in SELECTING and in RENEWING", "[dhcp]") {
  const ClientIdentity client{kMac, ""};
  const auto selecting =
      build_selecting_request(client, kXid, 7, ip(10, 0, 2, 15), ip(10, 0, 2, 2));
  CHECK(selecting[8] == 0);
  CHECK(selecting[9] == 7);
  CHECK(selecting[10] == 0x80);  // still no address: BROADCAST
  CHECK(std::all_of(selecting.begin() + 12, selecting.begin() + 16, [](uint8_t b) { return !b; }));
  auto options = options_of(selecting);
  REQUIRE(options.size() == 6);  // no host name: it is empty
  CHECK(options[0] == std::pair<uint8_t, std::vector<uint8_t>>{53, {3}});
  CHECK(options[1] == std::pair<uint8_t, std::vector<uint8_t>>{50, {10, 0, 2, 15}});
  CHECK(options[2] == std::pair<uint8_t, std::vector<uint8_t>>{54, {10, 0, 2, 2}});
  CHECK(options[3].first == 61);
  CHECK(options[4] == std::pair<uint8_t, std::vector<uint8_t>>{55, kParameterList});

  const auto renewing = build_renewing_request(client, kXid, 0, ip(10, 0, 2, 15));
  CHECK(renewing[10] == 0);  // the server answers ciaddr
  CHECK(std::vector<uint8_t>(renewing.begin() + 12, renewing.begin() + 16) ==
        std::vector<uint8_t>{10, 0, 2, 15});
  options = options_of(renewing);
  REQUIRE(options.size() == 4);
  CHECK(options[0] == std::pair<uint8_t, std::vector<uint8_t>>{53, {3}});
  CHECK(options[1].first == 61);
  CHECK(options[2].first == 55);
  CHECK(options[3].first == 57);
}

TEST_CASE("dhcp message: a host name longer than an option is cut at 255 bytes", "[dhcp]") {
  const auto m = build_discover(ClientIdentity{kMac, std::string(300, 'h')}, kXid, 0);
  const auto options = options_of(m);
  REQUIRE(options.size() == 5);
  CHECK(options[2].first == 12);
  CHECK(options[2].second == std::vector<uint8_t>(255, 'h'));
}

TEST_CASE("dhcp message: QEMU's OFFER and ACK", "[dhcp]") {
  for (const MessageType type : {MessageType::kOffer, MessageType::kAck}) {
    const auto r = parse_reply(qemu_reply(type), kXid, kMac);
    REQUIRE(r.has_value());
    CHECK(r->type == type);
    CHECK(r->server == ip(10, 0, 2, 2));
    REQUIRE(r->lease.has_value());
    const Lease& l = *r->lease;
    CHECK(l.address == ip(10, 0, 2, 15));
    CHECK(l.address.text() == "10.0.2.15");
    CHECK(l.prefix_length == 24);
    CHECK(l.router == ip(10, 0, 2, 2));
    CHECK(l.dns == std::vector{ip(10, 0, 2, 3)});
    CHECK(l.lease_seconds == 86400);
    CHECK(l.t1_seconds == 43200);  // RFC 2131 §4.4.5's defaults: 0.5 and 0.875 of the lease
    CHECK(l.t2_seconds == 75600);
    CHECK(l.server == ip(10, 0, 2, 2));
  }
}

TEST_CASE("dhcp message: the server's T1 and T2, routers and DNS servers", "[dhcp]") {
  const auto l = lease_of(reply(MessageType::kAck, [](MessageWriter& w) {
    qemu_options(w);
    w.add_u32(Option::kRenewalTime, 600);
    w.add_u32(Option::kRebindingTime, 1200);
    const std::vector<uint8_t> routers{0, 0, 0, 0, 10, 0, 2, 1};
    w.add(Option::kRouter, routers);  // a second instance: appended (RFC 3396)
    const std::vector<uint8_t> dns{1, 1, 1, 1, 8, 8, 8, 8, 9, 9, 9, 9};
    w.add(Option::kDns, dns);
  }));
  CHECK(l.t1_seconds == 600);
  CHECK(l.t2_seconds == 1200);
  CHECK(l.router == ip(10, 0, 2, 2));  // the first
  CHECK(l.dns == std::vector{ip(10, 0, 2, 3), ip(1, 1, 1, 1), ip(8, 8, 8, 8)});

  const auto no_router = lease_of(reply(MessageType::kAck, [](MessageWriter& w) {
    w.add(Option::kServerId, ip(10, 0, 2, 2));
    w.add(Option::kRouter, ip(0, 0, 0, 0));
    w.add_u32(Option::kLeaseTime, 3600);
  }));
  CHECK_FALSE(no_router.router.has_value());
  CHECK(no_router.dns.empty());
  CHECK(no_router.prefix_length == 8);  // no option 1: 10.x is class A
  CHECK(lease_of(reply(
                     MessageType::kAck,
                     [](MessageWriter& w) {
                       w.add(Option::kServerId, ip(10, 0, 2, 2));
                       w.add_u32(Option::kLeaseTime, 3600);
                     },
                     reply_header(ip(192, 168, 1, 20))))
            .prefix_length == 24);
  CHECK(lease_of(reply(MessageType::kAck, [](MessageWriter& w) {
          w.add(Option::kServerId, ip(10, 0, 2, 2));
          w.add(Option::kSubnetMask, ip(255, 255, 255, 255));
          w.add_u32(Option::kLeaseTime, 3600);
        })).prefix_length == 32);
}

TEST_CASE("dhcp message: timers out of order fall back to the defaults", "[dhcp]") {
  const auto timers = [](uint32_t lease, uint32_t t1, uint32_t t2) {
    const auto l = lease_of(reply(MessageType::kAck, [&](MessageWriter& w) {
      w.add(Option::kServerId, ip(10, 0, 2, 2));
      w.add_u32(Option::kLeaseTime, lease);
      w.add_u32(Option::kRenewalTime, t1);
      w.add_u32(Option::kRebindingTime, t2);
    }));
    return std::pair{l.t1_seconds, l.t2_seconds};
  };
  CHECK(timers(1000, 100, 2000) == std::pair{100u, 875u});  // T2 past the lease
  CHECK(timers(1000, 900, 800) == std::pair{500u, 800u});   // T1 past T2
  CHECK(timers(1000, 900, 300) == std::pair{300u, 300u});   // the default T1 past T2 too
  CHECK(timers(1000, 1000, 1000) == std::pair{1000u, 1000u});
  CHECK(timers(Lease::kInfinite, 10, 20) == std::pair{Lease::kInfinite, Lease::kInfinite});
  CHECK(timers(1, 5, 5) == std::pair{0u, 0u});
}

TEST_CASE("dhcp message: a NAK, with its message made printable", "[dhcp]") {
  const auto r = parse_reply(
      reply(
          MessageType::kNak,
          [](MessageWriter& w) {
            const std::string text = "wrong network\n\x1b[2J";
            w.add(Option::kMessage,
                  std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
          },
          reply_header(ip(0, 0, 0, 0))),
      kXid, kMac);
  REQUIRE(r.has_value());
  CHECK(r->type == MessageType::kNak);
  CHECK_FALSE(r->server.has_value());
  CHECK_FALSE(r->lease.has_value());
  CHECK(r->message == "wrong network??[2J");
}

TEST_CASE("dhcp message: options overloaded into 'file' and 'sname'", "[dhcp]") {
  Header h = reply_header();
  // 'file' first, then 'sname' (RFC 2131 §4.1); each may end with END or run to its end.
  const uint8_t file[] = {1, 4, 255, 255, 0, 0, 0, 3, 4, 10, 0, 2, 9, 255};
  std::copy(std::begin(file), std::end(file), h.file.begin());
  const uint8_t sname[] = {6, 4, 10, 0, 2, 3, 0, 6, 4, 10, 0, 2, 4};
  std::copy(std::begin(sname), std::end(sname), h.sname.begin());
  h.sname.back() = 0;
  const auto overloaded = [&](uint8_t which) {
    return reply(
        MessageType::kOffer,
        [&](MessageWriter& w) {
          w.add(Option::kServerId, ip(10, 0, 2, 2));
          w.add_u32(Option::kLeaseTime, 60);
          w.add(Option::kOverload, which);
        },
        h);
  };
  const auto both = lease_of(overloaded(3));
  CHECK(both.prefix_length == 16);
  CHECK(both.router == ip(10, 0, 2, 9));
  CHECK(both.dns == std::vector{ip(10, 0, 2, 3), ip(10, 0, 2, 4)});
  const auto file_only = lease_of(overloaded(1));
  CHECK(file_only.prefix_length == 16);
  CHECK(file_only.dns.empty());
  const auto sname_only = lease_of(overloaded(2));
  CHECK(sname_only.prefix_length == 8);
  CHECK(sname_only.dns.size() == 2);
  // Without option 52 the fields are a host and a file name, whatever they hold.
  CHECK(lease_of(reply(MessageType::kOffer, qemu_options, h)).prefix_length == 24);

  CHECK(refusal(overloaded(0)) == ReplyError::kOverload);
  CHECK(refusal(overloaded(4)) == ReplyError::kOverload);
  h.file[0] = 52;  // option 52 in 'file'
  h.file[1] = 1;
  h.file[2] = 3;
  CHECK(refusal(overloaded(1)) == ReplyError::kOverload);
  h.file = {};
  h.file[0] = 6;
  h.file[1] = 200;  // past the field's 128 bytes
  CHECK(refusal(overloaded(1)) == ReplyError::kOptionOverrun);
}

TEST_CASE("dhcp message: PAD, END and what follows END", "[dhcp]") {
  auto m = qemu_reply(MessageType::kOffer);
  // PAD before the options and junk after END are passed over.
  m.insert(m.begin() + kOptionsOffset, {0, 0, 0});
  m.insert(m.end(), {6, 200, 1});
  CHECK(lease_of(m).dns == std::vector{ip(10, 0, 2, 3)});
  // Without END the datagram's end ends the options.
  auto no_end = qemu_reply(MessageType::kOffer);
  REQUIRE(no_end[kQemuEnd] == 255);
  no_end.resize(kQemuEnd);
  CHECK(lease_of(no_end).lease_seconds == 86400);
}

TEST_CASE("dhcp message: refusals of the header", "[dhcp]") {
  const auto good = qemu_reply(MessageType::kOffer);
  CHECK(refusal(std::vector<uint8_t>(good.begin(), good.begin() + 239)) == ReplyError::kTooShort);
  CHECK(refusal({}) == ReplyError::kTooShort);
  auto m = good;
  m[0] = 1;
  CHECK(refusal(m) == ReplyError::kNotReply);
  m = good;
  m[1] = 6;  // IEEE 802
  CHECK(refusal(m) == ReplyError::kHardwareType);
  m = good;
  m[2] = 16;
  CHECK(refusal(m) == ReplyError::kHardwareType);
  m = good;
  m[7] ^= 1;
  CHECK(refusal(m) == ReplyError::kOtherTransaction);
  m = good;
  m[33] ^= 1;
  CHECK(refusal(m) == ReplyError::kOtherClient);
  m = good;
  m[236] = 0;  // a BOOTP reply's vendor field
  CHECK(refusal(m) == ReplyError::kMagicCookie);
}

TEST_CASE("dhcp message: refusals of options", "[dhcp]") {
  using Bytes = std::vector<uint8_t>;
  CHECK(refusal(qemu_but(Option::kSubnetMask, Bytes{255, 255, 0})) == ReplyError::kOptionLength);
  CHECK(refusal(qemu_but(Option::kRouter, Bytes{10, 0, 2, 2, 1})) == ReplyError::kOptionLength);
  CHECK(refusal(qemu_but(Option::kDns, Bytes{})) == ReplyError::kOptionLength);
  CHECK(refusal(qemu_but(Option::kLeaseTime, Bytes{0, 1})) == ReplyError::kOptionLength);
  CHECK(refusal(qemu_but(Option::kServerId, Bytes{10, 0, 2})) == ReplyError::kOptionLength);
  CHECK(refusal(qemu_but(Option::kRenewalTime, Bytes{1, 2, 3})) == ReplyError::kOptionLength);
  CHECK(refusal(qemu_but(Option::kRebindingTime, Bytes{})) == ReplyError::kOptionLength);
  // A second instance of a one-value option is appended to the first (RFC 3396): too long.
  CHECK(refusal(qemu_but(Option::kMessageType, Bytes{2})) == ReplyError::kOptionLength);
  CHECK(refusal(qemu_but(Option::kSubnetMask, Bytes{255, 0, 255, 0})) == ReplyError::kSubnetMask);
  CHECK(refusal(qemu_but(Option::kSubnetMask, Bytes{0, 0, 0, 0})) == ReplyError::kSubnetMask);
  CHECK(refusal(qemu_but(Option::kServerId, std::nullopt)) == ReplyError::kNoServerId);
  CHECK(refusal(qemu_but(Option::kServerId, Bytes{0, 0, 0, 0})) == ReplyError::kNoServerId);
  CHECK(refusal(qemu_but(Option::kServerId, Bytes{255, 255, 255, 255})) == ReplyError::kNoServerId);
  CHECK(refusal(qemu_but(Option::kLeaseTime, std::nullopt)) == ReplyError::kNoLeaseTime);
  CHECK(refusal(qemu_but(Option::kLeaseTime, Bytes{0, 0, 0, 0})) == ReplyError::kNoLeaseTime);

  // An option whose length runs past the datagram, and a code with no length byte.
  auto m = qemu_reply(MessageType::kOffer);
  m.resize(kOptionsOffset + 3 + 6);  // option 53, then 54's code, length and 4 bytes
  m.push_back(6);
  m.push_back(8);
  m.insert(m.end(), {8, 8, 8, 8});
  CHECK(refusal(m) == ReplyError::kOptionOverrun);
  m.resize(kOptionsOffset + 3 + 6 + 1);
  CHECK(refusal(m) == ReplyError::kOptionOverrun);

  Header h = reply_header();
  MessageWriter none(h);
  qemu_options(none);
  CHECK(refusal(std::move(none).finish()) == ReplyError::kNoMessageType);
  for (const MessageType type : {MessageType::kDiscover, MessageType::kRequest,
                                 MessageType::kRelease, MessageType{0}, MessageType{200}}) {
    CHECK(refusal(qemu_reply(type)) == ReplyError::kMessageType);
  }
  for (const Ipv4Address bad : {ip(0, 0, 0, 0), ip(127, 0, 0, 1), ip(224, 0, 0, 1),
                                ip(255, 255, 255, 255), ip(240, 0, 0, 1)}) {
    CHECK(refusal(reply(MessageType::kAck, qemu_options, reply_header(bad))) ==
          ReplyError::kAddress);
  }
}

TEST_CASE("dhcp message: every cut of a reply is refused or read within it", "[dhcp]") {
  // ASan would see a read past the cut: each prefix is copied into a buffer of its own size.
  const auto good = qemu_reply(MessageType::kAck);
  size_t accepted = 0;
  for (size_t n = 0; n <= good.size(); ++n) {
    const std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<ptrdiff_t>(n));
    const auto r = parse_reply(cut, kXid, kMac);
    if (r) {
      ++accepted;
      CHECK(r->lease->lease_seconds == 86400);
    }
  }
  // From the last option's end on (END, PAD) every cut holds the whole reply.
  CHECK(accepted == good.size() - kQemuEnd + 1);
}

TEST_CASE("dhcp message: netmasks and addresses", "[dhcp]") {
  CHECK(prefix_length_of(ip(255, 255, 255, 0)) == 24);
  CHECK(prefix_length_of(ip(255, 255, 255, 255)) == 32);
  CHECK(prefix_length_of(ip(128, 0, 0, 0)) == 1);
  CHECK(prefix_length_of(ip(0, 0, 0, 0)) == 0);
  CHECK(prefix_length_of(ip(255, 255, 254, 0)) == 23);
  CHECK_FALSE(prefix_length_of(ip(255, 0, 255, 0)).has_value());
  CHECK_FALSE(prefix_length_of(ip(0, 0, 0, 255)).has_value());
  CHECK_FALSE(prefix_length_of(ip(255, 255, 255, 253)).has_value());
  CHECK(is_unicast(ip(10, 0, 2, 15)));
  CHECK(is_unicast(ip(223, 255, 255, 254)));
  CHECK_FALSE(is_unicast(ip(0, 1, 2, 3)));
  CHECK_FALSE(is_unicast(ip(127, 0, 0, 53)));
  CHECK_FALSE(is_unicast(ip(239, 1, 1, 1)));
  CHECK(Ipv4Address::of(0x0a00020f) == ip(10, 0, 2, 15));
  CHECK(ip(10, 0, 2, 15).value() == 0x0a00020f);
  CHECK(kMac.text() == "52:54:00:12:34:56");
}
