// DHCPv4 messages as they travel (RFC 2131, its options RFC 2132): the requests the appliance's
// client sends for its own interface, and the servers' replies, parsed as hostile input. Any
// node on the link can send a reply, so parse_reply() refuses, with a typed reason, whatever
// is malformed or not meant for us, reads nothing outside the datagram, and hands the client a
// checked Lease. The exchange itself is in dhcp_client.hpp.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <array>
#include <chrono>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace rootstock::init::dhcp {

/// An IPv4 address in network byte order, as it stands in a message.
struct Ipv4Address {
  std::array<uint8_t, 4> bytes{};
  /// "192.0.2.10".
  [[nodiscard]] std::string text() const;
  /// The address as a number, the first byte highest.
  [[nodiscard]] uint32_t value() const;
  [[nodiscard]] static Ipv4Address of(uint32_t value);
  bool operator==(const Ipv4Address&) const = default;
};
static_assert(sizeof(Ipv4Address) == 4 && alignof(Ipv4Address) == 1);

/// 255.255.255.255, the limited broadcast address (RFC 919 §7): where a client without an
/// address sends, and where servers answer a client that asked for broadcast.
inline constexpr Ipv4Address kBroadcast{{255, 255, 255, 255}};

/// An Ethernet hardware address.
struct MacAddress {
  std::array<uint8_t, 6> bytes{};
  /// "52:54:00:12:34:56".
  [[nodiscard]] std::string text() const;
  bool operator==(const MacAddress&) const = default;
};

/// A big-endian (network byte order) field of the width of T.
template <typename T>
struct BigEndian {
  std::array<uint8_t, sizeof(T)> bytes{};
  [[nodiscard]] constexpr T value() const {
    T v = 0;
    for (uint8_t b : bytes) v = static_cast<T>(static_cast<T>(v << 8) | b);
    return v;
  }
  constexpr void set(T v) {
    for (size_t i = bytes.size(); i-- > 0; v = static_cast<T>(v >> 8)) {
      bytes[i] = static_cast<uint8_t>(v);
    }
  }
};
using Be16 = BigEndian<uint16_t>;
using Be32 = BigEndian<uint32_t>;

/// RFC 2131 §2, Table 1: 'op'.
enum class Op : uint8_t { kBootRequest = 1, kBootReply = 2 };
/// 'htype' and 'hlen' of Ethernet (RFC 1700, "Hardware Type": 1, 10Mb Ethernet).
inline constexpr uint8_t kHtypeEthernet = 1;
inline constexpr uint8_t kHlenEthernet = 6;
/// RFC 2131 §2, Figure 2: the one defined bit of 'flags'.
inline constexpr uint16_t kFlagBroadcast = 0x8000;
/// UDP ports (RFC 2131 §4.1).
inline constexpr uint16_t kServerPort = 67;
inline constexpr uint16_t kClientPort = 68;

/// The fixed part of every message (RFC 2131 §2, Figure 1 and Table 1); 'options' follows.
struct Header {
  Op op = Op::kBootRequest;
  uint8_t htype = kHtypeEthernet;
  uint8_t hlen = kHlenEthernet;
  uint8_t hops = 0;
  Be32 xid;            ///< transaction id, chosen by the client, echoed by the server
  Be16 secs;           ///< seconds since the client began acquiring or renewing
  Be16 flags;          ///< kFlagBroadcast
  Ipv4Address ciaddr;  ///< the client's address, when it has one (RENEWING, REBINDING)
  Ipv4Address yiaddr;  ///< "your" address: what the server offers or acknowledges
  Ipv4Address siaddr;  ///< the next server in bootstrap (unused here)
  Ipv4Address giaddr;  ///< the relay agent's address
  std::array<uint8_t, 16> chaddr{};  ///< the client's hardware address, hlen bytes of it
  std::array<uint8_t, 64> sname{};   ///< server host name, or options (overload, RFC 2132 §9.3)
  std::array<uint8_t, 128> file{};   ///< boot file name, or options (overload)
};
static_assert(sizeof(Header) == 236 && alignof(Header) == 1);
static_assert(offsetof(Header, htype) == 1 && offsetof(Header, hlen) == 2);
static_assert(offsetof(Header, xid) == 4 && offsetof(Header, secs) == 8);
static_assert(offsetof(Header, flags) == 10 && offsetof(Header, ciaddr) == 12);
static_assert(offsetof(Header, yiaddr) == 16 && offsetof(Header, siaddr) == 20);
static_assert(offsetof(Header, giaddr) == 24 && offsetof(Header, chaddr) == 28);
static_assert(offsetof(Header, sname) == 44 && offsetof(Header, file) == 108);

/// The first four bytes of 'options' (RFC 2131 §3, RFC 2132 §2: 99.130.83.99).
inline constexpr std::array<uint8_t, 4> kMagicCookie{99, 130, 83, 99};
/// Where the options proper begin.
inline constexpr size_t kOptionsOffset = sizeof(Header) + kMagicCookie.size();
/// The shortest message a BOOTP relay must pass (RFC 1542 §2.1: 300 bytes, RFC 951's 64-byte
/// vendor field); requests are padded to it.
inline constexpr size_t kMinMessageSize = 300;
/// The longest message the client accepts, announced as option 57: an Ethernet frame's IP
/// packet (RFC 2132 §9.10 counts the IP and UDP headers).
inline constexpr uint16_t kMaxMessageSize = 1500;

/// Option codes (RFC 2132; the section of each in its comment).
enum class Option : uint8_t {
  kPad = 0,                    ///< §3.1, a single byte
  kSubnetMask = 1,             ///< §3.3, 4 bytes
  kRouter = 3,                 ///< §3.5, n x 4 bytes, in order of preference
  kDns = 6,                    ///< §3.8, n x 4 bytes, in order of preference
  kHostName = 12,              ///< §3.14, 1 or more bytes
  kRequestedAddress = 50,      ///< §9.1, 4 bytes
  kLeaseTime = 51,             ///< §9.2, 4 bytes, seconds
  kOverload = 52,              ///< §9.3, 1 byte: 1 'file', 2 'sname', 3 both hold options
  kMessageType = 53,           ///< §9.6, 1 byte, MessageType
  kServerId = 54,              ///< §9.7, 4 bytes
  kParameterRequestList = 55,  ///< §9.8, option codes
  kMessage = 56,               ///< §9.9, text (a NAK's reason)
  kMaxMessageSize = 57,        ///< §9.10, 2 bytes, at least 576
  kRenewalTime = 58,           ///< §9.11, 4 bytes, T1
  kRebindingTime = 59,         ///< §9.12, 4 bytes, T2
  kClientId = 61,              ///< §9.14, a type byte (1: Ethernet) and the address
  kEnd = 255,                  ///< §3.2, a single byte
};

/// Option 53's values (RFC 2132 §9.6).
enum class MessageType : uint8_t {
  kDiscover = 1,
  kOffer = 2,
  kRequest = 3,
  kDecline = 4,
  kAck = 5,
  kNak = 6,
  kRelease = 7,
  kInform = 8,
};

/// Who the client is: its hardware address (also its client identifier) and the host name it
/// gives the server (omitted when empty).
struct ClientIdentity {
  MacAddress mac;
  std::string hostname;
};

/// A message under construction: the header, the cookie, options in the order added, END and
/// PAD up to kMinMessageSize. The client's requests are written with it, the tests' replies too.
class MessageWriter {
 public:
  explicit MessageWriter(const Header& header);
  /// Appends an option; a value longer than an option holds (255 bytes) is cut there.
  void add(Option code, std::span<const uint8_t> value);
  void add(Option code, uint8_t value) { add(code, std::span<const uint8_t>(&value, 1)); }
  void add(Option code, Ipv4Address value) { add(code, std::span<const uint8_t>(value.bytes)); }
  void add_u16(Option code, uint16_t value);
  void add_u32(Option code, uint32_t value);
  [[nodiscard]] std::vector<uint8_t> finish() &&;

 private:
  std::vector<uint8_t> bytes_;
};

/// DHCPDISCOVER (RFC 2131 §4.4.1, Table 5): broadcast flag, client identifier, host name,
/// parameter request list, maximum message size.
[[nodiscard]] std::vector<uint8_t> build_discover(const ClientIdentity& client, uint32_t xid,
                                                  uint16_t secs);

/// DHCPREQUEST in SELECTING (RFC 2131 §4.3.2, Table 5): ciaddr zero, the offered address as
/// option 50 and the chosen server as option 54, broadcast flag.
[[nodiscard]] std::vector<uint8_t> build_selecting_request(const ClientIdentity& client,
                                                           uint32_t xid, uint16_t secs,
                                                           Ipv4Address offered, Ipv4Address server);

/// DHCPREQUEST in RENEWING or REBINDING (RFC 2131 §4.3.2, Table 5): the leased address in
/// ciaddr, neither option 50 nor 54, no broadcast flag (the server answers ciaddr, §4.1).
[[nodiscard]] std::vector<uint8_t> build_renewing_request(const ClientIdentity& client,
                                                          uint32_t xid, uint16_t secs,
                                                          Ipv4Address leased);

/// What an OFFER or an ACK gives the client.
struct Lease {
  /// A lease time (and T1, T2) of 0xffffffff seconds never ends (RFC 2131 §3.3).
  static constexpr uint32_t kInfinite = 0xffffffff;
  static constexpr size_t kMaxDns = 3;  ///< resolv.conf's MAXNS: more would go unread

  Ipv4Address address;        ///< 'yiaddr', a unicast address
  uint8_t prefix_length = 0;  ///< 1 .. 32, from option 1 (or the address's class without it)
  std::optional<Ipv4Address> router;  ///< the first of option 3, when it is not 0.0.0.0
  std::vector<Ipv4Address> dns;       ///< option 6's first kMaxDns
  uint32_t lease_seconds = 0;         ///< option 51, at least 1
  uint32_t t1_seconds = 0;  ///< option 58, or half the lease (RFC 2131 §4.4.5); <= t2_seconds
  uint32_t t2_seconds = 0;  ///< option 59, or 7/8 of the lease; <= lease_seconds
  Ipv4Address server;       ///< option 54: whom a renewal is sent to
  /// When the REQUEST this lease answers was first sent: the lease, T1 and T2 count from it
  /// (RFC 2131 §4.4.1). The client sets it; parse_reply() leaves it at zero.
  std::chrono::steady_clock::time_point start{};
  bool operator==(const Lease&) const = default;
};

/// Why a datagram was refused.
enum class ReplyError : uint8_t {
  kTooShort,          ///< shorter than the header and the magic cookie
  kNotReply,          ///< 'op' is not BOOTREPLY
  kHardwareType,      ///< 'htype'/'hlen' are not Ethernet's
  kOtherTransaction,  ///< 'xid' is not ours
  kOtherClient,       ///< 'chaddr' is not our address
  kMagicCookie,       ///< not 99.130.83.99 (a BOOTP reply, or not DHCP at all)
  kOptionOverrun,     ///< an option's length runs past the end of its field
  kOverload,          ///< option 52 malformed, or found outside the options field
  kOptionLength,      ///< an option we read has a length its kind does not allow
  kNoMessageType,     ///< option 53 absent
  kMessageType,       ///< not OFFER, ACK or NAK
  kNoServerId,        ///< option 54 absent from an OFFER or ACK, or not a unicast address
  kAddress,           ///< 'yiaddr' of an OFFER or ACK is not a unicast address
  kSubnetMask,        ///< option 1 not contiguous, or 0.0.0.0
  kNoLeaseTime,       ///< option 51 absent from an OFFER or ACK, or zero
};

/// A refusal: its kind, and what a user reads about it.
struct ReplyRefusal {
  ReplyError error;
  std::string text;  ///< "option 1 (subnet mask) 255.0.255.0 is not contiguous"
};

/// A reply parse_reply() accepted.
struct Reply {
  MessageType type = MessageType::kNak;  ///< kOffer, kAck or kNak
  std::optional<Ipv4Address> server;     ///< option 54; always there in an OFFER or ACK
  std::optional<Lease> lease;            ///< OFFER and ACK
  std::string message;  ///< option 56 (a NAK's reason), printable ASCII only, at most 255
};

/// Parses a datagram that came to port 68: a BOOTREPLY for Ethernet with our `xid` and `mac`,
/// the magic cookie, options in bounds (concatenated when repeated, RFC 3396; 'file' and
/// 'sname' read after the options field when option 52 says so), each option the client uses
/// of the length its kind has.
[[nodiscard]] std::expected<Reply, ReplyRefusal> parse_reply(std::span<const uint8_t> datagram,
                                                             uint32_t xid, const MacAddress& mac);

/// The prefix length of a netmask, when its ones are contiguous from the top.
[[nodiscard]] std::optional<uint8_t> prefix_length_of(Ipv4Address mask);

/// Whether a server may give or be `a`: not 0.0.0.0/8, 127.0.0.0/8, nor 224.0.0.0/3
/// (multicast, reserved, broadcast), RFC 6890 §2.2.2.
[[nodiscard]] bool is_unicast(Ipv4Address a);

}  // namespace rootstock::init::dhcp
