// The device-independent feature bits a split virtqueue depends on (virtio 1.2, 6 "Reserved
// Feature Bits"). The transports will negotiate the rest (VIRTIO_F_VERSION_1, ...); the queue
// only needs to know which of these two the driver accepted.
#pragma once

#include <stdint.h>

namespace rootstock::vmm::virtio {

/// Bit numbers in the 64-bit feature word.
enum class FeatureBit : uint8_t {
  kIndirectDesc = 28,  ///< VIRTIO_F_INDIRECT_DESC: descriptors may refer to tables (2.7.5.3)
  kEventIdx = 29,      ///< VIRTIO_F_EVENT_IDX: used_event and avail_event (2.7.7, 2.7.10)
};

/// The feature word's mask for `bit`.
[[nodiscard]] constexpr uint64_t feature_mask(FeatureBit bit) {
  return uint64_t{1} << static_cast<uint8_t>(bit);
}

/// What a split virtqueue does differently by the features the driver accepted.
struct QueueFeatures {
  bool indirect_desc = false;
  bool event_idx = false;

  /// From the negotiated feature word (the features the driver wrote back and the device kept).
  [[nodiscard]] static constexpr QueueFeatures from_negotiated(uint64_t negotiated) {
    return {(negotiated & feature_mask(FeatureBit::kIndirectDesc)) != 0,
            (negotiated & feature_mask(FeatureBit::kEventIdx)) != 0};
  }
};

}  // namespace rootstock::vmm::virtio
