#include "vmm/pc_devices.hpp"

#include "vmm/devices/acpi_pm.hpp"
#include "vmm/devices/cmos_rtc.hpp"
#include "vmm/devices/pit8254.hpp"
#include "vmm/devices/reset_port.hpp"
#include "vmm/devices/uart16550.hpp"

namespace rootstock::vmm {
namespace {

using PlugFn = Result<void> (*)(Board& board);

constexpr PlugFn kPcDevices[] = {
    devices::plug_com1,        // the console: 16550A at 0x3f8, ISA IRQ 4
    devices::plug_acpi_pm,     // PM1a blocks and PM timer at 0x600, the SCI, the power button
    devices::plug_pit,         // 8254 at 0x40-0x43, port 0x61
    devices::plug_reset_port,  // RST_CNT at 0xcf9
    devices::plug_cmos_rtc,    // MC146818 at 0x70-0x71
};

}  // namespace

Result<void> plug_pc_devices(Board& board) {
  for (const PlugFn plug : kPcDevices) {
    if (auto r = plug(board); !r) return r;
  }
  return {};
}

}  // namespace rootstock::vmm
