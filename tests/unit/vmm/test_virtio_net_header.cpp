// virtio-net's header rules (vmm/virtio/net_header.hpp, virtio 1.2 5.1.3.1, 5.1.6.2.1,
// 5.1.6.4.1) and the tap's offload word (tap_port.hpp), without a device: which transmitted
// headers pass and what is cleared, how a received header is brought to the driver's features,
// and which features may be negotiated together.
#include <linux/if_tun.h>

#include <catch2/catch_test_macros.hpp>

#include "vmm/virtio/net_header.hpp"
#include "vmm/virtio/tap_port.hpp"

using namespace rootstock::vmm::virtio;

namespace {

constexpr uint8_t kNeedsCsum = static_cast<uint8_t>(NetHeaderFlag::kNeedsCsum);
constexpr uint8_t kDataValid = static_cast<uint8_t>(NetHeaderFlag::kDataValid);
constexpr uint8_t kRscInfo = static_cast<uint8_t>(NetHeaderFlag::kRscInfo);

uint64_t features(std::initializer_list<NetFeatureBit> bits) {
  uint64_t word = 0;
  for (NetFeatureBit bit : bits) word |= net_feature_mask(bit);
  return word;
}

NetHeader header(uint8_t flags, GsoType gso = GsoType::kNone) {
  NetHeader h{};
  h.flags = flags;
  h.gso_type = static_cast<uint8_t>(gso);
  return h;
}

}  // namespace

TEST_CASE("virtio net header: transmitted headers against the negotiated features",
          "[virtio][net]") {
  const uint64_t none = 0;
  const uint64_t csum = features({NetFeatureBit::kCsum});
  const uint64_t tso4 = features({NetFeatureBit::kCsum, NetFeatureBit::kHostTso4});
  const uint64_t tso6 = features({NetFeatureBit::kCsum, NetFeatureBit::kHostTso6});

  NetHeader h = header(0);
  CHECK(check_tx_header(h, none));
  // Flags the device does not act on are cleared (5.1.6.2.2), whatever was negotiated.
  h = header(kDataValid | kRscInfo | 0xf0);
  CHECK(check_tx_header(h, none));
  CHECK(h.flags == 0);
  h = header(kNeedsCsum | kDataValid);
  CHECK(check_tx_header(h, csum));
  CHECK(h.flags == kNeedsCsum);
  h = header(kNeedsCsum);
  CHECK(check_tx_header(h, none).error() == NetRefusal::kChecksumNotNegotiated);

  h = header(kNeedsCsum, GsoType::kTcpV4);
  CHECK(check_tx_header(h, tso4));
  h = header(kNeedsCsum, GsoType::kTcpV4);
  CHECK(check_tx_header(h, tso6).error() == NetRefusal::kGsoNotNegotiated);
  h = header(kNeedsCsum, GsoType::kTcpV6);
  CHECK(check_tx_header(h, tso6));
  h = header(0, GsoType::kTcpV6);
  CHECK(check_tx_header(h, tso6).error() == NetRefusal::kGsoWithoutChecksum);
  for (uint8_t gso : {uint8_t{3}, uint8_t{5}, uint8_t{2}, uint8_t{0x81}, uint8_t{0xff}}) {
    h = header(kNeedsCsum);
    h.gso_type = gso;
    CHECK(check_tx_header(h, tso4 | tso6).error() == NetRefusal::kGsoNotNegotiated);
  }
}

TEST_CASE("virtio net header: received headers brought to what the driver accepted",
          "[virtio][net]") {
  const uint64_t guest_csum = features({NetFeatureBit::kGuestCsum});
  const uint64_t guest_tso =
      features({NetFeatureBit::kGuestCsum, NetFeatureBit::kGuestTso4, NetFeatureBit::kGuestTso6});

  NetHeader h = header(kDataValid | kRscInfo);
  h.num_buffers = 7;
  CHECK(fit_rx_header(h, 0));
  CHECK(h.flags == 0);  // 5.1.6.4.1: zero without GUEST_CSUM
  CHECK(h.num_buffers == 0);
  h = header(kNeedsCsum);
  CHECK(fit_rx_header(h, 0).error() == NetRefusal::kPortOffloadUnexpected);
  h = header(kNeedsCsum | kDataValid | kRscInfo);
  CHECK(fit_rx_header(h, guest_csum));
  CHECK(h.flags == (kNeedsCsum | kDataValid));

  h = header(kNeedsCsum, GsoType::kTcpV4);
  CHECK(fit_rx_header(h, guest_csum).error() == NetRefusal::kPortOffloadUnexpected);
  h = header(kNeedsCsum, GsoType::kTcpV4);
  CHECK(fit_rx_header(h, guest_tso));
  h = header(kNeedsCsum, GsoType::kTcpV6);
  CHECK(fit_rx_header(h, guest_tso));
  h = header(kNeedsCsum, GsoType::kUdp);
  CHECK(fit_rx_header(h, guest_tso).error() == NetRefusal::kPortOffloadUnexpected);
  h = header(kNeedsCsum);
  h.gso_type = static_cast<uint8_t>(GsoType::kTcpV4) | kGsoEcn;
  CHECK(fit_rx_header(h, guest_tso).error() == NetRefusal::kPortOffloadUnexpected);
}

TEST_CASE("virtio net header: feature dependencies and the offloads they give", "[virtio][net]") {
  CHECK(net_features_consistent(0));
  CHECK(net_features_consistent(kNetOffloadFeatures));
  CHECK_FALSE(net_features_consistent(features({NetFeatureBit::kGuestTso4})));
  CHECK_FALSE(net_features_consistent(features({NetFeatureBit::kGuestTso6})));
  CHECK_FALSE(net_features_consistent(features({NetFeatureBit::kHostTso4})));
  CHECK_FALSE(net_features_consistent(features({NetFeatureBit::kCsum, NetFeatureBit::kGuestTso4})));
  CHECK(net_features_consistent(features({NetFeatureBit::kCsum, NetFeatureBit::kHostTso6})));

  CHECK(NetOffloads::from_guest_features(kNetOffloadFeatures) == NetOffloads{true, true, true});
  // The HOST_ features are what the device takes, not what it hands over.
  CHECK(NetOffloads::from_guest_features(features({NetFeatureBit::kCsum, NetFeatureBit::kHostTso4,
                                                   NetFeatureBit::kHostTso6})) == NetOffloads{});
  CHECK(tun_offload_flags({}) == 0);
  CHECK(tun_offload_flags({true, false, false}) == TUN_F_CSUM);
  CHECK(tun_offload_flags({true, true, true}) == (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6));
  CHECK(tun_offload_flags({false, true, true}) == 0);  // no TSO without the checksum offload
}

TEST_CASE("virtio net header: every refusal has words, and drops are told from errors",
          "[virtio][net]") {
  for (uint8_t r = 0; r <= static_cast<uint8_t>(NetRefusal::kRamRefused); ++r) {
    CHECK(describe(static_cast<NetRefusal>(r)) != "an unknown refusal");
  }
  CHECK(is_drop(NetRefusal::kTxTooLong));
  CHECK(is_drop(NetRefusal::kRxTooLarge));
  CHECK(is_drop(NetRefusal::kPortTooLong));
  CHECK_FALSE(is_drop(NetRefusal::kTxWritableBuffer));
  CHECK_FALSE(is_drop(NetRefusal::kRxTooShort));
}
