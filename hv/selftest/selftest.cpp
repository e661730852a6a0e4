#include "selftest/selftest.hpp"

#include "arch/x86/cpu.hpp"
#include "arch/x86/cpuid.hpp"
#include "arch/x86/svm/svm_vcpu.hpp"
#include "arch/x86/svm/vmcb.hpp"
#include "console/log.hpp"
#include "mm/page_table.hpp"
#include "mm/paging_policy.hpp"
#include "selftest/guest_abi.h"
#include "selftest/script.hpp"

extern "C" {
extern const char hv_selftest_guest_start[];
extern const char hv_selftest_guest_end[];
void* memcpy(void* dst, const void* src, size_t n);
}

namespace hv::selftest {
namespace {

// The shared frames, counted: CPUs run the test at once, so the allocator's global free count
// cannot tell this CPU's leak from another CPU's allocation.
class CountingFrames {
 public:
  explicit CountingFrames(SharedFrames& frames) : frames_(frames) {}
  bool allocate_zeroed(uint64_t& phys) {
    const bool ok = frames_.allocate_zeroed(phys);
    outstanding_ += ok ? 1 : 0;
    return ok;
  }
  bool release(uint64_t phys) {
    const bool ok = frames_.release(phys);
    outstanding_ -= ok ? 1 : 0;
    return ok;
  }
  void free(uint64_t phys) { (void)release(phys); }
  void* to_pointer(uint64_t phys) { return frames_.to_pointer(phys); }
  int64_t outstanding() const { return outstanding_; }

 private:
  SharedFrames& frames_;
  int64_t outstanding_ = 0;
};

using Npt = PageTable<NptPaging, CountingFrames>;

constexpr uint64_t kPage = 4096;
// Bounds that keep a confused guest from holding a CPU forever.
constexpr unsigned kMaxExits = 64;
constexpr unsigned kMaxSpuriousExits = 1000;
// Power-on PAT (AMD APM vol. 2, 7.8.2): WB, WT, UC-, UC repeated.
constexpr uint64_t kPatReset = 0x0007040600070406ull;
constexpr uint64_t kCr0Pe = 1ull << 0;
constexpr uint64_t kCr0Et = 1ull << 4;
constexpr uint64_t kRflagsReserved1 = 1ull << 1;

GuestState flat_protected_mode() {
  using namespace svm::seg_attr;
  constexpr uint16_t kFlat32 = kCodeOrData | kPresent | kDefault32 | kGranularity;
  GuestState g;
  g.cs = {0x08, static_cast<uint16_t>(kFlat32 | kTypeCodeRx), 0xffffffff, 0};
  const Segment data{0x10, static_cast<uint16_t>(kFlat32 | kTypeDataRw), 0xffffffff, 0};
  g.ds = g.es = g.fs = g.gs = g.ss = data;
  g.tr = {0, static_cast<uint16_t>(kPresent | kTypeTss32Busy), 0x67, 0};
  g.cr0 = kCr0Pe | kCr0Et;
  g.rflags = kRflagsReserved1;
  g.rip = SELFTEST_GUEST_CODE_GPA;
  g.rsp = SELFTEST_GUEST_STACK_TOP;
  g.pat = kPatReset;
  return g;
}

// The frames one run takes, so that every path gives them all back.
struct GuestFrames {
  uint64_t vmcb = 0, code = 0, data = 0, faulted = 0;

  bool allocate(CountingFrames& f) {
    return f.allocate_zeroed(vmcb) && f.allocate_zeroed(code) && f.allocate_zeroed(data);
  }
  bool release(CountingFrames& f) {
    bool ok = true;
    const uint64_t all[] = {vmcb, code, data, faulted};
    for (uint64_t pa : all) {
      if (pa != 0) ok = f.release(pa) && ok;
    }
    return ok;
  }
};

const char* run_guest(svm::SvmVcpu& vcpu, Npt& npt, CountingFrames& frames, GuestFrames& g,
                      Script& script, unsigned& exits) {
  unsigned spurious = 0;
  for (exits = 0; exits < kMaxExits;) {
    const VcpuExit e = vcpu.run();
    if (e.kind == ExitKind::kExternalInterrupt || e.kind == ExitKind::kNmi) {
      // A physical event for the host, not the guest's doing: resume.
      if (++spurious > kMaxSpuriousExits) return "too many physical interrupts during the test";
      continue;
    }
    ++exits;
    const Action a = script.on_exit(e, vcpu.regs(), vcpu.rip());
    if (a.verdict == Action::Verdict::kFailed) {
      log::error("selftest cpu %u: step %s: %s (exit %s, code 0x%lx, rip 0x%lx, npf gpa 0x%lx)",
                 this_cpu().index, step_name(script.step()), a.failure, exit_kind_name(e.kind),
                 e.raw_code, vcpu.rip(), e.npf.gpa);
      return a.failure;
    }
    if (a.set_rip) vcpu.set_rip(a.rip);
    if (a.inject_interrupt) vcpu.inject_interrupt(a.interrupt_vector);
    if (a.inject_exception) vcpu.inject_exception(a.exception_vector, true, a.error_code);
    if (a.map_faulting_page) {
      if (!frames.allocate_zeroed(g.faulted)) return "out of frames for the faulting page";
      *static_cast<volatile uint32_t*>(frames.to_pointer(g.faulted)) = SELFTEST_NPF_PATTERN;
      if (npt.map(e.npf.gpa & ~(kPage - 1), g.faulted, kPage, PageFlags::kWritable) !=
          PagingStatus::kOk) {
        return "could not map the faulting page";
      }
    }
    if (a.verdict == Action::Verdict::kDone) return nullptr;
  }
  return "the guest did not finish within its exit budget";
}

}  // namespace

void run_on_this_cpu(PerCpu& cpu, SharedFrames& shared, const PermissionMaps& maps) {
  CountingFrames frames(shared);
  const uint64_t start = x86::rdtsc();
  Script script;
  unsigned exits = 0;
  const char* failure = nullptr;
  GuestFrames g;
  Npt npt(frames);
  if (!g.allocate(frames) || npt.init() != PagingStatus::kOk) {
    failure = "out of frames for the guest";
  } else {
    memcpy(frames.to_pointer(g.code), hv_selftest_guest_start,
           static_cast<size_t>(hv_selftest_guest_end - hv_selftest_guest_start));
    if (npt.map(SELFTEST_GUEST_CODE_GPA, g.code, kPage, PageFlags::kWritable) !=
            PagingStatus::kOk ||
        npt.map(SELFTEST_GUEST_DATA_GPA, g.data, kPage,
                x86::nx_supported() ? PageFlags::kWritable | PageFlags::kNoExecute
                                    : PageFlags::kWritable) != PagingStatus::kOk) {
      failure = "could not build the guest's nested page tables";
    } else {
      svm::SvmVcpu vcpu;
      svm::SvmVcpuConfig config;
      config.vmcb = static_cast<svm::Vmcb*>(frames.to_pointer(g.vmcb));
      config.vmcb_pa = g.vmcb;
      config.host_vmcb_pa = cpu.host_vmcb_pa;
      config.iopm_pa = maps.iopm_pa;
      config.msrpm_pa = maps.msrpm_pa;
      config.nested_cr3 = npt.root();
      config.asid = 1;
      config.intercept3 = svm::intercept3::kCpuid | svm::intercept3::kHlt | svm::intercept3::kIntr |
                          svm::intercept3::kNmi;
      vcpu.init(config);
      vcpu.set_state(flat_protected_mode());
      failure = run_guest(vcpu, npt, frames, g, script, exits);
    }
  }
  npt.destroy();
  if (!g.release(frames) && failure == nullptr) failure = "a guest frame could not be freed";
  if (failure == nullptr && frames.outstanding() != 0) {
    failure = "the test leaked frames";
  }
  const uint64_t cycles = x86::rdtsc() - start;
  cpu.selftest_passed = script.passed() + (failure == nullptr ? 1 : 0);  // +1: no leak
  cpu.selftest_failed = failure == nullptr ? 0 : 1;
  if (failure == nullptr) {
    log::info("selftest cpu %u (APIC ID %u): %u checks passed in %u exits, %lu kcycles", cpu.index,
              cpu.apic_id, cpu.selftest_passed, exits, cycles / 1000);
  } else {
    log::error("selftest cpu %u (APIC ID %u): FAILED at step %s: %s", cpu.index, cpu.apic_id,
               step_name(script.step()), failure);
  }
}

}  // namespace hv::selftest
