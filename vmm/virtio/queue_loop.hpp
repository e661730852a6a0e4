// The loop a device runs when the driver kicks one of its queues (docs/virtio.md "How a device
// uses the queue"), for devices that answer each chain as soon as they take it: notifications
// off while the ring is polled empty, each chain served or, if malformed, returned with nothing
// written (virtio 1.2, 2.7.4), the used buffer notifications the queue asks for, and
// notifications back on with a last look for buffers that came meanwhile (2.7.10).
#pragma once

#include <stdint.h>

#include <expected>

#include "vmm/virtio/descriptor_chain.hpp"
#include "vmm/virtio/device.hpp"
#include "vmm/virtio/queue_error.hpp"
#include "vmm/virtio/split_virtqueue.hpp"

namespace rootstock::vmm::virtio {

/// Serves every chain available in `queue` (number `index` of the device, for `link`'s
/// notifications) into `chain`, whose storage is reused. `serve(const DescriptorChain&)` returns
/// the bytes it wrote into the chain; `refused(const QueueFault&)` hears of each chain that was
/// malformed. Returns the fault that broke the queue, if one did: the device then asks for a
/// reset (link.needs_reset(), 2.1.2) and leaves the queue alone.
template <typename Serve, typename Refused>
[[nodiscard]] std::expected<void, QueueFault> serve_available(SplitVirtqueue& queue, uint16_t index,
                                                              DeviceLink& link,
                                                              DescriptorChain& chain, Serve&& serve,
                                                              Refused&& refused) {
  for (;;) {
    if (auto off = queue.disable_notifications(); !off) return std::unexpected(off.error());
    for (;;) {
      auto got = queue.pop(chain);
      uint32_t written = 0;
      if (!got) {
        if (breaks_queue(got.error().error)) return std::unexpected(got.error());
        refused(got.error());
      } else if (!*got) {
        break;
      } else {
        written = serve(static_cast<const DescriptorChain&>(chain));
      }
      auto interrupt = queue.return_chain(chain, written);
      if (!interrupt) return std::unexpected(interrupt.error());
      if (*interrupt) link.used_buffers(index);
    }
    auto more = queue.enable_notifications();
    if (!more) return std::unexpected(more.error());
    if (!*more) return {};
  }
}

}  // namespace rootstock::vmm::virtio
