#include "vmm/virtio/net_header.hpp"

namespace rootstock::vmm::virtio {
namespace {

bool has(uint64_t negotiated, NetFeatureBit bit) {
  return (negotiated & net_feature_mask(bit)) != 0;
}

constexpr uint8_t flag(NetHeaderFlag f) {
  return static_cast<uint8_t>(f);
}

}  // namespace

bool net_features_consistent(uint64_t negotiated) {
  const bool guest_tso =
      has(negotiated, NetFeatureBit::kGuestTso4) || has(negotiated, NetFeatureBit::kGuestTso6);
  const bool host_tso =
      has(negotiated, NetFeatureBit::kHostTso4) || has(negotiated, NetFeatureBit::kHostTso6);
  return (!guest_tso || has(negotiated, NetFeatureBit::kGuestCsum)) &&
         (!host_tso || has(negotiated, NetFeatureBit::kCsum));
}

NetOffloads NetOffloads::from_guest_features(uint64_t negotiated) {
  return {has(negotiated, NetFeatureBit::kGuestCsum), has(negotiated, NetFeatureBit::kGuestTso4),
          has(negotiated, NetFeatureBit::kGuestTso6)};
}

std::string_view describe(NetRefusal refusal) {
  switch (refusal) {
    case NetRefusal::kTxWritableBuffer:
      return "a transmit chain with device-writable buffers";
    case NetRefusal::kTxTooShort:
      return "a transmitted packet shorter than its header and an Ethernet header";
    case NetRefusal::kTxTooLong:
      return "a transmitted packet longer than 64 KiB and its headers";
    case NetRefusal::kChecksumNotNegotiated:
      return "a transmitted packet asks for a checksum without VIRTIO_NET_F_CSUM";
    case NetRefusal::kGsoNotNegotiated:
      return "a transmitted packet asks for a segmentation that was not negotiated";
    case NetRefusal::kGsoWithoutChecksum:
      return "a transmitted packet asks for segmentation without NEEDS_CSUM";
    case NetRefusal::kRxReadableBuffer:
      return "a receive chain with device-readable buffers";
    case NetRefusal::kRxTooShort:
      return "a receive chain shorter than the virtio-net header";
    case NetRefusal::kRxMalformed:
      return "a malformed receive chain";
    case NetRefusal::kPortTooShort:
      return "a packet from the port shorter than its header and an Ethernet header";
    case NetRefusal::kPortTooLong:
      return "a packet from the port longer than 64 KiB and its headers";
    case NetRefusal::kPortOffloadUnexpected:
      return "a packet from the port with an offload the driver did not accept";
    case NetRefusal::kRxTooLarge:
      return "a packet larger than the receive buffers could hold";
    case NetRefusal::kRamRefused:
      return "guest RAM refused a checked buffer";
  }
  return "an unknown refusal";
}

bool is_drop(NetRefusal refusal) {
  return refusal == NetRefusal::kTxTooLong || refusal == NetRefusal::kPortTooLong ||
         refusal == NetRefusal::kRxTooLarge;
}

std::expected<void, NetRefusal> check_tx_header(NetHeader& header, uint64_t negotiated) {
  header.flags &= flag(NetHeaderFlag::kNeedsCsum);
  const bool needs_csum = header.flags != 0;
  if (needs_csum && !has(negotiated, NetFeatureBit::kCsum)) {
    return std::unexpected(NetRefusal::kChecksumNotNegotiated);
  }
  switch (static_cast<GsoType>(header.gso_type)) {
    case GsoType::kNone:
      return {};
    case GsoType::kTcpV4:
      if (!has(negotiated, NetFeatureBit::kHostTso4)) break;
      if (!needs_csum) return std::unexpected(NetRefusal::kGsoWithoutChecksum);
      return {};
    case GsoType::kTcpV6:
      if (!has(negotiated, NetFeatureBit::kHostTso6)) break;
      if (!needs_csum) return std::unexpected(NetRefusal::kGsoWithoutChecksum);
      return {};
    case GsoType::kUdp:
    case GsoType::kUdpL4:
      break;
  }
  // UFO, USO, ECN (gso_type with kGsoEcn set) and values the spec does not define.
  return std::unexpected(NetRefusal::kGsoNotNegotiated);
}

std::expected<void, NetRefusal> fit_rx_header(NetHeader& header, uint64_t negotiated) {
  const NetOffloads accepted = NetOffloads::from_guest_features(negotiated);
  header.num_buffers = 0;
  if (!accepted.csum) {
    // A packet whose checksum is left to the driver cannot become a checksummed one here.
    if ((header.flags & flag(NetHeaderFlag::kNeedsCsum)) != 0) {
      return std::unexpected(NetRefusal::kPortOffloadUnexpected);
    }
    header.flags = 0;
  } else {
    header.flags &= flag(NetHeaderFlag::kNeedsCsum) | flag(NetHeaderFlag::kDataValid);
  }
  switch (static_cast<GsoType>(header.gso_type)) {
    case GsoType::kNone:
      return {};
    case GsoType::kTcpV4:
      if (accepted.tso4) return {};
      break;
    case GsoType::kTcpV6:
      if (accepted.tso6) return {};
      break;
    case GsoType::kUdp:
    case GsoType::kUdpL4:
      break;
  }
  return std::unexpected(NetRefusal::kPortOffloadUnexpected);
}

}  // namespace rootstock::vmm::virtio
