// A packet the child transmitted on virtio-vsock's tx queue (virtio 1.2, 5.10.6.2 "Device
// Operation: Sending and Receiving Packets"), read out of its chain once and checked: the
// header and, for RW, its payload. Every field is the child's and hostile: a chain with
// device-writable buffers or shorter than the header, a `len` past the chain or past
// kVsockMaxPayload, a source CID other than the child's (5.10.6.2.1: "The device MUST NOT
// accept packets with a src_cid that is not the guest's CID"), a destination other than the
// host (the only peer here) are refused before anything acts on them.
#pragma once

#include <stdint.h>

#include <expected>
#include <span>
#include <string_view>

#include "vmm/virtio/descriptor_chain.hpp"
#include "vmm/virtio/guest_ram.hpp"
#include "vmm/virtio/vsock_header.hpp"

namespace rootstock::vmm::virtio {

/// Why a transmitted chain is refused: the closed set the device counts and reports.
enum class VsockRefusal : uint8_t {
  kWritableBuffer,  ///< the chain has device-writable buffers
  kShortHeader,     ///< fewer readable bytes than the header
  kPayloadTooLong,  ///< `len` above kVsockMaxPayload
  kPayloadCut,      ///< `len` past the chain's readable bytes
  kWrongSourceCid,  ///< `src_cid` is not the child's
  kNotForHost,      ///< `dst_cid` is not the host's (2)
  kRamRefused,      ///< guest RAM refused a checked buffer (its memory map changed)
};

/// One phrase for a log ("a vsock packet whose len runs past its chain").
[[nodiscard]] std::string_view describe(VsockRefusal refusal);

/// Whether the refused packet's header is intact enough to answer with an RST to its sender
/// (its length was wrong): the connection has lost bytes and cannot go on. The others are
/// dropped without a word, as a packet for another machine would be.
[[nodiscard]] bool answers_rst(VsockRefusal refusal);

/// A checked packet: its header, and its payload (RW only; empty otherwise) in the caller's
/// buffer.
struct VsockTxPacket {
  VsockHeader header{};
  std::span<const uint8_t> payload;
};

/// A refusal, with the header when it was read (for answers_rst()).
struct VsockTxRefusal {
  VsockRefusal reason;
  VsockHeader header{};
};

/// Reads the packet in `chain` from the child `guest_cid`, its RW payload into `payload_buffer`
/// (at least kVsockMaxPayload bytes).
[[nodiscard]] std::expected<VsockTxPacket, VsockTxRefusal> read_vsock_packet(
    const GuestRam& ram, const DescriptorChain& chain, uint64_t guest_cid,
    std::span<uint8_t> payload_buffer);

}  // namespace rootstock::vmm::virtio
