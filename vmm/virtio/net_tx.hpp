// One transmitted packet (virtio 1.2, 5.1.6.2 "Packet Transmission"): a transmitq chain's
// device-readable bytes are the NetHeader and the Ethernet frame, however the driver split
// them into buffers (2.7.4). read_tx_packet() copies them once into the device's own buffer,
// bounded, and checks the header there: the copy is what goes to the port, so the child
// cannot change a checked header afterwards.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <expected>
#include <span>

#include "vmm/virtio/descriptor_chain.hpp"
#include "vmm/virtio/guest_ram.hpp"
#include "vmm/virtio/net_header.hpp"

namespace rootstock::vmm::virtio {

/// Copies the packet in `chain` into `buffer` (at least kMaxPacketBytes) and checks it against
/// the negotiated features: its length, or why it is refused (a chain with writable buffers,
/// shorter than the header and an Ethernet header, longer than kMaxPacketBytes; a header
/// against 5.1.6.2.1). The header in `buffer` comes out with the flags the device ignores
/// cleared (check_tx_header()).
[[nodiscard]] std::expected<size_t, NetRefusal> read_tx_packet(const GuestRam& ram,
                                                               const DescriptorChain& chain,
                                                               uint64_t negotiated,
                                                               std::span<uint8_t> buffer);

}  // namespace rootstock::vmm::virtio
