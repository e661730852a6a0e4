// A guest exit, decoded once from the architecture's exit record (the SVM VMCB today, the VMX
// VMCS later) into plain, arch-neutral data that the handlers above take as input.
#pragma once

#include <stdint.h>

namespace hv {

/// Why the guest stopped running.
enum class ExitKind : uint8_t {
  kCpuid,
  kIo,
  kMsrRead,
  kMsrWrite,
  kHypercall,  ///< VMMCALL / VMCALL
  kHlt,
  kPause,              ///< a PAUSE loop (the filter ran out), or any PAUSE when hv asked for all
  kNestedPageFault,    ///< a guest-physical access the nested page tables did not allow
  kException,          ///< an intercepted exception in the guest
  kExternalInterrupt,  ///< a physical interrupt arrived while the guest ran
  kInterruptWindow,    ///< the guest can take a virtual interrupt now (SVM VINTR)
  kNmi,
  kInit,
  kShutdown,      ///< triple fault or shutdown condition
  kInvalidState,  ///< the CPU refused to enter: guest state inconsistent
  kUnhandled,     ///< an exit code hv does not decode
};

/// The exit kind's name, for logs and counters.
const char* exit_kind_name(ExitKind kind);

/// An I/O port instruction (AMD APM vol. 2, 15.10.2).
struct IoAccess {
  uint16_t port = 0;
  uint8_t size = 0;  ///< 1, 2 or 4 bytes
  bool in = false;
  bool string = false;
  bool rep = false;
  uint64_t next_rip = 0;  ///< the instruction after it (SVM reports it even without NRIPS)
};

/// A nested page fault (AMD APM vol. 2, 15.25.6).
struct NestedFault {
  uint64_t gpa = 0;
  bool present = false;  ///< a translation existed but denied the access
  bool write = false;
  bool execute = false;
};

/// An exception the guest raised and hv intercepted.
struct ExceptionInfo {
  uint8_t vector = 0;
  uint32_t error_code = 0;
  uint64_t fault_address = 0;  ///< #PF only: the linear address
};

/// One decoded exit. Only the member that belongs to `kind` is meaningful.
struct VcpuExit {
  ExitKind kind = ExitKind::kUnhandled;
  uint64_t raw_code = 0;       ///< the architecture's own exit code, for logs
  uint64_t pending_event = 0;  ///< an event whose delivery the exit interrupted (re-inject it)
  IoAccess io;
  NestedFault npf;
  ExceptionInfo exception;
};

/// The guest's general-purpose registers (RSP lives with the rest of the guest state).
struct GuestRegisters {
  uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

}  // namespace hv
