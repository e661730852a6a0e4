#include "arch/x86/exceptions.hpp"

#include "arch/x86/descriptors.hpp"
#include "arch/x86/msr.hpp"
#include "arch/x86/safe_msr.hpp"
#include "cpu/tlb_shootdown.hpp"
#include "panic.hpp"

extern "C" const uint64_t hv_isr_table[32];

namespace hv::x86 {
namespace {

IdtGate g_idt[32];
bool g_idt_built = false;

uint64_t read_cr2() {
  uint64_t v;
  asm volatile("mov %%cr2, %0" : "=r"(v));
  return v;
}

}  // namespace

const char* vector_name(uint64_t vector) {
  static constexpr const char* kNames[32] = {
      "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS",
      "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE",  "#CP",
      "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31"};
  return vector < 32 ? kNames[vector] : "external";
}

void load_idt() {
  // The BSP builds the table before any AP starts, so no lock is needed.
  if (!g_idt_built) {
    for (unsigned v = 0; v < 32; ++v) {
      const uint64_t handler = hv_isr_table[v];
      const bool emergency = v == static_cast<unsigned>(Vector::kDoubleFault) ||
                             v == static_cast<unsigned>(Vector::kNmi) ||
                             v == static_cast<unsigned>(Vector::kMachineCheck);
      g_idt[v] = IdtGate{static_cast<uint16_t>(handler),
                         static_cast<uint16_t>(Selector::kCode64),
                         emergency ? kIstEmergency : uint8_t{0},
                         kGateInterruptPresent,
                         static_cast<uint16_t>(handler >> 16),
                         static_cast<uint32_t>(handler >> 32),
                         0};
    }
    g_idt_built = true;
  }
  const DescriptorPointer ptr{sizeof(g_idt) - 1, reinterpret_cast<uintptr_t>(&g_idt[0])};
  asm volatile("lidt %0" : : "m"(ptr) : "memory");
}

}  // namespace hv::x86

extern "C" void hv_exception(hv::x86::ExceptionFrame* frame) {
  using hv::x86::vector_name;
  // An NMI is a TLB-flush request from another CPU or the root's own (cpu/tlb_shootdown.hpp);
  // before this CPU has its per-CPU data it cannot be either, and is reported below.
  if (frame->vector == static_cast<uint64_t>(hv::x86::Vector::kNmi) &&
      hv::x86::rdmsr(hv::x86::Msr::kGsBase) != 0) {
    hv::handle_nmi(hv::this_cpu());
    return;
  }
  // A #GP at an instruction with a fixup (safe_msr.hpp) is expected: resume at the fixup.
  if (frame->vector == static_cast<uint64_t>(hv::x86::Vector::kGeneralProtection)) {
    if (const uint64_t fixup = hv::x86::find_fixup(frame->rip); fixup != 0) {
      frame->rip = fixup;
      return;
    }
  }
  const uint64_t cr2 =
      frame->vector == static_cast<uint64_t>(hv::x86::Vector::kPageFault) ? hv::x86::read_cr2() : 0;
  hv::panic_with_frame(*frame, "exception %s (vector %lu) error code 0x%lx at rip 0x%lx cr2 0x%lx",
                       vector_name(frame->vector), frame->vector, frame->error_code, frame->rip,
                       cr2);
}
