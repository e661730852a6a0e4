#include "arch/x86/child_context.hpp"

#include "arch/x86/cpuid.hpp"
#include "arch/x86/msr.hpp"

namespace hv::x86 {
namespace {

// CPUID bits (SDM vol. 2A "CPUID"; AMD APM vol. 3, E.4.7 and E.4.17).
constexpr uint32_t kLeafXsave = 0xd, kXsaveEaxXsaves = 1u << 3;
constexpr uint32_t kLeafExtAddress = 0x80000008;
constexpr uint32_t kExtEbxIbpb = 1u << 12, kExtEbxIbrs = 1u << 14, kExtEbxStibp = 1u << 15,
                   kExtEbxSsbd = 1u << 24;
// IA32_SPEC_CTRL bits (AMD "Speculative Store Bypass Disable" and "Indirect Branch Control").
constexpr uint64_t kSpecIbrs = 1ull << 0, kSpecStibp = 1ull << 1, kSpecSsbd = 1ull << 2;
constexpr uint64_t kPredCmdIbpb = 1;

ChildContextFeatures g_features;
bool g_ready = false;

uint64_t read_dr(unsigned i) {
  uint64_t v = 0;
  switch (i) {
    case 0:
      asm volatile("mov %%dr0, %0" : "=r"(v));
      break;
    case 1:
      asm volatile("mov %%dr1, %0" : "=r"(v));
      break;
    case 2:
      asm volatile("mov %%dr2, %0" : "=r"(v));
      break;
    default:
      asm volatile("mov %%dr3, %0" : "=r"(v));
      break;
  }
  return v;
}

void write_dr(unsigned i, uint64_t v) {
  switch (i) {
    case 0:
      asm volatile("mov %0, %%dr0" ::"r"(v));
      break;
    case 1:
      asm volatile("mov %0, %%dr1" ::"r"(v));
      break;
    case 2:
      asm volatile("mov %0, %%dr2" ::"r"(v));
      break;
    default:
      asm volatile("mov %0, %%dr3" ::"r"(v));
      break;
  }
}

}  // namespace

const ChildContextFeatures& child_context_features() {
  if (!g_ready) {
    const uint32_t max_ext = cpuid(cpuid_bit::kLeafExtMax).eax;
    g_features.xsaves = (cpuid(kLeafXsave, 1).eax & kXsaveEaxXsaves) != 0;
    if (max_ext >= kLeafExtAddress) {
      const uint32_t ebx = cpuid(kLeafExtAddress).ebx;
      g_features.ibpb = (ebx & kExtEbxIbpb) != 0;
      uint64_t bits = 0;
      if ((ebx & kExtEbxIbrs) != 0) bits |= kSpecIbrs;
      if ((ebx & kExtEbxStibp) != 0) bits |= kSpecStibp;
      if ((ebx & kExtEbxSsbd) != 0) bits |= kSpecSsbd;
      g_features.spec_ctrl_bits = bits;
      g_features.spec_ctrl = bits != 0;
    }
    g_ready = true;
  }
  return g_features;
}

void load_child_context(const ChildContext& child, RootContext& root) {
  const ChildContextFeatures& f = child_context_features();
  for (unsigned i = 0; i < 4; ++i) {
    root.dr[i] = read_dr(i);
    write_dr(i, child.dr[i]);
  }
  root.tsc_aux = rdmsr(Msr::kTscAux);
  wrmsr(Msr::kTscAux, child.tsc_aux);
  if (f.xsaves) {
    root.xss = rdmsr(Msr::kXss);
    if (root.xss != 0) wrmsr(Msr::kXss, 0);
  }
  if (f.spec_ctrl) root.spec_ctrl = rdmsr(Msr::kSpecCtrl);
}

void restore_root_context(ChildContext& child, const RootContext& root) {
  const ChildContextFeatures& f = child_context_features();
  for (unsigned i = 0; i < 4; ++i) {
    child.dr[i] = read_dr(i);
    write_dr(i, root.dr[i]);
  }
  wrmsr(Msr::kTscAux, root.tsc_aux);
  if (f.xsaves && root.xss != 0) wrmsr(Msr::kXss, root.xss);
}

void clear_child_breakpoints(ChildContext& child) {
  for (unsigned i = 0; i < 4; ++i) {
    child.dr[i] = 0;
    write_dr(i, 0);
  }
}

void enter_spec_ctrl(const ChildContext& child, const RootContext& root) {
  if (child_context_features().spec_ctrl && child.spec_ctrl != root.spec_ctrl) {
    wrmsr(Msr::kSpecCtrl, child.spec_ctrl);
  }
}

void leave_spec_ctrl(const ChildContext& child, const RootContext& root) {
  if (child_context_features().spec_ctrl && child.spec_ctrl != root.spec_ctrl) {
    wrmsr(Msr::kSpecCtrl, root.spec_ctrl);
  }
}

void prediction_barrier() {
  if (child_context_features().ibpb) wrmsr(Msr::kPredCmd, kPredCmdIbpb);
}

}  // namespace hv::x86
