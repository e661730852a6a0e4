// Cross-CPU TLB flushes for guest translations (docs/hypercalls.md §6: a frame leaving the
// root's or a child's nested page tables is unreachable on every CPU before the call returns).
//
// The root runs with interrupts passed through, so hv cannot use an ordinary IPI: a vector sent
// to a CPU in the root would go to Linux. hv uses NMIs instead, which every guest VMCB
// intercepts: the requester marks each other CPU's flush_request and sends it an NMI; the NMI
// reaches hv on that CPU (in host mode, at once or after the guest exit it causes), whose
// handler turns the request into must_flush (a full TLB flush at the next guest entry) and
// clears flush_request; the requester waits for every flush_request to clear. An NMI that no
// one requested was the root's: hv injects it into the root at its next entry. A CPU spinning
// in hv on a lock the requester holds still takes the NMI (GIF is set in hv's host mode), so
// the wait cannot deadlock. The same NMI kicks a CPU out of a child VP that another CPU just
// sent an interrupt (kick_cpu), and delivers the NMIs the root sends through its ICR (which hv
// intercepts), so that none of them is merged into one of hv's and lost (send_root_nmi).
#pragma once

#include "cpu/per_cpu.hpp"

namespace hv {

/// Makes every CPU drop its guest translations before it enters a guest again; returns once
/// no CPU can use a translation made before the call.
void flush_guest_tlbs_everywhere();

/// Makes CPU `index` leave the child VP it runs (an NMI exit), so that VP_RUN's loop looks at
/// the VP's interrupts again; an NMI sent while that CPU is in hv is consumed there. Does not
/// wait.
void kick_cpu(uint32_t index);

/// Sends the root on CPU `index` an NMI it asked for through its ICR (root/apic_startup.hpp):
/// injected at that CPU's next root entry, whatever other NMIs hv sends it meanwhile. Does
/// not wait.
void send_root_nmi(uint32_t index);

/// The NMI handler's part: a requested flush, kick or root NMI, or an NMI for the root.
void handle_nmi(PerCpu& cpu);

/// Before a guest entry: whether this CPU must flush every guest ASID (and forget it had to).
bool take_flush(PerCpu& cpu);

}  // namespace hv
