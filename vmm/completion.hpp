// Completing an exit (docs/hypercalls.md §7, "Completing an exit"): the device is asked, then
// the answer is written into the run page for the next HVROOT_RUN_VP to apply. Pure functions
// over a decoded exit, a handler and the page, so unit tests call them directly.
//
//   IN/OUT:  hv finishes the instruction itself: the IN value goes into exit.io.data and
//            `completion` becomes RS_RUN_COMPLETE_ADVANCE.
//   MMIO:    the VMM decodes the instruction (common/ x86 decoder), performs it against the
//            device, and writes the destination register, RFLAGS and RIP + length into `regs`
//            with RS_RUN_LOAD_REGS; `completion` stays RS_RUN_COMPLETE_NONE.
#pragma once

#include <rootstock/hypercall_abi.h>

#include "vmm/devices.hpp"
#include "vmm/error.hpp"
#include "vmm/exit.hpp"

namespace rootstock::vmm {

/// Hands an IN or OUT to `ports` and writes its completion into `page`.
[[nodiscard]] Next complete_io(const IoExit& io, PortIoHandler& ports, rs_run_page& page);

/// Decodes the instruction behind a memory exit, performs it against `mmio` and writes its
/// completion into `page`. An exit hv fetched no instruction bytes for is resumed as it is (the
/// VP re-executes the instruction; nothing reaches the device). Errors (nothing is written to
/// the page or the device): an instruction fetch from an unmapped GPA, a fetch cut short or
/// bytes the decoder refuses, and an instruction whose kind contradicts the exit's access.
[[nodiscard]] Result<Next> complete_mmio(const MemoryExit& exit, MmioHandler& mmio,
                                         rs_run_page& page);

}  // namespace rootstock::vmm
