// Ending hv's run: power-off through QEMU's isa-debug-exit (when hv.debug_exit= names it, so
// that a test sees hv's result as QEMU's exit status) and then ACPI S5 (ACPI 6.5, 7.4.2 \_S5
// and 4.8.3.2.1 PM1 control: SLP_TYPx and SLP_EN).
#pragma once

#include <stdint.h>

namespace hv {

/// The result hv reports through isa-debug-exit; QEMU exits with status 2 * value + 1.
enum class RunResult : uint8_t {
  kPassed = 0,     ///< self-tests passed, or an orderly power-off
  kFailed = 1,     ///< a self-test failed
  kCannotRun = 2,  ///< hv cannot run on this machine (no SVM, VMX not implemented ...)
};

/// How this machine powers off.
struct PowerControl {
  uint16_t debug_exit_port = 0;  ///< 0: none
  bool acpi_s5 = false;          ///< the fields below come from the FADT and \_S5
  uint16_t pm1a_control_port = 0;
  uint16_t pm1b_control_port = 0;  ///< 0: none
  uint8_t slp_typa = 0;
  uint8_t slp_typb = 0;
};

/// Powers the machine off; if nothing the platform offers works, says so and halts.
[[noreturn]] void power_off(const PowerControl& power, RunResult result);

}  // namespace hv
