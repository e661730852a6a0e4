// CPU state that VMRUN and #VMEXIT do not switch (AMD APM vol. 2, 15.5.1 lists what they do)
// but a child can reach: DR0-DR3 (its breakpoints; the root thread's watchpoints must neither
// fire in the child nor be read by it), IA32_TSC_AUX (RDTSCP and RDPID read it without an
// intercept), IA32_XSS (XSAVES/XRSTORS, which cannot be intercepted on SVM, would save and load
// the root's supervisor states — CET shadow-stack pointers — with it) and IA32_SPEC_CTRL (the
// child's own IBRS/STIBP/SSBD, as KVM gives its guests). VP_RUN's loop swaps them in around its
// guest entries and back before it returns to the root (root/child_run.cpp).
#pragma once

#include <stdint.h>

namespace hv::x86 {

/// The features the swap depends on, read once from CPUID.
struct ChildContextFeatures {
  bool xsaves = false;          ///< IA32_XSS exists (CPUID.(0Dh,1):EAX[3])
  bool spec_ctrl = false;       ///< IA32_SPEC_CTRL exists (AMD 8000_0008h EBX IBRS/STIBP/SSBD)
  bool ibpb = false;            ///< IA32_PRED_CMD.IBPB exists (AMD 8000_0008h EBX[12])
  uint64_t spec_ctrl_bits = 0;  ///< the SPEC_CTRL bits the CPU implements
};

/// The features, read at the first call.
const ChildContextFeatures& child_context_features();

/// What a child keeps of that state while it is not on a CPU.
struct ChildContext {
  uint64_t dr[4] = {};     ///< DR0-DR3 (INIT and RESET clear them: SDM vol. 3A, table 10-1)
  uint64_t tsc_aux = 0;    ///< IA32_TSC_AUX as the child wrote it
  uint64_t spec_ctrl = 0;  ///< IA32_SPEC_CTRL as the child wrote it
};

/// The root's values while the child's are on the CPU.
struct RootContext {
  uint64_t dr[4] = {};
  uint64_t tsc_aux = 0;
  uint64_t xss = 0;
  uint64_t spec_ctrl = 0;
};

/// Saves the root's state into `root` and loads the child's (IA32_XSS becomes 0: a child has
/// no supervisor states). SPEC_CTRL is only read here; it is swapped around each entry
/// (enter_spec_ctrl/leave_spec_ctrl) so that hv itself runs with the root's.
void load_child_context(const ChildContext& child, RootContext& root);
/// Saves the child's DR0-DR3 into `child` and puts the root's state back.
void restore_root_context(ChildContext& child, const RootContext& root);
/// INIT in the child, on the CPU it runs on: DR0-DR3 are 0 again, in `child` and on the CPU.
void clear_child_breakpoints(ChildContext& child);
/// Right before VMRUN: the child's SPEC_CTRL, when it differs from the root's.
void enter_spec_ctrl(const ChildContext& child, const RootContext& root);
/// Right after #VMEXIT: the root's SPEC_CTRL again, when the child's differed.
void leave_spec_ctrl(const ChildContext& child, const RootContext& root);
/// An indirect branch prediction barrier (IBPB), where the CPU has one: branch predictions one
/// child trained are not used in another (done when a CPU enters a different child VP).
void prediction_barrier();

}  // namespace hv::x86
