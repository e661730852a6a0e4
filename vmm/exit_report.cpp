#include "vmm/exit_report.hpp"

#include <cstdio>

namespace rootstock::vmm {
namespace {

constexpr const char* kGprNames[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                       "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

std::string field(const char* name, uint64_t value) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), " %s=0x%llx", name, static_cast<unsigned long long>(value));
  return buf;
}

const char* mode_name(uint8_t cpu_mode) {
  switch (cpu_mode) {
    case RS_CPU_MODE_REAL:
      return "real";
    case RS_CPU_MODE_PROT16:
      return "prot16";
    case RS_CPU_MODE_PROT32:
      return "prot32";
    case RS_CPU_MODE_LONG64:
      return "long64";
    default:
      return "unknown";
  }
}

}  // namespace

std::string exit_report(const VpExit& exit, const rs_run_page& page) {
  std::string line = describe(exit.kind);
  line += std::string(" exit=") + exit_name(page.exit_reason);
  line += field("rip", page.regs.rip) + field("rflags", page.regs.rflags);
  line += std::string(" mode=") + mode_name(page.cpu_mode);
  line += field("cr0", page.cr0) + field("cr3", page.cr3) + field("cr4", page.cr4) +
          field("efer", page.efer);
  for (unsigned i = 0; i < 16; ++i) line += field(kGprNames[i], page.regs.gpr[i]);
  if (exit.kind == VpExit::Kind::kUnsupported || exit.kind == VpExit::Kind::kInvalidState) {
    const rs_exit_hardware& h = exit.exit.hardware;
    line += h.arch == RS_ARCH_SVM ? " svm" : h.arch == RS_ARCH_VMX ? " vmx" : " arch?";
    line += field("code", h.code) + field("info1", h.info1) + field("info2", h.info2);
  }
  return line;
}

}  // namespace rootstock::vmm
