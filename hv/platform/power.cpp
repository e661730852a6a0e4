#include "platform/power.hpp"

#include "arch/x86/pit_tsc.hpp"
#include "arch/x86/port_io.hpp"
#include "console/log.hpp"

namespace hv {
namespace {

// PM1 control register (ACPI 6.5, table 4.14): SLP_TYPx in bits 12:10, SLP_EN bit 13.
constexpr unsigned kSlpTypShift = 10;
constexpr uint16_t kSlpEn = 1u << 13;
constexpr uint64_t kSettleUs = 200000;

}  // namespace

void power_off(const PowerControl& p, RunResult result) {
  log::flush();
  if (p.debug_exit_port != 0) {
    x86::outb(p.debug_exit_port, static_cast<uint8_t>(result));
    x86::delay_us(kSettleUs);  // QEMU exits at once; on anything else the port did nothing
  }
  if (p.acpi_s5) {
    x86::outw(p.pm1a_control_port,
              static_cast<uint16_t>((p.slp_typa & 7u) << kSlpTypShift) | kSlpEn);
    if (p.pm1b_control_port != 0) {
      x86::outw(p.pm1b_control_port,
                static_cast<uint16_t>((p.slp_typb & 7u) << kSlpTypShift) | kSlpEn);
    }
    x86::delay_us(kSettleUs);
    log::error("ACPI S5 did not power the machine off; halting");
  } else {
    log::error("no way to power off (no isa-debug-exit given, no ACPI S5); halting");
  }
  x86::halt_forever();
}

}  // namespace hv
