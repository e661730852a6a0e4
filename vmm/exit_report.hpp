// One log line for an exit the VMM did not expect (Zircon: a failed exit handler logs the exit
// name and a register dump): the exit, the mode and control registers hv reported, RIP, RFLAGS
// and the GPRs, and for RS_EXIT_UNSUPPORTED / RS_EXIT_INVALID_STATE the raw hardware exit.
#pragma once

#include <string>

#include <rootstock/hypercall_abi.h>

#include "vmm/vp.hpp"

namespace rootstock::vmm {

/// "shutdown rip=0x… rflags=0x… mode=… cr0=0x… … rax=0x… … [svm code=0x… info1=…]".
[[nodiscard]] std::string exit_report(const VpExit& exit, const rs_run_page& page);

}  // namespace rootstock::vmm
