#include "cpu/per_cpu.hpp"

#include "arch/x86/cpuid.hpp"
#include "arch/x86/exceptions.hpp"
#include "arch/x86/msr.hpp"

namespace hv {

void install_per_cpu(PerCpu& cpu) {
  cpu.self = &cpu;
  cpu.tss.ist[x86::kIstEmergency - 1] = cpu.emergency_top;
  cpu.tss.rsp[0] = cpu.stack_top;
  cpu.tss.iomap_base = sizeof(x86::Tss64);  // no I/O bitmap
  x86::build_gdt(cpu.gdt, cpu.tss);
  x86::load_gdt(cpu.gdt);
  x86::load_idt();
  x86::wrmsr(x86::Msr::kGsBase, reinterpret_cast<uintptr_t>(&cpu));
  // NX in hv's and the nested page tables is a reserved bit (a fault) unless EFER.NXE is set
  // on the CPU that walks them (AMD APM vol. 2, 5.6.1 and 15.25.5).
  if (x86::nx_supported()) {
    x86::wrmsr(x86::Msr::kEfer, x86::rdmsr(x86::Msr::kEfer) | x86::efer::kNxe);
  }
}

}  // namespace hv
