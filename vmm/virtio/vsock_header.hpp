// virtio-vsock's structures (virtio 1.2, 5.10 "Socket Device"): the feature bits (5.10.3), the
// configuration space (5.10.4 struct virtio_vsock_config), the header before every packet on the
// rx and tx queues (5.10.6 struct virtio_vsock_hdr) with its types, operations and shutdown
// flags, and the event queue's struct virtio_vsock_event (5.10.6.5).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <bit>
#include <string_view>

namespace rootstock::vmm::virtio {

// Every multi-byte field below is little-endian (5.10.4, 5.10.6) and is read as a host integer.
static_assert(std::endian::native == std::endian::little, "virtio-vsock layouts assume LE");

/// The queues (5.10.2).
enum class VsockQueue : uint16_t {
  kRx = 0,     ///< device to driver: packets for the child's sockets
  kTx = 1,     ///< driver to device: packets from them
  kEvent = 2,  ///< device to driver: events (only a transport reset exists; none is sent)
};

/// Device-specific feature bits (5.10.3). "If no feature bit is set, only stream socket type
/// is supported": STREAM is offered, SEQPACKET not.
enum class VsockFeatureBit : uint8_t {
  kStream = 0,     ///< VIRTIO_VSOCK_F_STREAM
  kSeqpacket = 1,  ///< VIRTIO_VSOCK_F_SEQPACKET (not offered)
};

/// The feature word's mask for `bit`.
[[nodiscard]] constexpr uint64_t vsock_feature_mask(VsockFeatureBit bit) {
  return uint64_t{1} << static_cast<uint8_t>(bit);
}

/// Well-known context ids (5.10.4): 0-2 are reserved, 2 is the host, 0xffffffff is "any".
inline constexpr uint64_t kVsockHostCid = 2;
inline constexpr uint64_t kVsockFirstGuestCid = 3;

/// The configuration space (5.10.4 struct virtio_vsock_config). Only the low 32 bits of
/// guest_cid are used (5.10.4).
struct VsockConfig {
  uint64_t guest_cid;
};
static_assert(sizeof(VsockConfig) == 8);
static_assert(offsetof(VsockConfig, guest_cid) == 0);

/// VsockHeader::type (5.10.6).
enum class VsockType : uint16_t {
  kStream = 1,     ///< VIRTIO_VSOCK_TYPE_STREAM
  kSeqpacket = 2,  ///< VIRTIO_VSOCK_TYPE_SEQPACKET (not negotiated here)
};

/// VsockHeader::op (5.10.6).
enum class VsockOp : uint16_t {
  kInvalid = 0,        ///< VIRTIO_VSOCK_OP_INVALID
  kRequest = 1,        ///< VIRTIO_VSOCK_OP_REQUEST: connect
  kResponse = 2,       ///< VIRTIO_VSOCK_OP_RESPONSE: the connection is accepted
  kRst = 3,            ///< VIRTIO_VSOCK_OP_RST: refused, or torn down at once
  kShutdown = 4,       ///< VIRTIO_VSOCK_OP_SHUTDOWN: flags say which directions end
  kRw = 5,             ///< VIRTIO_VSOCK_OP_RW: `len` bytes of stream data follow
  kCreditUpdate = 6,   ///< VIRTIO_VSOCK_OP_CREDIT_UPDATE: buf_alloc and fwd_cnt, nothing else
  kCreditRequest = 7,  ///< VIRTIO_VSOCK_OP_CREDIT_REQUEST: asks for a credit update
};

/// "REQUEST", "RW", … ("op 9" style words for values outside the enum come from the caller).
[[nodiscard]] std::string_view describe(VsockOp op);

/// Bits of VsockHeader::flags for VIRTIO_VSOCK_OP_SHUTDOWN (5.10.6.4).
enum class VsockShutdown : uint32_t {
  kReceive = 1,  ///< VIRTIO_VSOCK_SHUTDOWN_F_RECEIVE: the sender will receive no more
  kSend = 2,     ///< VIRTIO_VSOCK_SHUTDOWN_F_SEND: the sender will send no more
};
inline constexpr uint32_t kVsockShutdownBoth =
    static_cast<uint32_t>(VsockShutdown::kReceive) | static_cast<uint32_t>(VsockShutdown::kSend);

/// The header before every packet (5.10.6 struct virtio_vsock_hdr): packed, 44 bytes.
/// buf_alloc and fwd_cnt are the sender's receive buffer and the bytes it has taken out of it,
/// on every packet (5.10.6.3 "Flow control").
struct [[gnu::packed]] VsockHeader {
  uint64_t src_cid;
  uint64_t dst_cid;
  uint32_t src_port;
  uint32_t dst_port;
  uint32_t len;  ///< of the payload after the header (RW only)
  uint16_t type;
  uint16_t op;
  uint32_t flags;
  uint32_t buf_alloc;
  uint32_t fwd_cnt;
};
static_assert(sizeof(VsockHeader) == 44);
static_assert(offsetof(VsockHeader, src_cid) == 0);
static_assert(offsetof(VsockHeader, dst_cid) == 8);
static_assert(offsetof(VsockHeader, src_port) == 16);
static_assert(offsetof(VsockHeader, dst_port) == 20);
static_assert(offsetof(VsockHeader, len) == 24);
static_assert(offsetof(VsockHeader, type) == 28);
static_assert(offsetof(VsockHeader, op) == 30);
static_assert(offsetof(VsockHeader, flags) == 32);
static_assert(offsetof(VsockHeader, buf_alloc) == 36);
static_assert(offsetof(VsockHeader, fwd_cnt) == 40);

/// An event on the event queue (5.10.6.5 struct virtio_vsock_event).
struct VsockEvent {
  uint32_t id;  ///< VIRTIO_VSOCK_EVENT_TRANSPORT_RESET = 0
};
static_assert(sizeof(VsockEvent) == 4);

/// The most payload one packet carries either way: Linux's VIRTIO_VSOCK_MAX_PKT_BUF_SIZE, the
/// bound Firecracker keeps too. A transmitted `len` above it is refused.
inline constexpr uint32_t kVsockMaxPayload = 64 * 1024;

/// The host's side of one connection, as a key: our (host) port and the child's port.
struct VsockPorts {
  uint32_t local = 0;  ///< the host's port
  uint32_t peer = 0;   ///< the child's port
  friend bool operator==(const VsockPorts&, const VsockPorts&) = default;
  friend auto operator<=>(const VsockPorts&, const VsockPorts&) = default;
};

/// A header from the host (CID 2, `ports.local`) to the child (`guest_cid`, `ports.peer`) with
/// `op`, type STREAM and every other field zero.
[[nodiscard]] VsockHeader host_header(uint64_t guest_cid, VsockPorts ports, VsockOp op);

}  // namespace rootstock::vmm::virtio
