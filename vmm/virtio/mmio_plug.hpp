// Virtio-mmio devices on a child's board: where their register windows and interrupts go, how the
// child's kernel learns of them, and the plug function that puts a transport with its device on a
// Board (the virtio counterpart of the PC's plug functions, pc_devices.cpp).
//
// Addresses: one 4 KiB window a device from kMmioWindowBase (0xd0000000) up. A LinuxVm's RAM
// ends at 1 GiB at most (linux_vm.cpp), its ACPI tables sit in the BIOS area below 1 MiB, and
// hv emulates the I/O APIC (0xfec00000) and the LAPIC (0xfee00000) pages, so 0xd0000000 to
// 0xd0000000 + kMmioSlots * 4 KiB clashes with none of them; it is also where Firecracker puts
// its virtio-mmio windows.
//
// Interrupts: virtio-mmio's interrupt is a level (4.2.3.4: InterruptStatus stays non-zero until
// acknowledged), and Linux learns the line only as a number on its command line
// (virtio_mmio.device=4K@0xd0000000:5, drivers/virtio/virtio_mmio.c), with no trigger mode. A
// number Linux knows without any ACPI device naming it is an ISA IRQ (0-15, mapped at boot from
// the MADT); GSIs 16-23 get a Linux IRQ only when ACPI or PCI registers them. So the slots use
// the ISA IRQs a PC leaves free — 5, 6, 7, 10 and 11 (COM1 has 4, the PIT 0 on GSI 2, the SCI 9;
// 1, 3, 8, 12, 14 and 15 are avoided as the keyboard, COM2, the RTC, the mouse and the IDE
// channels Linux may probe) — each with an Interrupt Source Override in the MADT that makes it
// level-triggered, active high (GSI = IRQ), as the SCI's is: kMmioOverrides replaces the PC's
// default overrides in the child's AcpiConfig.
#pragma once

#include <stdint.h>

#include <array>
#include <memory>
#include <optional>
#include <string>

#include "vmm/acpi/acpi_builder.hpp"
#include "vmm/board.hpp"
#include "vmm/error.hpp"
#include "vmm/virtio/device.hpp"
#include "vmm/virtio/guest_ram.hpp"
#include "vmm/virtio/mmio_transport.hpp"

namespace rootstock::vmm::virtio {

/// Where one virtio-mmio transport answers: its window and its ISA IRQ (= its GSI).
struct MmioSlot {
  uint64_t base = 0;
  uint32_t irq = 0;
};

/// The first window; slot i is at kMmioWindowBase + i * 4 KiB.
inline constexpr uint64_t kMmioWindowBase = 0xd0000000;
/// The ISA IRQs of the slots, in slot order.
inline constexpr std::array<uint8_t, 5> kMmioIrqs = {5, 6, 7, 10, 11};
inline constexpr uint32_t kMmioSlots = kMmioIrqs.size();

/// Slot `index`, or nothing past the last.
[[nodiscard]] std::optional<MmioSlot> mmio_slot(uint32_t index);

/// The PC's overrides (acpi::kDefaultOverrides) and one per slot: level-triggered, active high.
inline constexpr std::array<acpi::IsaOverride, acpi::kDefaultOverrides.size() + kMmioSlots>
    kMmioOverrides = [] {
      std::array<acpi::IsaOverride, acpi::kDefaultOverrides.size() + kMmioSlots> all{};
      size_t n = 0;
      for (const acpi::IsaOverride& o : acpi::kDefaultOverrides) all[n++] = o;
      for (const uint8_t irq : kMmioIrqs) {
        all[n++] = {irq, irq, acpi::inti::kActiveHigh | acpi::inti::kLevel};
      }
      return all;
    }();

/// The kernel command line word that tells Linux of the transport at `slot`:
/// "virtio_mmio.device=4K@0xd0000000:5" (Documentation/admin-guide/kernel-parameters.txt,
/// virtio_mmio.device=<size>@<baseaddr>:<irq>). Linux needs CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES.
[[nodiscard]] std::string kernel_parameter(const MmioSlot& slot);

/// Puts a transport carrying `device` on `board` at `slot`: its window on the MMIO bus and the
/// line of its IRQ, which the MADT must make level-triggered (kMmioOverrides); its buffers are in
/// `ram`, which outlives the board. Refused: an edge-triggered IRQ, a GSI or window taken.
[[nodiscard]] Result<LockedDevice<MmioTransport>*> plug_virtio_mmio(Board& board,
                                                                    const MmioSlot& slot,
                                                                    std::unique_ptr<Device> device,
                                                                    GuestRam& ram);

}  // namespace rootstock::vmm::virtio
