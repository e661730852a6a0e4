#include "vmm/virtio/vsock_packet.hpp"

#include <string.h>

#include <array>

#include "vmm/virtio/chain_io.hpp"

namespace rootstock::vmm::virtio {

std::string_view describe(VsockRefusal refusal) {
  switch (refusal) {
    case VsockRefusal::kWritableBuffer:
      return "a vsock transmit chain with device-writable buffers";
    case VsockRefusal::kShortHeader:
      return "a vsock transmit chain shorter than the packet header";
    case VsockRefusal::kPayloadTooLong:
      return "a vsock packet longer than 64 KiB";
    case VsockRefusal::kPayloadCut:
      return "a vsock packet whose len runs past its chain";
    case VsockRefusal::kWrongSourceCid:
      return "a vsock packet with a source CID other than the child's";
    case VsockRefusal::kNotForHost:
      return "a vsock packet for a CID other than the host's";
    case VsockRefusal::kRamRefused:
      return "guest RAM refused a checked vsock buffer";
  }
  return "a refused vsock packet";
}

bool answers_rst(VsockRefusal refusal) {
  return refusal == VsockRefusal::kPayloadTooLong || refusal == VsockRefusal::kPayloadCut;
}

std::expected<VsockTxPacket, VsockTxRefusal> read_vsock_packet(const GuestRam& ram,
                                                               const DescriptorChain& chain,
                                                               uint64_t guest_cid,
                                                               std::span<uint8_t> payload_buffer) {
  // 5.10.6.2: a transmitted packet is device-readable only.
  if (!chain.writable().empty())
    return std::unexpected(VsockTxRefusal{VsockRefusal::kWritableBuffer});
  if (chain.readable_bytes() < sizeof(VsockHeader)) {
    return std::unexpected(VsockTxRefusal{VsockRefusal::kShortHeader});
  }
  std::array<uint8_t, sizeof(VsockHeader)> raw{};
  auto got = read_from_chain(ram, chain, 0, raw);
  if (!got || *got != raw.size()) return std::unexpected(VsockTxRefusal{VsockRefusal::kRamRefused});
  VsockTxPacket packet;
  memcpy(&packet.header, raw.data(), raw.size());
  const VsockHeader& h = packet.header;
  // Addresses first: a packet that is not the child's own, to the host, is nobody's here.
  if (h.src_cid != guest_cid)
    return std::unexpected(VsockTxRefusal{VsockRefusal::kWrongSourceCid, h});
  if (h.dst_cid != kVsockHostCid)
    return std::unexpected(VsockTxRefusal{VsockRefusal::kNotForHost, h});
  if (h.len > kVsockMaxPayload || h.len > payload_buffer.size())
    return std::unexpected(VsockTxRefusal{VsockRefusal::kPayloadTooLong, h});
  if (h.len > chain.readable_bytes() - sizeof(VsockHeader)) {
    return std::unexpected(VsockTxRefusal{VsockRefusal::kPayloadCut, h});
  }
  // Only RW carries stream data; the payload of any other operation is ignored (5.10.6.3).
  if (h.op != static_cast<uint16_t>(VsockOp::kRw) || h.len == 0) return packet;
  const auto out = payload_buffer.first(h.len);
  auto payload = read_from_chain(ram, chain, sizeof(VsockHeader), out);
  if (!payload || *payload != out.size()) {
    return std::unexpected(VsockTxRefusal{VsockRefusal::kRamRefused, h});
  }
  packet.payload = out;
  return packet;
}

}  // namespace rootstock::vmm::virtio
