// The child MSRs hv answers without keeping state: registers a distribution kernel reads or
// writes at boot that a child has no hardware behind (machine check, the performance counters,
// AMD's configuration registers). Each is answered as KVM answers a guest without a PMU and
// without machine-check banks, so that a stock kernel neither takes a #GP it did not expect
// ("unchecked MSR access error") nor reaches a host register: a read gets a fixed value (or a
// host bit hv reads itself), a write is checked and dropped. Everything here is pure, for the
// unit tests (tests/unit/test_isolation_policy.cpp); root/child_run.cpp applies it.
#pragma once

#include <stdint.h>

namespace hv::root::child_msr {

// MTRRs: none (IA32_MTRRCAP reads 0: VCNT = 0, no fixed ranges); memory types come from the
// child's PAT. MTRR_DEF_TYPE reads 0 and ignores writes (Intel SDM vol. 3A, 12.11.1-12.11.2):
// Linux then says "MTRRs disabled by BIOS" instead of taking a #GP.
inline constexpr uint32_t kMtrrCap = 0xfe, kMtrrDefType = 0x2ff;
// IA32_BIOS_SIGN_ID / AMD PATCH_LEVEL: the microcode revision. KVM's default for a guest (rev 1
// in bits 63:32); a child's write (Intel's "write 0, CPUID, read") is dropped.
inline constexpr uint32_t kUcodeRev = 0x8b;
inline constexpr uint64_t kUcodeRevValue = 0x100000000ull;
// Machine check (SDM vol. 3B, 16.3.1): no banks and no MCG_CTL (MCG_CAP reads 0, as KVM gives
// a guest whose VMM set up none). MCG_CAP is read-only; MCG_STATUS reads 0 and takes any write
// (hv never raises a machine check in a child, so there is no MCIP to clear); MCG_CTL, which
// exists only with MCG_CAP.MCG_CTL_P, and every bank register raise #GP.
inline constexpr uint32_t kMcgCap = 0x179, kMcgStatus = 0x17a;
// AMD's legacy performance counters (APM vol. 2, 13.2.1: PerfEvtSel0-3 C001_0000h-0003h,
// PerfCtr0-3 C001_0004h-0007h), which every AMD64 CPU has whatever CPUID says. A child has no
// PMU: they read 0 and drop writes, as KVM's are without one (RDPMC reads 0 too,
// root/child_instruction_exits.cpp). Linux then finds its test value gone and says "PMU not
// available due to virtualization". The core extension's C001_0200h-020Bh stay #GP: CPUID
// hides PerfCtrExtCore from a child.
inline constexpr uint32_t kK7EvntSel0 = 0xc0010000, kK7PerfCtr3 = 0xc0010007;
// HWCR (APM vol. 2, A.7; BKDG MSRC001_0015): reads TscFreqSel (bit 24: the TSC counts at the P0
// frequency; Linux on family 10h+ says "TSC doesn't count with P0 frequency!" otherwise). A
// write may hold only what KVM takes: TlbCacheDis (3), FFDIS (6), IgnneEm (8), McStatusWrEn (18)
// and TscFreqSel; it is dropped. Any other bit is #GP.
inline constexpr uint32_t kHwcr = 0xc0010015;
inline constexpr uint64_t kHwcrTscFreqSel = 1ull << 24;
inline constexpr uint64_t kHwcrWritable =
    (1ull << 3) | (1ull << 6) | (1ull << 8) | (1ull << 18) | kHwcrTscFreqSel;
// AMD NB_CFG (BKDG for family 17h, MSRC001_001F): Linux's amd_bus sets its extended PCI
// configuration-space bit on every CPU. A child has no northbridge: reads 0, writes ignored.
inline constexpr uint32_t kAmdNbCfg = 0xc001001f;
// DE_CFG (MSRC001_1029): bit 1 makes LFENCE dispatch-serializing. The host's kernel (the root)
// sets it on every CPU; a child reads the bit as this CPU has it, as KVM reports the host's
// support, and may write 0 or that bit (dropped: the host's setting stays). Anything else is #GP.
inline constexpr uint32_t kAmdDeCfg = 0xc0011029;
inline constexpr uint64_t kDeCfgLfenceSerialize = 1ull << 1;

/// What hv does with one child RDMSR/WRMSR of a register this policy knows.
enum class Action : uint8_t {
  kNotHere,  ///< not one of these registers: the caller goes on (the child's context, #GP)
  kRead,     ///< RDMSR: EDX:EAX = `value`
  kDrop,     ///< WRMSR: accepted, changes nothing
  kFault,    ///< #GP in the child
};

/// The verdict and, for kRead, the value.
struct Answer {
  Action action = Action::kNotHere;
  uint64_t value = 0;
};

/// What the policy needs from the CPU the child runs on: the host's DE_CFG (0 if it has none).
struct HostFacts {
  uint64_t de_cfg = 0;
};

/// True for the registers whose answer needs HostFacts (so hv reads the host only for them).
constexpr bool needs_host_facts(uint32_t msr) {
  return msr == kAmdDeCfg;
}

/// The answer to a child's RDMSR (`write` false) or WRMSR of `value` to `msr`.
constexpr Answer judge(uint32_t msr, bool write, uint64_t value, const HostFacts& host) {
  const Answer drop{Action::kDrop, 0}, fault{Action::kFault, 0};
  const auto read = [](uint64_t v) { return Answer{Action::kRead, v}; };
  switch (msr) {
    case kMtrrCap:
    case kMtrrDefType:
    case kAmdNbCfg:
    case kMcgStatus:
      return write ? drop : read(0);
    case kUcodeRev:
      return write ? drop : read(kUcodeRevValue);
    case kMcgCap:
      return write ? fault : read(0);
    case kHwcr:
      if (!write) return read(kHwcrTscFreqSel);
      return (value & ~kHwcrWritable) == 0 ? drop : fault;
    case kAmdDeCfg: {
      const uint64_t supported = host.de_cfg & kDeCfgLfenceSerialize;
      if (!write) return read(supported);
      return (value & ~supported) == 0 ? drop : fault;
    }
    default:
      break;
  }
  if (msr >= kK7EvntSel0 && msr <= kK7PerfCtr3) return write ? drop : read(0);
  return {};
}

}  // namespace hv::root::child_msr
