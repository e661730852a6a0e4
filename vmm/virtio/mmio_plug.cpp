#include "vmm/virtio/mmio_plug.hpp"

#include <stdio.h>

#include <utility>

namespace rootstock::vmm::virtio {

std::optional<MmioSlot> mmio_slot(uint32_t index) {
  if (index >= kMmioSlots) return std::nullopt;
  return MmioSlot{kMmioWindowBase + uint64_t{index} * mmio::kWindowSize, kMmioIrqs[index]};
}

std::string kernel_parameter(const MmioSlot& slot) {
  char word[64];
  snprintf(word, sizeof(word), "virtio_mmio.device=%lluK@0x%llx:%u",
           static_cast<unsigned long long>(mmio::kWindowSize / 1024),
           static_cast<unsigned long long>(slot.base), slot.irq);
  return word;
}

Result<LockedDevice<MmioTransport>*> plug_virtio_mmio(Board& board, const MmioSlot& slot,
                                                      std::unique_ptr<Device> device,
                                                      GuestRam& ram) {
  if (!device) return fail("virtio-mmio: no device");
  auto line = board.isa_line(slot.irq);
  if (!line) return std::unexpected(line.error());
  // 4.2.3.4: the interrupt stays asserted until the driver acknowledges it; an edge would lose
  // a notification that arrives while it is high.
  if ((*line)->trigger() != Trigger::kLevel) {
    return fail("virtio-mmio: ISA IRQ " + std::to_string(slot.irq) +
                " is edge-triggered in the child's MADT (give it a level override, "
                "kMmioOverrides)");
  }
  const std::string name = "virtio-mmio " + std::string(describe(device->type()));
  auto& transport = board.add_device<MmioTransport>(name, slot.base, std::move(device), ram, **line,
                                                    board.doorbells());
  if (auto r = board.add_mmio(transport, slot.base, mmio::kWindowSize); !r) {
    return std::unexpected(r.error());
  }
  return &transport;
}

}  // namespace rootstock::vmm::virtio
