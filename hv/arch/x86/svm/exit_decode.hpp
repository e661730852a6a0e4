// Decoding an SVM #VMEXIT (AMD APM vol. 2, appendix C "SVM Intercept Exit Codes" and 15.7.2
// for EXITINFO) into the arch-neutral VcpuExit. Pure: host unit tests call it directly.
#pragma once

#include <stdint.h>

#include "vcpu/exit.hpp"

namespace hv::svm {

/// SVM exit codes hv decodes (APM appendix C).
enum class ExitCode : uint64_t {
  kCr4Write = 0x14,       ///< 0x10 + n: MOV to CRn (decoded by hv: no decode assists)
  kExceptionBase = 0x40,  ///< 0x40 + vector, for 32 vectors
  kIntr = 0x60,
  kNmi = 0x61,
  kSmi = 0x62,
  kInit = 0x63,
  kVintr = 0x64,
  kRdpmc = 0x6f,
  kCpuid = 0x72,
  kIret = 0x74,
  kPause = 0x77,
  kHlt = 0x78,
  kInvlpga = 0x7a,
  kIoio = 0x7b,
  kMsr = 0x7c,
  kShutdown = 0x7f,
  kVmrun = 0x80,
  kVmmcall = 0x81,
  kVmload = 0x82,
  kVmsave = 0x83,
  kStgi = 0x84,
  kClgi = 0x85,
  kSkinit = 0x86,
  kXsetbv = 0x8d,
  kNpf = 0x400,
  kInvalid = ~uint64_t{0},  ///< VMEXIT_INVALID: VMRUN found inconsistent guest state
};

/// The parts of the VMCB control area an exit leaves behind.
struct ExitRecord {
  uint64_t exit_code;
  uint64_t exit_info1;
  uint64_t exit_info2;
  uint64_t exit_int_info;
};

/// Decodes one exit.
VcpuExit decode_exit(const ExitRecord& record);

}  // namespace hv::svm
