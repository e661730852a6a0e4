// What VP_RUN's guest loop on SVM (root/child_run.cpp) shares with its exit handlers for the
// child's interrupt controller (root/child_interrupt_exits.cpp): one run of one VP on one CPU.
#pragma once

#include <stdint.h>

#include "arch/x86/svm/vmcb.hpp"
#include "cpu/per_cpu.hpp"
#include "hypercall/dispatch.hpp"

namespace hv::root {

/// RDMSR and WRMSR (0F 32, 0F 30): the length an emulated MSR access skips.
inline constexpr uint64_t kLenMsr = 2;

/// One VP_RUN in progress.
struct Run {
  PerCpu& cpu;
  const RunTicket& ticket;
  svm::Vmcb& vmcb;
  LastExit& exit;
  /// VPs outside the guest loop that this VP's IPIs reached: the root must wake them, so the
  /// loop returns to it soon (rs_run_page.wake_vps).
  uint64_t wake = 0;
  /// The timer deadline the root armed for this VP: the one the last return published.
  uint64_t armed_deadline = 0;
  uint64_t entry_vtpr = 0;        ///< V_TPR as the last entry set it (the child's CR8 since)
  bool window_requested = false;  ///< V_IRQ and the VINTR intercept are hv's, for a window
  /// The LAPIC vector this entry offered through V_IRQ (the CPU delivers it once the child can
  /// take it); whether it did is read from V_IRQ at the exit (after_exit()).
  bool vector_offered = false;
  uint8_t offered_vector = 0;
  bool spun = false;  ///< the run ends for a PAUSE loop (RS_EXIT_PAUSE when the root asked)
  /// This run's exits by RS_STAT_*, added to the run page's exit_stats when it ends (hv never
  /// reads the page's counts back: the root may write there).
  uint64_t stats[RS_STAT_COUNT] = {};
};

/// Up to 15 bytes at the child's CS:RIP through its paging and nested tables; the count read.
uint8_t fetch_instruction(const Run& r, uint8_t (&bytes)[16]);

/// #GP(0) at the child's next entry: the faulting instruction does not complete.
void inject_gp(Run& r);
/// #UD at the child's next entry.
void inject_ud(Run& r);

/// A MOV to CR4 (child_instruction_exits.cpp): done when arch/x86/cr4.hpp allows it, else #GP.
void handle_cr4_write(Run& r);
/// RDPMC: every counter reads 0 (the host's are not the child's).
void handle_rdpmc(Run& r);
/// An SVM instruction the child ran (VMRUN, VMLOAD, VMSAVE, STGI, CLGI, SKINIT, INVLPGA): #UD,
/// true; false for any other exit code.
bool handle_svm_instruction(Run& r, uint64_t exit_code);

/// Completes an instruction hv emulated: RIP past it, and the interrupt shadow of an STI or
/// MOV SS before it over (it covers one instruction: SDM vol. 3A, 6.8.3; APM vol. 2, 15.21.5),
/// so an interrupt can be injected at the next entry without a window.
void skip_instruction(Run& r, uint64_t length);

/// What the loop does before the next entry (prepare_entry()).
enum class EntryDecision : uint8_t {
  kEnter,        ///< enter the child (events injected or a window requested)
  kWaitForSipi,  ///< the VP waits for a STARTUP IPI: return to the root (RS_EXIT_HALT)
  kRearmTimer,   ///< the timer now fires before what the root armed: return so it re-arms
};

/// Joins the VP to the guest loop on this CPU: from now on a kick reaches it here.
void enter_guest_loop(Run& r);
/// Under the irq lock, with GIF clear (so a kick sent after it is not lost): applies INIT and
/// STARTUP, fires the timer, syncs the TPR and injects what the VP can take now or asks for
/// an interrupt window.
EntryDecision prepare_entry(Run& r);
/// Right after an exit, before it is handled: gives back the window hv asked for, moves an
/// offered vector the child took from IRR to ISR (or withdraws it), and queues the event whose
/// delivery the exit interrupted for the next entry.
void after_exit(Run& r);
/// An IRET intercept (set while an injected NMI blocks the next): NMIs are unblocked. The exit
/// comes before the IRET executes, so a pending NMI is delivered at the IRET itself, one
/// instruction early — where Linux's NMI entry expects a nested NMI after an exception's IRET
/// inside its handler has unblocked NMIs, and repeats its handler.
void end_nmi_blocking(Run& r);
/// A HLT exit: true when the VP has something to take now (the loop goes on); otherwise the
/// VP leaves the loop (leave_guest_loop()) and the run page says what can end the halt.
bool halt_continues(Run& r);
/// Leaves the guest loop: publishes the timer deadline and the VPs to wake in the run page.
void leave_guest_loop(Run& r);

/// RDMSR/WRMSR of an MSR the child's LAPIC owns (VirtualLapic::owns_msr).
void handle_lapic_msr(Run& r, uint32_t msr, bool write);
/// A nested page fault on the child's xAPIC page or I/O APIC window: emulated, true; any other
/// GPA: false (the root's).
bool handle_interrupt_mmio(Run& r, uint64_t gpa);
/// A nested page fault that is a plain store to one of the partition's doorbells: completed,
/// the run page holds RS_EXIT_DOORBELL, true (child_doorbell_exits.cpp); false otherwise.
bool ring_doorbell(Run& r, const NestedFault& fault);

}  // namespace hv::root
