// The rules that keep the root and the children away from hv's own state: which
// IA32_APIC_BASE writes the root may make (hv sends its NMIs through that APIC), and which CR4
// writes a child may make (some bits reach state VMRUN does not switch), and the child MSRs hv
// answers without state (a distribution kernel's boot reads them).
#include <catch2/catch_test_macros.hpp>
#include <cstdint>

#include "arch/x86/cr4.hpp"
#include "root/apic_base_policy.hpp"
#include "root/child_msr_policy.hpp"

using hv::root::ApicBaseWrite;
using hv::root::judge_apic_base_write;
namespace cr4 = hv::x86::cr4;

namespace {

constexpr uint64_t kEn = 1ull << 11, kExtd = 1ull << 10, kBsp = 1ull << 8;
constexpr uint64_t kXapic = 0xfee00000 | kEn | kBsp;  // the BSP's APIC as firmware leaves it

}  // namespace

TEST_CASE("root IA32_APIC_BASE: Linux's writes pass", "[hv][isolation]") {
  CHECK(judge_apic_base_write(kXapic, kXapic, true) == ApicBaseWrite::kAllowed);
  CHECK(judge_apic_base_write(kXapic, kXapic | kExtd, true) == ApicBaseWrite::kAllowed);
  CHECK(judge_apic_base_write(kXapic | kExtd, kXapic | kExtd, true) == ApicBaseWrite::kAllowed);
  const uint64_t ap = 0xfee00000 | kEn;
  CHECK(judge_apic_base_write(ap, ap | kExtd, true) == ApicBaseWrite::kAllowed);
}

TEST_CASE("root IA32_APIC_BASE: disabling, moving and the rest are refused", "[hv][isolation]") {
  // The attack: the xAPIC page moved onto hv's memory with the APIC disabled.
  CHECK(judge_apic_base_write(kXapic, 0x7f000000 | kBsp, true) == ApicBaseWrite::kDisable);
  CHECK(judge_apic_base_write(kXapic, 0x7f000000 | kEn | kBsp, true) == ApicBaseWrite::kRelocate);
  CHECK(judge_apic_base_write(kXapic, kXapic & ~kEn, true) == ApicBaseWrite::kDisable);
  CHECK(judge_apic_base_write(kXapic | kExtd, kXapic & ~kEn & ~kExtd, true) ==
        ApicBaseWrite::kDisable);
  CHECK(judge_apic_base_write(kXapic | kExtd, kXapic, true) == ApicBaseWrite::kLeaveX2apic);
  CHECK(judge_apic_base_write(kXapic, kXapic & ~kBsp, true) == ApicBaseWrite::kBspFlag);
  CHECK(judge_apic_base_write(kXapic, kXapic | 1, true) == ApicBaseWrite::kReservedBits);
  CHECK(judge_apic_base_write(kXapic, kXapic | (1ull << 9), true) == ApicBaseWrite::kReservedBits);
  CHECK(judge_apic_base_write(kXapic, kXapic | (1ull << 63), true) == ApicBaseWrite::kReservedBits);
  CHECK(judge_apic_base_write(kXapic, kXapic | kExtd, false) == ApicBaseWrite::kNoX2apic);
  for (auto w : {ApicBaseWrite::kReservedBits, ApicBaseWrite::kDisable, ApicBaseWrite::kRelocate,
                 ApicBaseWrite::kBspFlag, ApicBaseWrite::kLeaveX2apic, ApicBaseWrite::kNoX2apic}) {
    CHECK(hv::root::describe(w)[0] != '?');
  }
}

TEST_CASE("child CR4: what Linux sets passes, PKE and CET do not", "[hv][isolation]") {
  const uint64_t allowed = cr4::kChildBase | cr4::kUmip;
  const uint64_t linux_boot = cr4::kPae | cr4::kPge | cr4::kOsfxsr | cr4::kOsxmmexcpt;
  CHECK(cr4::child_write_allowed(cr4::kPae, linux_boot, allowed, true, 0x1000));
  CHECK(cr4::child_write_allowed(
      linux_boot,
      linux_boot | cr4::kOsxsave | cr4::kSmep | cr4::kSmap | cr4::kFsgsbase | cr4::kUmip, allowed,
      true, 0x1000));
  CHECK(cr4::child_write_allowed(linux_boot, linux_boot | cr4::kPcide, allowed, true, 0x1000));
  CHECK(cr4::child_write_allowed(linux_boot, linux_boot | cr4::kPce | cr4::kTsd, allowed, true, 0));

  CHECK_FALSE(cr4::child_write_allowed(linux_boot, linux_boot | cr4::kPke, allowed, true, 0));
  CHECK_FALSE(cr4::child_write_allowed(linux_boot, linux_boot | cr4::kCet, allowed, true, 0));
  CHECK_FALSE(cr4::child_write_allowed(linux_boot, linux_boot | cr4::kVmxe, allowed, true, 0));
  CHECK_FALSE(cr4::child_write_allowed(linux_boot, linux_boot | cr4::kSmxe, allowed, true, 0));
  CHECK_FALSE(cr4::child_write_allowed(linux_boot, linux_boot | (1ull << 40), allowed, true, 0));
  // UMIP only where the CPU has it.
  CHECK_FALSE(
      cr4::child_write_allowed(linux_boot, linux_boot | cr4::kUmip, cr4::kChildBase, true, 0));
}

TEST_CASE("child CR4: the long-mode and PCIDE rules", "[hv][isolation]") {
  const uint64_t allowed = cr4::kChildBase | cr4::kLa57;
  CHECK_FALSE(cr4::child_write_allowed(cr4::kPae, 0, allowed, true, 0));  // PAE stays in long mode
  CHECK(cr4::child_write_allowed(cr4::kPae, 0, allowed, false, 0));       // but not outside it
  CHECK_FALSE(cr4::child_write_allowed(cr4::kPae, cr4::kPae | cr4::kLa57, allowed, true, 0));
  CHECK(cr4::child_write_allowed(cr4::kPae, cr4::kPae | cr4::kLa57, allowed, false, 0));
  // PCIDE: only in long mode, only with CR3[11:0] = 0; keeping it set is fine with a PCID.
  CHECK_FALSE(cr4::child_write_allowed(cr4::kPae, cr4::kPae | cr4::kPcide, allowed, true, 0x1005));
  CHECK_FALSE(cr4::child_write_allowed(cr4::kPae, cr4::kPae | cr4::kPcide, allowed, false, 0));
  CHECK(cr4::child_write_allowed(cr4::kPae | cr4::kPcide, cr4::kPae | cr4::kPcide | cr4::kPge,
                                 allowed, true, 0x1005));
}

namespace {

namespace cm = hv::root::child_msr;
constexpr cm::HostFacts kHostLfence{cm::kDeCfgLfenceSerialize};
constexpr cm::HostFacts kHostNone{};

bool reads(uint32_t msr, uint64_t value, const cm::HostFacts& host = kHostNone) {
  const cm::Answer a = cm::judge(msr, false, 0, host);
  return a.action == cm::Action::kRead && a.value == value;
}
bool drops(uint32_t msr, uint64_t value, const cm::HostFacts& host = kHostNone) {
  return cm::judge(msr, true, value, host).action == cm::Action::kDrop;
}
bool faults(uint32_t msr, bool write, uint64_t value, const cm::HostFacts& host = kHostNone) {
  return cm::judge(msr, write, value, host).action == cm::Action::kFault;
}

}  // namespace

TEST_CASE("child MSRs: machine check has no banks", "[hv][isolation][msr]") {
  CHECK(reads(0x179, 0));  // MCG_CAP: count 0, no MCG_CTL_P
  CHECK(faults(0x179, true, 0));
  CHECK(faults(0x179, true, 0xa));
  CHECK(reads(0x17a, 0));  // MCG_STATUS
  CHECK(drops(0x17a, 0));
  CHECK(drops(0x17a, ~0ull));
  CHECK(reads(0x17a, 0));
  // MCG_CTL and the banks are not answered here: the caller raises #GP.
  CHECK(cm::judge(0x17b, false, 0, kHostNone).action == cm::Action::kNotHere);
  CHECK(cm::judge(0x400, true, ~0ull, kHostNone).action == cm::Action::kNotHere);
}

TEST_CASE("child MSRs: AMD's legacy counters read 0 and drop writes", "[hv][isolation][msr]") {
  for (uint32_t msr = 0xc0010000; msr <= 0xc0010007; ++msr) {
    CHECK(reads(msr, 0));
    CHECK(drops(msr, 0x530076));  // an enabled event select
    CHECK(drops(msr, 0xabcd));    // Linux's check_hw_exists() test value: it reads back 0
  }
  CHECK(cm::judge(0xc000ffff, false, 0, kHostNone).action == cm::Action::kNotHere);
  CHECK(cm::judge(0xc0010008, false, 0, kHostNone).action == cm::Action::kNotHere);
  CHECK(cm::judge(0xc0010200, true, 0, kHostNone).action == cm::Action::kNotHere);
}

TEST_CASE("child MSRs: HWCR says TscFreqSel and takes only KVM's bits", "[hv][isolation][msr]") {
  CHECK(reads(0xc0010015, 1ull << 24));
  CHECK(drops(0xc0010015, 1ull << 24));
  CHECK(drops(0xc0010015, (1ull << 3) | (1ull << 6) | (1ull << 8) | (1ull << 18)));
  CHECK(drops(0xc0010015, 0));
  CHECK(faults(0xc0010015, true, 1ull << 30));  // IRPERF_EN: no counters behind it
  CHECK(faults(0xc0010015, true, 1ull << 0));   // SMMLOCK
  CHECK(faults(0xc0010015, true, 1ull << 63));
  CHECK(reads(0xc0010015, 1ull << 24));  // the write changed nothing
}

TEST_CASE("child MSRs: DE_CFG follows the host's LFENCE bit", "[hv][isolation][msr]") {
  CHECK(reads(0xc0011029, 2, kHostLfence));
  CHECK(reads(0xc0011029, 2, cm::HostFacts{~0ull}));  // only that bit of the host's shows
  CHECK(reads(0xc0011029, 0, kHostNone));
  CHECK(drops(0xc0011029, 2, kHostLfence));
  CHECK(drops(0xc0011029, 0, kHostLfence));
  CHECK(faults(0xc0011029, true, 2, kHostNone));
  CHECK(faults(0xc0011029, true, 2 | (1ull << 9), kHostLfence));
  CHECK(cm::needs_host_facts(0xc0011029));
  CHECK_FALSE(cm::needs_host_facts(0xc0010015));
}

TEST_CASE("child MSRs: MTRRs, NB_CFG and the microcode revision", "[hv][isolation][msr]") {
  for (uint32_t msr : {0xfeu, 0x2ffu, 0xc001001fu}) {
    CHECK(reads(msr, 0));
    CHECK(drops(msr, 0x6));
    CHECK(drops(msr, ~0ull));
  }
  CHECK(reads(0x8b, 0x100000000ull));
  CHECK(drops(0x8b, 0));
  // What the policy does not know stays with the caller (#GP or the context's MSRs).
  for (uint32_t msr : {0x10u, 0x3au, 0x48u, 0x10au, 0x1a0u, 0x345u, 0xc0011020u, 0xc0000104u}) {
    CHECK(cm::judge(msr, false, 0, kHostLfence).action == cm::Action::kNotHere);
    CHECK(cm::judge(msr, true, ~0ull, kHostLfence).action == cm::Action::kNotHere);
  }
}
