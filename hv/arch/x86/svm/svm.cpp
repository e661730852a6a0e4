#include "arch/x86/svm/svm.hpp"

#include "arch/x86/cpuid.hpp"
#include "arch/x86/msr.hpp"

namespace hv::svm {

namespace {
constexpr uint32_t kSvmEdxFlushByAsid = 1u << 6;
}  // namespace

const char* describe(SvmStatus status) {
  switch (status) {
    case SvmStatus::kOk:
      return "SVM available";
    case SvmStatus::kNotAmd:
      return "not an AMD CPU";
    case SvmStatus::kNoSvm:
      return "the CPU has no SVM (CPUID 0x80000001 ECX.SVM is clear)";
    case SvmStatus::kDisabledByFirmware:
      return "SVM is disabled by the firmware (VM_CR.SVMDIS set and locked): enable "
             "virtualization in the firmware setup";
    case SvmStatus::kDisabled:
      return "SVM is disabled (VM_CR.SVMDIS set)";
    case SvmStatus::kNoNestedPaging:
      return "the CPU has SVM but no nested paging (CPUID 0x8000000A EDX.NP), which hv requires";
  }
  return "?";
}

SvmStatus probe(SvmFeatures& f) {
  using namespace x86;
  if (cpu_vendor() != Vendor::kAmd) return SvmStatus::kNotAmd;
  if (cpuid(cpuid_bit::kLeafExtMax).eax < cpuid_bit::kLeafSvm) return SvmStatus::kNoSvm;
  if ((cpuid(cpuid_bit::kLeafExtFeatures).ecx & cpuid_bit::kExtFeaturesEcxSvm) == 0) {
    return SvmStatus::kNoSvm;
  }
  const uint64_t vm_cr = rdmsr(Msr::kVmCr);
  if ((vm_cr & vm_cr::kSvmDis) != 0) {
    return (vm_cr & vm_cr::kLock) != 0 ? SvmStatus::kDisabledByFirmware : SvmStatus::kDisabled;
  }
  const CpuidResult leaf = cpuid(cpuid_bit::kLeafSvm);
  f.revision = leaf.eax & 0xff;
  f.asids = leaf.ebx;
  f.nested_paging = (leaf.edx & cpuid_bit::kSvmEdxNpt) != 0;
  f.next_rip = (leaf.edx & cpuid_bit::kSvmEdxNrips) != 0;
  f.flush_by_asid = (leaf.edx & kSvmEdxFlushByAsid) != 0;
  f.pause_filter = (leaf.edx & cpuid_bit::kSvmEdxPauseFilter) != 0;
  f.pause_filter_threshold = (leaf.edx & cpuid_bit::kSvmEdxPauseFilterThreshold) != 0;
  if (!f.nested_paging) return SvmStatus::kNoNestedPaging;
  return SvmStatus::kOk;
}

void enable(uint64_t host_save_pa) {
  using namespace x86;
  wrmsr(Msr::kEfer, rdmsr(Msr::kEfer) | efer::kSvme);
  wrmsr(Msr::kVmHsavePa, host_save_pa);
}

}  // namespace hv::svm
