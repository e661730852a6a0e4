#include "arch/x86/descriptors.hpp"

namespace hv::x86 {

void build_gdt(Gdt& gdt, const Tss64& tss) {
  const uint64_t base = reinterpret_cast<uintptr_t>(&tss);
  const uint64_t limit = sizeof(Tss64) - 1;
  gdt.entries[0] = 0;
  gdt.entries[1] = seg::kCode64;
  gdt.entries[2] = seg::kData;
  // A system descriptor in long mode is 16 bytes: base 63:32 in the second quadword.
  gdt.entries[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | seg::kTypeTssAvailable |
                   seg::kPresent | (((base >> 24) & 0xff) << 56);
  gdt.entries[4] = base >> 32;
}

void load_gdt(const Gdt& gdt) {
  const DescriptorPointer ptr{sizeof(gdt.entries) - 1,
                              reinterpret_cast<uintptr_t>(&gdt.entries[0])};
  asm volatile("lgdt %0" : : "m"(ptr) : "memory");
  // Reload CS through a far return, then the data segments and the task register.
  asm volatile(
      "pushq %[code]\n"
      "leaq 1f(%%rip), %%rax\n"
      "pushq %%rax\n"
      "lretq\n"
      "1:\n"
      "movl %[data], %%eax\n"
      "movl %%eax, %%ds\n"
      "movl %%eax, %%es\n"
      "movl %%eax, %%ss\n"
      "ltr %w[tss]\n"
      :
      : [code] "i"(static_cast<uint16_t>(Selector::kCode64)),
        [data] "i"(static_cast<uint16_t>(Selector::kData)),
        [tss] "r"(static_cast<uint16_t>(Selector::kTss))
      : "rax", "memory");
}

}  // namespace hv::x86
