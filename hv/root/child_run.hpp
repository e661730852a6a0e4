// VP_RUN's guest execution on SVM (docs/hypercalls.md VP_RUN, §7): enters a child VP on the
// calling CPU from inside the root's VMMCALL exit and runs it until an exit the root must see
// or a physical interrupt, handling CPUID and the few MSRs hv emulates itself on the way.
#pragma once

#include "hypercall/dispatch.hpp"

namespace hv::root {

/// hypercall::RunVp for SVM; `context` is the calling CPU's PerCpu.
uint16_t run_child_vp(void* context, const RunTicket& ticket, LastExit& exit);

}  // namespace hv::root
