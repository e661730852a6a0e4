// Turning SVM on for a CPU (AMD APM vol. 2, 15.4 "Enabling SVM", 15.30.4 VM_HSAVE_PA).
#pragma once

#include <stdint.h>

namespace hv::svm {

/// What the CPU offers, from CPUID 0x8000000A (APM vol. 3, E.4.9).
struct SvmFeatures {
  uint32_t revision = 0;
  uint32_t asids = 0;  ///< number of ASIDs, including ASID 0 (the host's)
  bool nested_paging = false;
  bool next_rip = false;
  bool flush_by_asid = false;
  bool pause_filter = false;            ///< PAUSE intercept filtering (APM 15.14.4)
  bool pause_filter_threshold = false;  ///< the filter's cycle threshold
};

/// Why SVM cannot be used on this CPU.
enum class SvmStatus {
  kOk,
  kNotAmd,              ///< not an AMD CPU (VMX is a separate backend)
  kNoSvm,               ///< CPUID says the CPU has no SVM
  kDisabledByFirmware,  ///< VM_CR.SVMDIS set and locked
  kDisabled,            ///< VM_CR.SVMDIS set (not locked)
  kNoNestedPaging,      ///< hv requires NPT
};

/// A message for a status, for the console.
const char* describe(SvmStatus status);

/// Checks that this CPU can run SVM with nested paging and reads its features.
SvmStatus probe(SvmFeatures& features);

/// Sets EFER.SVME and points VM_HSAVE_PA at `host_save_pa` (a 4 KiB-aligned page hv owns).
void enable(uint64_t host_save_pa);

}  // namespace hv::svm
