#include "vmm/virtio/net_tx.hpp"

#include <string.h>

#include "vmm/virtio/chain_io.hpp"

namespace rootstock::vmm::virtio {

std::expected<size_t, NetRefusal> read_tx_packet(const GuestRam& ram, const DescriptorChain& chain,
                                                 uint64_t negotiated, std::span<uint8_t> buffer) {
  // 5.1.6.2: "The header and packet are added as one output descriptor": nothing to write.
  if (!chain.writable().empty()) return std::unexpected(NetRefusal::kTxWritableBuffer);
  const size_t length = chain.readable_bytes();
  if (length < sizeof(NetHeader) + kEthernetHeaderBytes) {
    return std::unexpected(NetRefusal::kTxTooShort);
  }
  if (length > kMaxPacketBytes || length > buffer.size()) {
    return std::unexpected(NetRefusal::kTxTooLong);
  }
  const auto packet = buffer.first(length);
  auto copied = read_from_chain(ram, chain, 0, packet);
  if (!copied || *copied != length) return std::unexpected(NetRefusal::kRamRefused);

  NetHeader header;
  memcpy(&header, packet.data(), sizeof(header));
  if (auto ok = check_tx_header(header, negotiated); !ok) return std::unexpected(ok.error());
  memcpy(packet.data(), &header, sizeof(header));
  return length;
}

}  // namespace rootstock::vmm::virtio
