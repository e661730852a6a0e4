#include "vmm/board.hpp"

#include <rootstock/acpi/madt_entries.hpp>

namespace rootstock::vmm {
namespace {
constexpr uint32_t kIsaIrqs = 16;
}

Board::Board(Wiring wiring) : wiring_(std::move(wiring)) {}

Result<pci::PciBus*> Board::enable_pci(uint64_t window_base, uint64_t window_size) {
  if (pci_) return fail("the board has a PCI bus already");
  // Made first, so that the buses never hold a handler that is gone; a refused range leaves
  // the bus half attached, and the board's assembly (and so the VM) fails.
  pci_ = std::make_unique<pci::PciBus>(window_base, window_size);
  constexpr std::string_view kName = "the PCI configuration ports";
  if (auto added = io_.add(pci::kConfigAddressPort, 1, pci_->config_ports(), kName); !added) {
    return std::unexpected(added.error());
  }
  if (auto added =
          io_.add(pci::kConfigDataPort, pci::kConfigDataPorts, pci_->config_ports(), kName);
      !added) {
    return std::unexpected(added.error());
  }
  if (auto added = mmio_.add(window_base, window_size, pci_->bar_window(), "the PCI window");
      !added) {
    return std::unexpected(added.error());
  }
  return pci_.get();
}

Result<InterruptLine*> Board::isa_line(uint32_t irq) {
  if (irq >= kIsaIrqs) return fail("board: ISA IRQ " + std::to_string(irq) + " (0 to 15 exist)");
  for (const acpi::IsaOverride& o : wiring_.platform.overrides) {
    if (o.irq != irq) continue;
    const bool level = (o.flags & rootstock::acpi::mps_inti::kTriggerMask) == acpi::inti::kLevel;
    return gsi_line(o.gsi, level ? Trigger::kLevel : Trigger::kEdge);
  }
  return gsi_line(irq, Trigger::kEdge);  // ISA's own: edge, active high
}

Result<InterruptLine*> Board::gsi_line(uint32_t gsi, Trigger trigger) {
  const acpi::AcpiConfig& p = wiring_.platform;
  if (gsi < p.ioapic_gsi_base || gsi - p.ioapic_gsi_base >= p.ioapic_pins) {
    return fail("board: GSI " + std::to_string(gsi) + " is not a pin of the I/O APIC (GSIs " +
                std::to_string(p.ioapic_gsi_base) + " to " +
                std::to_string(p.ioapic_gsi_base + p.ioapic_pins - 1) + ")");
  }
  for (const auto& line : lines_) {
    if (line->gsi() == gsi)
      return fail("board: GSI " + std::to_string(gsi) + " has a line already (one device a GSI)");
  }
  lines_.push_back(std::make_unique<InterruptLine>(gsi, trigger, *wiring_.interrupts));
  return lines_.back().get();
}

Result<void> Board::set_power_button(std::function<void()> press) {
  if (power_button_) return fail("board: a device has the power button already");
  power_button_ = std::move(press);
  return {};
}

Result<void> Board::add_console_input(std::function<void(std::string_view)> feed) {
  if (!feed) return fail("board: an empty console input");
  console_inputs_.push_back(std::move(feed));
  return {};
}

void Board::console_output(uint8_t byte) {
  std::lock_guard lock(console_mutex_);
  if (console_output_) console_output_(byte);
}

void Board::set_console_output(ConsoleFn output) {
  std::lock_guard lock(console_mutex_);
  console_output_ = std::move(output);
}

bool Board::press_power_button() {
  if (!power_button_) return false;
  power_button_();
  return true;
}

bool Board::console_input(std::string_view bytes) {
  for (const auto& feed : console_inputs_) feed(bytes);
  return !console_inputs_.empty();
}

}  // namespace rootstock::vmm
