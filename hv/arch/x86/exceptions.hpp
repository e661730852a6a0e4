// hv's own exception handling: every exception in hv is a bug or a hardware fault, so each one
// prints the vector, error code and registers and stops the CPU with a panic line.
#pragma once

#include <stdint.h>

namespace hv::x86 {

/// The stack frame arch/x86/isr.S builds, lowest address first.
struct ExceptionFrame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error_code;
  uint64_t rip, cs, rflags, rsp, ss;  // pushed by the CPU
};
static_assert(sizeof(ExceptionFrame) == 22 * 8);

/// Exception vectors (APM vol. 2, table 8-1).
enum class Vector : uint8_t {
  kDivide = 0,
  kDebug = 1,
  kNmi = 2,
  kBreakpoint = 3,
  kDoubleFault = 8,
  kGeneralProtection = 13,
  kPageFault = 14,
  kMachineCheck = 18,
};

/// Interrupt-stack-table slot for exceptions that must not run on a possibly broken stack
/// (#DF, NMI, #MC): IST1 in every CPU's TSS.
inline constexpr uint8_t kIstEmergency = 1;

/// Fills and loads the IDT on this CPU. The IDT is shared; the first call builds it.
void load_idt();

/// The mnemonic of an exception vector ("#PF"), for logs.
const char* vector_name(uint64_t vector);

}  // namespace hv::x86

extern "C" void hv_exception(hv::x86::ExceptionFrame* frame);
