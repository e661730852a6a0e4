#include "dhcp_message.hpp"

#include <string.h>

#include <algorithm>
#include <bit>
#include <bitset>
#include <cstdint>

namespace rootstock::init::dhcp {
namespace {

constexpr size_t kMaxOptionLength = 255;
constexpr uint8_t kClientIdEthernet = 1;  // RFC 2132 §9.14: the type byte, as 'htype'
constexpr size_t kMaxNakMessage = 255;

// RFC 2132 §9.3: which of 'file' and 'sname' hold options.
constexpr uint8_t kOverloadFile = 1;
constexpr uint8_t kOverloadSname = 2;
constexpr uint8_t kOverloadBoth = 3;

// What the client asks servers for (RFC 2132 §9.8), in the order it prefers.
constexpr std::array kParameterRequests{
    Option::kSubnetMask,  Option::kRouter,        Option::kDns,     Option::kLeaseTime,
    Option::kRenewalTime, Option::kRebindingTime, Option::kServerId};

std::string option_name(Option code) {
  switch (code) {
    case Option::kSubnetMask:
      return "option 1 (subnet mask)";
    case Option::kRouter:
      return "option 3 (router)";
    case Option::kDns:
      return "option 6 (DNS servers)";
    case Option::kLeaseTime:
      return "option 51 (lease time)";
    case Option::kOverload:
      return "option 52 (overload)";
    case Option::kMessageType:
      return "option 53 (message type)";
    case Option::kServerId:
      return "option 54 (server identifier)";
    case Option::kRenewalTime:
      return "option 58 (renewal time)";
    case Option::kRebindingTime:
      return "option 59 (rebinding time)";
    default:
      return "option " + std::to_string(static_cast<unsigned>(code));
  }
}

std::unexpected<ReplyRefusal> refuse(ReplyError error, std::string text) {
  return std::unexpected(ReplyRefusal{error, std::move(text)});
}

Header request_header(const ClientIdentity& client, uint32_t xid, uint16_t secs) {
  Header h;
  h.op = Op::kBootRequest;
  h.xid.set(xid);
  h.secs.set(secs);
  std::copy(client.mac.bytes.begin(), client.mac.bytes.end(), h.chaddr.begin());
  return h;
}

// The options every request carries after its message type (RFC 2131 §4.4.1, Table 5).
void add_client_options(MessageWriter& w, const ClientIdentity& client) {
  std::array<uint8_t, 1 + sizeof(client.mac.bytes)> id{kClientIdEthernet};
  std::copy(client.mac.bytes.begin(), client.mac.bytes.end(), id.begin() + 1);
  w.add(Option::kClientId, id);
  if (!client.hostname.empty()) {
    w.add(Option::kHostName, std::span(reinterpret_cast<const uint8_t*>(client.hostname.data()),
                                       client.hostname.size()));
  }
  std::array<uint8_t, kParameterRequests.size()> list{};
  std::transform(kParameterRequests.begin(), kParameterRequests.end(), list.begin(),
                 [](Option o) { return static_cast<uint8_t>(o); });
  w.add(Option::kParameterRequestList, list);
  w.add_u16(Option::kMaxMessageSize, kMaxMessageSize);
}

// The options of one reply, by code: each value as the concatenation of every instance of its
// code, in the order read (RFC 3396 §7: options field, then 'file', then 'sname').
class Options {
 public:
  [[nodiscard]] bool has(Option code) const { return present_[static_cast<uint8_t>(code)]; }
  [[nodiscard]] const std::vector<uint8_t>& get(Option code) const {
    return values_[static_cast<uint8_t>(code)];
  }

  // Reads one field of options: PAD skipped, END or the field's end stops it. A field without
  // END is read to its end: RFC 2131 §4.1 asks for END, but a server that leaves it out has
  // said no less, and the lengths still bound each option.
  [[nodiscard]] std::expected<void, ReplyRefusal> read(std::span<const uint8_t> field,
                                                       const char* where, bool overload_allowed) {
    size_t at = 0;
    while (at < field.size()) {
      const auto code = static_cast<Option>(field[at]);
      if (code == Option::kEnd) break;
      if (code == Option::kPad) {
        ++at;
        continue;
      }
      if (at + 1 >= field.size() || field[at + 1] > field.size() - at - 2) {
        return refuse(ReplyError::kOptionOverrun,
                      option_name(code) + " runs past the end of the " + where);
      }
      const size_t length = field[at + 1];
      if (code == Option::kOverload && !overload_allowed) {
        return refuse(ReplyError::kOverload, option_name(code) + " in the " + where +
                                                 " (only the options field may "
                                                 "hold it)");
      }
      auto& value = values_[static_cast<uint8_t>(code)];
      value.insert(value.end(), field.begin() + static_cast<ptrdiff_t>(at + 2),
                   field.begin() + static_cast<ptrdiff_t>(at + 2 + length));
      present_.set(static_cast<uint8_t>(code));
      at += 2 + length;
    }
    return {};
  }

 private:
  std::array<std::vector<uint8_t>, 256> values_;
  std::bitset<256> present_;
};

std::expected<Options, ReplyRefusal> read_options(std::span<const uint8_t> datagram,
                                                  const Header& header) {
  Options options;
  if (auto ok = options.read(datagram.subspan(kOptionsOffset), "options field", true); !ok) {
    return std::unexpected(ok.error());
  }
  if (!options.has(Option::kOverload)) return options;
  const auto& overload = options.get(Option::kOverload);
  if (overload.size() != 1 || overload[0] < kOverloadFile || overload[0] > kOverloadBoth) {
    return refuse(ReplyError::kOverload, option_name(Option::kOverload) + " is not 1, 2 or 3");
  }
  if (overload[0] & kOverloadFile) {
    if (auto ok = options.read(header.file, "'file' field", false); !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (overload[0] & kOverloadSname) {
    if (auto ok = options.read(header.sname, "'sname' field", false); !ok) {
      return std::unexpected(ok.error());
    }
  }
  return options;
}

// The length an option the client reads must have: a multiple of `multiple` bytes up to
// `max` (lists may be longer than one option's 255 bytes when a server splits them, RFC 3396).
struct LengthRule {
  Option code;
  size_t multiple;
  size_t max;
};
constexpr size_t kList = SIZE_MAX;
constexpr std::array kLengthRules{
    LengthRule{Option::kMessageType, 1, 1}, LengthRule{Option::kServerId, 4, 4},
    LengthRule{Option::kSubnetMask, 4, 4},  LengthRule{Option::kRouter, 4, kList},
    LengthRule{Option::kDns, 4, kList},     LengthRule{Option::kLeaseTime, 4, 4},
    LengthRule{Option::kRenewalTime, 4, 4}, LengthRule{Option::kRebindingTime, 4, 4},
};

std::expected<void, ReplyRefusal> check_length(const Options& options, const LengthRule& rule) {
  if (!options.has(rule.code)) return {};
  const size_t size = options.get(rule.code).size();
  if (size == 0 || size % rule.multiple != 0 || size > rule.max) {
    const std::string want = rule.multiple == rule.max
                                 ? std::to_string(rule.max)
                                 : "a multiple of " + std::to_string(rule.multiple);
    return refuse(ReplyError::kOptionLength,
                  option_name(rule.code) + " has " + std::to_string(size) + " bytes, not " + want);
  }
  return {};
}

Ipv4Address address_at(const std::vector<uint8_t>& value, size_t index) {
  Ipv4Address a;
  std::copy_n(value.begin() + static_cast<ptrdiff_t>(4 * index), 4, a.bytes.begin());
  return a;
}

uint32_t u32_of(const std::vector<uint8_t>& value) {
  return address_at(value, 0).value();
}

// RFC 791 §2.3's classes: the mask a host assumes without option 1.
uint8_t classful_prefix(Ipv4Address a) {
  if (a.bytes[0] < 128) return 8;
  if (a.bytes[0] < 192) return 16;
  return 24;
}

// T1 and T2 as RFC 2131 §4.4.5 has them: the server's when they are in order (T1 <= T2 <=
// lease), else the defaults, so that a misconfigured timer costs an early renewal, not the
// lease. An infinite lease is never renewed.
void set_timers(Lease& lease, const Options& options) {
  if (lease.lease_seconds == Lease::kInfinite) {
    lease.t1_seconds = lease.t2_seconds = Lease::kInfinite;
    return;
  }
  const uint64_t duration = lease.lease_seconds;
  lease.t2_seconds = static_cast<uint32_t>(duration * 7 / 8);
  if (options.has(Option::kRebindingTime)) {
    const uint32_t t2 = u32_of(options.get(Option::kRebindingTime));
    if (t2 <= lease.lease_seconds) lease.t2_seconds = t2;
  }
  lease.t1_seconds = std::min(static_cast<uint32_t>(duration / 2), lease.t2_seconds);
  if (options.has(Option::kRenewalTime)) {
    const uint32_t t1 = u32_of(options.get(Option::kRenewalTime));
    if (t1 <= lease.t2_seconds) lease.t1_seconds = t1;
  }
}

std::expected<Lease, ReplyRefusal> lease_of(const Header& header, const Options& options,
                                            Ipv4Address server) {
  Lease lease;
  lease.address = header.yiaddr;
  lease.server = server;
  if (!is_unicast(lease.address)) {
    return refuse(ReplyError::kAddress,
                  "the offered address " + lease.address.text() + " is not a unicast address");
  }
  lease.prefix_length = classful_prefix(lease.address);
  if (options.has(Option::kSubnetMask)) {
    const Ipv4Address mask = address_at(options.get(Option::kSubnetMask), 0);
    const auto prefix = prefix_length_of(mask);
    if (!prefix || *prefix == 0) {
      return refuse(ReplyError::kSubnetMask,
                    option_name(Option::kSubnetMask) + " " + mask.text() +
                        (prefix ? " leaves no network" : " is not contiguous"));
    }
    lease.prefix_length = *prefix;
  }
  if (options.has(Option::kRouter)) {
    const Ipv4Address router = address_at(options.get(Option::kRouter), 0);
    if (router != Ipv4Address{}) lease.router = router;
  }
  if (options.has(Option::kDns)) {
    const auto& dns = options.get(Option::kDns);
    for (size_t i = 0; i < dns.size() / 4 && lease.dns.size() < Lease::kMaxDns; ++i) {
      lease.dns.push_back(address_at(dns, i));
    }
  }
  if (!options.has(Option::kLeaseTime) || u32_of(options.get(Option::kLeaseTime)) == 0) {
    return refuse(ReplyError::kNoLeaseTime,
                  option_name(Option::kLeaseTime) +
                      (options.has(Option::kLeaseTime) ? " is zero" : " is missing"));
  }
  lease.lease_seconds = u32_of(options.get(Option::kLeaseTime));
  set_timers(lease, options);
  return lease;
}

std::string printable(const std::vector<uint8_t>& text) {
  std::string s;
  for (uint8_t c : text) {
    if (s.size() == kMaxNakMessage) break;
    s.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?');
  }
  return s;
}

std::expected<Header, ReplyRefusal> check_header(std::span<const uint8_t> datagram, uint32_t xid,
                                                 const MacAddress& mac) {
  if (datagram.size() < kOptionsOffset) {
    return refuse(ReplyError::kTooShort,
                  "a reply of " + std::to_string(datagram.size()) + " bytes is too short for DHCP");
  }
  Header h;
  memcpy(&h, datagram.data(), sizeof(h));
  if (h.op != Op::kBootReply) return refuse(ReplyError::kNotReply, "not a BOOTREPLY");
  if (h.htype != kHtypeEthernet || h.hlen != kHlenEthernet) {
    return refuse(ReplyError::kHardwareType, "not for an Ethernet hardware address");
  }
  if (h.xid.value() != xid) return refuse(ReplyError::kOtherTransaction, "another transaction");
  if (!std::equal(mac.bytes.begin(), mac.bytes.end(), h.chaddr.begin())) {
    return refuse(ReplyError::kOtherClient, "for another client");
  }
  if (!std::equal(kMagicCookie.begin(), kMagicCookie.end(), datagram.begin() + sizeof(h))) {
    return refuse(ReplyError::kMagicCookie, "no DHCP magic cookie (a BOOTP reply?)");
  }
  return h;
}

}  // namespace

std::string Ipv4Address::text() const {
  std::string s;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i) s += '.';
    s += std::to_string(bytes[i]);
  }
  return s;
}

uint32_t Ipv4Address::value() const {
  return Be32{bytes}.value();
}

Ipv4Address Ipv4Address::of(uint32_t value) {
  Be32 b;
  b.set(value);
  return Ipv4Address{b.bytes};
}

std::string MacAddress::text() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i) s += ':';
    s += kHex[bytes[i] >> 4];
    s += kHex[bytes[i] & 0xF];
  }
  return s;
}

MessageWriter::MessageWriter(const Header& header) : bytes_(kOptionsOffset) {
  memcpy(bytes_.data(), &header, sizeof(header));
  std::copy(kMagicCookie.begin(), kMagicCookie.end(), bytes_.begin() + sizeof(header));
}

void MessageWriter::add(Option code, std::span<const uint8_t> value) {
  const size_t length = std::min(value.size(), kMaxOptionLength);
  bytes_.push_back(static_cast<uint8_t>(code));
  bytes_.push_back(static_cast<uint8_t>(length));
  bytes_.insert(bytes_.end(), value.begin(), value.begin() + static_cast<ptrdiff_t>(length));
}

void MessageWriter::add_u16(Option code, uint16_t value) {
  Be16 b;
  b.set(value);
  add(code, b.bytes);
}

void MessageWriter::add_u32(Option code, uint32_t value) {
  Be32 b;
  b.set(value);
  add(code, b.bytes);
}

std::vector<uint8_t> MessageWriter::finish() && {
  bytes_.push_back(static_cast<uint8_t>(Option::kEnd));
  if (bytes_.size() < kMinMessageSize) bytes_.resize(kMinMessageSize, 0);  // PAD
  return std::move(bytes_);
}

std::vector<uint8_t> build_discover(const ClientIdentity& client, uint32_t xid, uint16_t secs) {
  Header h = request_header(client, xid, secs);
  h.flags.set(kFlagBroadcast);  // no address yet to receive a unicast reply on (§4.1)
  MessageWriter w(h);
  w.add(Option::kMessageType, static_cast<uint8_t>(MessageType::kDiscover));
  add_client_options(w, client);
  return std::move(w).finish();
}

std::vector<uint8_t> build_selecting_request(const ClientIdentity& client, uint32_t xid,
                                             uint16_t secs, Ipv4Address offered,
                                             Ipv4Address server) {
  Header h = request_header(client, xid, secs);
  h.flags.set(kFlagBroadcast);
  MessageWriter w(h);
  w.add(Option::kMessageType, static_cast<uint8_t>(MessageType::kRequest));
  w.add(Option::kRequestedAddress, offered);
  w.add(Option::kServerId, server);
  add_client_options(w, client);
  return std::move(w).finish();
}

std::vector<uint8_t> build_renewing_request(const ClientIdentity& client, uint32_t xid,
                                            uint16_t secs, Ipv4Address leased) {
  Header h = request_header(client, xid, secs);
  h.ciaddr = leased;
  MessageWriter w(h);
  w.add(Option::kMessageType, static_cast<uint8_t>(MessageType::kRequest));
  add_client_options(w, client);
  return std::move(w).finish();
}

std::expected<Reply, ReplyRefusal> parse_reply(std::span<const uint8_t> datagram, uint32_t xid,
                                               const MacAddress& mac) {
  const auto header = check_header(datagram, xid, mac);
  if (!header) return std::unexpected(header.error());
  const auto options = read_options(datagram, *header);
  if (!options) return std::unexpected(options.error());

  for (const LengthRule& rule : kLengthRules) {
    if (auto ok = check_length(*options, rule); !ok) return std::unexpected(ok.error());
  }
  if (!options->has(Option::kMessageType)) {
    return refuse(ReplyError::kNoMessageType, option_name(Option::kMessageType) + " is missing");
  }
  Reply reply;
  reply.type = static_cast<MessageType>(options->get(Option::kMessageType)[0]);
  if (reply.type != MessageType::kOffer && reply.type != MessageType::kAck &&
      reply.type != MessageType::kNak) {
    return refuse(ReplyError::kMessageType, "message type " +
                                                std::to_string(static_cast<unsigned>(reply.type)) +
                                                " is not OFFER, ACK or NAK");
  }
  if (options->has(Option::kServerId))
    reply.server = address_at(options->get(Option::kServerId), 0);
  if (options->has(Option::kMessage)) reply.message = printable(options->get(Option::kMessage));
  if (reply.type == MessageType::kNak) return reply;

  if (!reply.server || !is_unicast(*reply.server)) {
    return refuse(ReplyError::kNoServerId,
                  option_name(Option::kServerId) +
                      (reply.server ? " " + reply.server->text() + " is not a unicast address"
                                    : " is missing"));
  }
  auto lease = lease_of(*header, *options, *reply.server);
  if (!lease) return std::unexpected(lease.error());
  reply.lease = std::move(*lease);
  return reply;
}

std::optional<uint8_t> prefix_length_of(Ipv4Address mask) {
  const uint32_t m = mask.value();
  const auto ones = static_cast<uint8_t>(std::countl_one(m));
  if (ones < 32 && (m << ones) != 0) return std::nullopt;
  return ones;
}

bool is_unicast(Ipv4Address a) {
  const uint8_t first = a.bytes[0];
  return first != 0 && first != 127 && first < 224;
}

}  // namespace rootstock::init::dhcp
