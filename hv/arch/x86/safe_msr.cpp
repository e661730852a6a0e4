#include "arch/x86/safe_msr.hpp"

extern "C" {
extern const uint64_t __hv_fixup_start[];
extern const uint64_t __hv_fixup_end[];
}

namespace hv::x86 {

bool safe_rdmsr(uint32_t msr, uint64_t& value) {
  uint32_t lo = 0, hi = 0, faulted = 0;
  asm volatile(
      "1: rdmsr\n"
      "2:\n"
      ".pushsection .hv_fixup, \"a\"\n"
      ".balign 8\n"
      ".quad 1b, 3f\n"
      ".popsection\n"
      ".pushsection .text.fixup, \"ax\"\n"
      "3: movl $1, %2\n"
      "   jmp 2b\n"
      ".popsection\n"
      : "=a"(lo), "=d"(hi), "+r"(faulted)
      : "c"(msr));
  value = (static_cast<uint64_t>(hi) << 32) | lo;
  return faulted == 0;
}

bool safe_wrmsr(uint32_t msr, uint64_t value) {
  uint32_t faulted = 0;
  asm volatile(
      "1: wrmsr\n"
      "2:\n"
      ".pushsection .hv_fixup, \"a\"\n"
      ".balign 8\n"
      ".quad 1b, 3f\n"
      ".popsection\n"
      ".pushsection .text.fixup, \"ax\"\n"
      "3: movl $1, %0\n"
      "   jmp 2b\n"
      ".popsection\n"
      : "+r"(faulted)
      : "c"(msr), "a"(static_cast<uint32_t>(value)), "d"(static_cast<uint32_t>(value >> 32))
      : "memory");
  return faulted == 0;
}

uint64_t find_fixup(uint64_t rip) {
  for (const uint64_t* e = __hv_fixup_start; e + 1 < __hv_fixup_end; e += 2) {
    if (e[0] == rip) return e[1];
  }
  return 0;
}

}  // namespace hv::x86
