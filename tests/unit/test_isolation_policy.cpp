// The rules that keep the root and the children away from hv's own state: which
// IA32_APIC_BASE writes the root may make (hv sends its NMIs through that APIC), and which CR4
// writes a child may make (some bits reach state VMRUN does not switch).
#include <catch2/catch_test_macros.hpp>
#include <cstdint>

#include "arch/x86/cr4.hpp"
#include "root/apic_base_policy.hpp"

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
