// virtio-net's structures and rules (virtio 1.2, 5.1 "Network Device"): the feature bits
// (5.1.3), the configuration space (5.1.4 struct virtio_net_config), and the header that
// precedes every packet on both queues (5.1.6 struct virtio_net_hdr), with the rules a
// transmitted header must follow (5.1.6.2.1) and the ones a received header is brought to
// before the driver sees it (5.1.6.4.1).
//
// The header is always the 12-byte one with num_buffers: VIRTIO_F_VERSION_1 is always
// negotiated here (5.1.6.1: only the legacy interface left num_buffers out without
// VIRTIO_NET_F_MRG_RXBUF). It is also the header a Linux tap carries with IFF_VNET_HDR and
// TUNSETVNETHDRSZ 12, so a packet is handed between the queues and the tap as it is.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <array>
#include <bit>
#include <expected>
#include <string_view>

namespace rootstock::vmm::virtio {

// Every multi-byte field below is little-endian (5.1.4, 5.1.6) and is read as a host integer.
static_assert(std::endian::native == std::endian::little, "virtio-net layouts assume LE");

/// Device-specific feature bits of virtio-net (5.1.3); those not offered are listed for names.
enum class NetFeatureBit : uint8_t {
  kCsum = 0,               ///< VIRTIO_NET_F_CSUM: the device takes partially checksummed packets
  kGuestCsum = 1,          ///< VIRTIO_NET_F_GUEST_CSUM: the driver takes them
  kCtrlGuestOffloads = 2,  ///< (not offered: no control queue)
  kMtu = 3,                ///< VIRTIO_NET_F_MTU: `mtu` is valid (offered when one is set)
  kMac = 5,                ///< VIRTIO_NET_F_MAC: `mac` in the configuration space is the address
  kGuestTso4 = 7,          ///< VIRTIO_NET_F_GUEST_TSO4: the driver takes TCPv4 segments to cut
  kGuestTso6 = 8,          ///< VIRTIO_NET_F_GUEST_TSO6
  kGuestEcn = 9,           ///< (not offered)
  kGuestUfo = 10,          ///< (not offered)
  kHostTso4 = 11,          ///< VIRTIO_NET_F_HOST_TSO4: the device cuts TCPv4 segments
  kHostTso6 = 12,          ///< VIRTIO_NET_F_HOST_TSO6
  kHostEcn = 13,           ///< (not offered)
  kHostUfo = 14,           ///< (not offered)
  kMrgRxbuf = 15,          ///< VIRTIO_NET_F_MRG_RXBUF: a received packet may span several buffers
  kStatus = 16,            ///< VIRTIO_NET_F_STATUS: `status` in the configuration space is valid
  kCtrlVq = 17,            ///< (not offered: no control queue)
  kMq = 22,                ///< (not offered: one queue pair)
};

/// The feature word's mask for `bit`.
[[nodiscard]] constexpr uint64_t net_feature_mask(NetFeatureBit bit) {
  return uint64_t{1} << static_cast<uint8_t>(bit);
}

/// The offloads carried by the header that the port can pass on (a tap with IFF_VNET_HDR can):
/// CSUM, GUEST_CSUM and TSO both ways.
inline constexpr uint64_t kNetOffloadFeatures =
    net_feature_mask(NetFeatureBit::kCsum) | net_feature_mask(NetFeatureBit::kGuestCsum) |
    net_feature_mask(NetFeatureBit::kGuestTso4) | net_feature_mask(NetFeatureBit::kGuestTso6) |
    net_feature_mask(NetFeatureBit::kHostTso4) | net_feature_mask(NetFeatureBit::kHostTso6);

/// Whether the negotiated features keep 5.1.3.1's dependencies among those offered:
/// GUEST_TSO4/6 require GUEST_CSUM, HOST_TSO4/6 require CSUM.
[[nodiscard]] bool net_features_consistent(uint64_t negotiated);

/// What the driver accepted to receive (the GUEST_* features): what the port may hand over.
struct NetOffloads {
  bool csum = false;  ///< partially checksummed packets (VIRTIO_NET_HDR_F_NEEDS_CSUM)
  bool tso4 = false;  ///< TCPv4 segmentation left undone (VIRTIO_NET_HDR_GSO_TCPV4)
  bool tso6 = false;  ///< TCPv6 (VIRTIO_NET_HDR_GSO_TCPV6)

  /// From the negotiated feature word.
  [[nodiscard]] static NetOffloads from_guest_features(uint64_t negotiated);
  friend bool operator==(const NetOffloads&, const NetOffloads&) = default;
};

/// An Ethernet address, as `mac` holds it (5.1.4).
using MacAddress = std::array<uint8_t, 6>;

/// Bits of `status` (5.1.4).
enum class NetStatus : uint16_t {
  kLinkUp = 1,    ///< VIRTIO_NET_S_LINK_UP
  kAnnounce = 2,  ///< VIRTIO_NET_S_ANNOUNCE (needs GUEST_ANNOUNCE, not offered)
};

/// The device configuration space (5.1.4 struct virtio_net_config, as of 1.2), little-endian.
/// Only `mac` (VIRTIO_NET_F_MAC), `status` (VIRTIO_NET_F_STATUS) and, when offered, `mtu`
/// (VIRTIO_NET_F_MTU) are valid here; the rest exist only with features not offered and read
/// as what they would mean.
struct NetConfig {
  MacAddress mac;
  uint16_t status;
  uint16_t max_virtqueue_pairs;  ///< with VIRTIO_NET_F_MQ or _RSS
  uint16_t mtu;                  ///< with VIRTIO_NET_F_MTU
  uint32_t speed;                ///< with VIRTIO_NET_F_SPEED_DUPLEX: Mbit/s, 0xffffffff unknown
  uint8_t duplex;                ///< the same: 0xff unknown
  uint8_t rss_max_key_size;
  uint16_t rss_max_indirection_table_length;
  uint32_t supported_hash_types;
};
static_assert(sizeof(NetConfig) == 24);
static_assert(offsetof(NetConfig, mac) == 0);
static_assert(offsetof(NetConfig, status) == 6);
static_assert(offsetof(NetConfig, max_virtqueue_pairs) == 8);
static_assert(offsetof(NetConfig, mtu) == 10);
static_assert(offsetof(NetConfig, speed) == 12);
static_assert(offsetof(NetConfig, duplex) == 16);
static_assert(offsetof(NetConfig, rss_max_key_size) == 17);
static_assert(offsetof(NetConfig, rss_max_indirection_table_length) == 18);
static_assert(offsetof(NetConfig, supported_hash_types) == 20);

/// 5.1.4: "0xffffffff for unknown speed", "0xff for unknown duplex state".
inline constexpr uint32_t kNetSpeedUnknown = 0xffffffff;
inline constexpr uint8_t kNetDuplexUnknown = 0xff;

/// Bits of NetHeader::flags (5.1.6).
enum class NetHeaderFlag : uint8_t {
  kNeedsCsum = 1,  ///< VIRTIO_NET_HDR_F_NEEDS_CSUM: csum_start/csum_offset say what to finish
  kDataValid = 2,  ///< VIRTIO_NET_HDR_F_DATA_VALID: received only, the checksum was checked
  kRscInfo = 4,    ///< VIRTIO_NET_HDR_F_RSC_INFO: received only, with RSC_EXT (not offered)
};

/// NetHeader::gso_type without the ECN bit (5.1.6).
enum class GsoType : uint8_t {
  kNone = 0,   ///< VIRTIO_NET_HDR_GSO_NONE
  kTcpV4 = 1,  ///< VIRTIO_NET_HDR_GSO_TCPV4
  kUdp = 3,    ///< VIRTIO_NET_HDR_GSO_UDP (UFO, not offered)
  kTcpV6 = 4,  ///< VIRTIO_NET_HDR_GSO_TCPV6
  kUdpL4 = 5,  ///< VIRTIO_NET_HDR_GSO_UDP_L4 (USO, not offered)
};
/// VIRTIO_NET_HDR_GSO_ECN, or'ed into gso_type (needs HOST_ECN / GUEST_ECN, not offered).
inline constexpr uint8_t kGsoEcn = 0x80;

/// The header before every packet (5.1.6 struct virtio_net_hdr, without the hash fields of
/// VIRTIO_NET_F_HASH_REPORT, which is not offered), little-endian.
struct NetHeader {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
  uint16_t num_buffers;  ///< received: how many buffers the packet spans; sent: 0, ignored
};
static_assert(sizeof(NetHeader) == 12);
static_assert(offsetof(NetHeader, flags) == 0);
static_assert(offsetof(NetHeader, gso_type) == 1);
static_assert(offsetof(NetHeader, hdr_len) == 2);
static_assert(offsetof(NetHeader, gso_size) == 4);
static_assert(offsetof(NetHeader, csum_start) == 6);
static_assert(offsetof(NetHeader, csum_offset) == 8);
static_assert(offsetof(NetHeader, num_buffers) == 10);

/// An Ethernet header (IEEE 802.3: two addresses and the EtherType): no frame is shorter.
inline constexpr size_t kEthernetHeaderBytes = 14;
/// The largest frame either way (5.1.6.3: "14 bytes of Ethernet header, plus 40 bytes of the
/// IPv6 header, plus 65535 bytes of maximum IPv6 payload"), and with its header: a packet.
inline constexpr size_t kMaxFrameBytes = 14 + 40 + 65535;
inline constexpr size_t kMaxPacketBytes = sizeof(NetHeader) + kMaxFrameBytes;

/// Why a packet or a chain is refused: the closed set the device counts and reports.
enum class NetRefusal : uint8_t {
  // A transmitted packet's chain (5.1.6.2) or header (5.1.6.2.1).
  kTxWritableBuffer,       ///< the chain has device-writable buffers
  kTxTooShort,             ///< shorter than the header and an Ethernet header
  kTxTooLong,              ///< longer than kMaxPacketBytes
  kChecksumNotNegotiated,  ///< NEEDS_CSUM without VIRTIO_NET_F_CSUM
  kGsoNotNegotiated,       ///< a gso_type whose HOST_ feature was not negotiated (or unknown)
  kGsoWithoutChecksum,     ///< gso_type other than NONE without NEEDS_CSUM
  // A receive chain (5.1.6.3.1).
  kRxReadableBuffer,  ///< the chain has device-readable buffers
  kRxTooShort,        ///< shorter than the header (a buffer MUST hold at least that much)
  kRxMalformed,       ///< the queue refused the chain itself (descriptor_chain.hpp)
  // A packet from the port.
  kPortTooShort,           ///< shorter than the header and an Ethernet header
  kPortTooLong,            ///< longer than kMaxPacketBytes (it may have been cut)
  kPortOffloadUnexpected,  ///< an offload the driver did not accept (NEEDS_CSUM, a gso_type)
  kRxTooLarge,             ///< larger than the receive buffers the driver gave could hold
  kRamRefused,             ///< guest RAM refused a checked buffer (its memory map changed)
};

/// One phrase for a log ("a transmit chain with device-writable buffers").
[[nodiscard]] std::string_view describe(NetRefusal refusal);
/// Whether the refusal is a drop (the packet was well-formed but could not go through) rather
/// than an error (someone broke a rule).
[[nodiscard]] bool is_drop(NetRefusal refusal);

/// Checks a header the driver sent against 5.1.6.2.1 and the negotiated features, and clears
/// the flags the device ignores (5.1.6.2.2: "MUST ignore flag bits that it does not recognize";
/// DATA_VALID and RSC_INFO are the driver's to never set) so the port never acts on them.
[[nodiscard]] std::expected<void, NetRefusal> check_tx_header(NetHeader& header,
                                                              uint64_t negotiated);
/// Brings a header the port received to what the driver may see (5.1.6.4.1): flags zero without
/// GUEST_CSUM, only the flags it defines otherwise, num_buffers zero (the device sets it);
/// refused: NEEDS_CSUM without GUEST_CSUM (the packet's checksum is not done), a gso_type the
/// driver did not accept.
[[nodiscard]] std::expected<void, NetRefusal> fit_rx_header(NetHeader& header, uint64_t negotiated);

}  // namespace rootstock::vmm::virtio
