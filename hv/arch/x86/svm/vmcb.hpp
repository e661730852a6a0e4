// The virtual machine control block (AMD APM vol. 2, appendix B, tables B-1 and B-2): a 4 KiB,
// 4 KiB-aligned page; the control area at 0x000, the state-save area at 0x400.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace hv::svm {

/// A segment register as the VMCB keeps it: selector, the 12 packed attribute bits
/// (descriptor bits 47:40 in attrib[7:0], bits 55:52 in attrib[11:8]), limit and base.
struct VmcbSegment {
  uint16_t selector;
  uint16_t attrib;
  uint32_t limit;
  uint64_t base;
};
static_assert(sizeof(VmcbSegment) == 16);

/// Segment attribute bits in the VMCB's packed form (APM vol. 2, 15.5.1).
namespace seg_attr {
inline constexpr uint16_t kTypeMask = 0x0f;
inline constexpr uint16_t kTypeDataRw = 0x3;     ///< read/write, accessed
inline constexpr uint16_t kTypeCodeRx = 0xb;     ///< execute/read, accessed
inline constexpr uint16_t kTypeTss32Busy = 0xb;  ///< system: 32/64-bit busy TSS
inline constexpr uint16_t kTypeLdt = 0x2;
inline constexpr uint16_t kCodeOrData = 1u << 4;    ///< S
inline constexpr uint16_t kPresent = 1u << 7;       ///< P
inline constexpr uint16_t kLong = 1u << 9;          ///< L
inline constexpr uint16_t kDefault32 = 1u << 10;    ///< D/B
inline constexpr uint16_t kGranularity = 1u << 11;  ///< G
inline constexpr uint16_t dpl(unsigned level) {
  return static_cast<uint16_t>((level & 3) << 5);
}
}  // namespace seg_attr

/// Intercept vector 3 at offset 0x00c (APM table B-1).
namespace intercept3 {
inline constexpr uint32_t kIntr = 1u << 0;
inline constexpr uint32_t kNmi = 1u << 1;
inline constexpr uint32_t kSmi = 1u << 2;
inline constexpr uint32_t kInit = 1u << 3;
inline constexpr uint32_t kVintr = 1u << 4;  ///< a virtual interrupt (V_IRQ) could be taken
inline constexpr uint32_t kRdpmc = 1u << 15;
inline constexpr uint32_t kCpuid = 1u << 18;
inline constexpr uint32_t kIret = 1u << 20;  ///< before an IRET executes
inline constexpr uint32_t kInvd = 1u << 22;
inline constexpr uint32_t kPause = 1u << 23;  ///< subject to the pause filter (APM 15.14.4)
inline constexpr uint32_t kHlt = 1u << 24;
inline constexpr uint32_t kInvlpga = 1u << 26;
inline constexpr uint32_t kIoioProt = 1u << 27;
inline constexpr uint32_t kMsrProt = 1u << 28;
inline constexpr uint32_t kShutdown = 1u << 31;
}  // namespace intercept3

/// Intercept vector 4 at offset 0x010.
namespace intercept4 {
inline constexpr uint32_t kVmrun = 1u << 0;  ///< must be set, or VMRUN fails (APM 15.5.1)
inline constexpr uint32_t kVmmcall = 1u << 1;
inline constexpr uint32_t kVmload = 1u << 2;
inline constexpr uint32_t kVmsave = 1u << 3;
inline constexpr uint32_t kStgi = 1u << 4;
inline constexpr uint32_t kClgi = 1u << 5;
inline constexpr uint32_t kSkinit = 1u << 6;
inline constexpr uint32_t kXsetbv = 1u << 13;
}  // namespace intercept4

/// TLB_CONTROL values (APM 15.16.1).
enum class TlbControl : uint8_t {
  kNothing = 0,
  kFlushAll = 1,
  kFlushAsid = 3,  ///< needs the FlushByAsid feature
  kFlushAsidNonGlobal = 7,
};

/// Event injection field (APM 15.20, figure 15-4).
namespace event_inj {
inline constexpr uint64_t kVectorMask = 0xff;
inline constexpr uint64_t kTypeExternal = 0ull << 8;
inline constexpr uint64_t kTypeNmi = 2ull << 8;
inline constexpr uint64_t kTypeException = 3ull << 8;
inline constexpr uint64_t kTypeSoftware = 4ull << 8;
inline constexpr uint64_t kErrorValid = 1ull << 11;
inline constexpr uint64_t kValid = 1ull << 31;
inline constexpr unsigned kErrorShift = 32;
}  // namespace event_inj

/// The virtual interrupt control field at 0x060 (APM table B-1, 15.21).
namespace int_ctl {
inline constexpr uint64_t kVTprMask = 0xf;
inline constexpr uint64_t kVIrq = 1ull << 8;
inline constexpr unsigned kVIntrPrioShift = 16;
inline constexpr uint64_t kVIntrPrioMax = 0xfull << kVIntrPrioShift;
inline constexpr uint64_t kVIgnTpr = 1ull << 20;
inline constexpr uint64_t kVIntrMasking = 1ull << 24;
inline constexpr unsigned kVIntrVectorShift = 32;
inline constexpr uint64_t kVIntrVectorMask = 0xffull << kVIntrVectorShift;
}  // namespace int_ctl

/// The interrupt shadow field at 0x068 (APM 15.21.5).
inline constexpr uint64_t kInterruptShadow = 1ull << 0;

/// The control area (APM table B-1).
struct VmcbControl {
  uint16_t intercept_cr_read;     // 0x000
  uint16_t intercept_cr_write;    // 0x002
  uint16_t intercept_dr_read;     // 0x004
  uint16_t intercept_dr_write;    // 0x006
  uint32_t intercept_exceptions;  // 0x008
  uint32_t intercept3;            // 0x00c
  uint32_t intercept4;            // 0x010
  uint32_t intercept5;            // 0x014
  uint8_t reserved_018[0x03c - 0x018];
  uint16_t pause_filter_threshold;  // 0x03c
  uint16_t pause_filter_count;      // 0x03e
  uint64_t iopm_base_pa;            // 0x040
  uint64_t msrpm_base_pa;           // 0x048
  uint64_t tsc_offset;              // 0x050
  uint32_t guest_asid;              // 0x058
  uint8_t tlb_control;              // 0x05c
  uint8_t reserved_05d[3];
  uint64_t int_control;    // 0x060: V_TPR, V_IRQ, V_INTR_MASKING ...
  uint64_t int_state;      // 0x068: interrupt shadow
  uint64_t exit_code;      // 0x070
  uint64_t exit_info1;     // 0x078
  uint64_t exit_info2;     // 0x080
  uint64_t exit_int_info;  // 0x088
  uint64_t np_control;     // 0x090: bit 0 NP_ENABLE
  uint64_t avic_apic_bar;  // 0x098
  uint64_t ghcb_gpa;       // 0x0a0
  uint64_t event_inject;   // 0x0a8
  uint64_t n_cr3;          // 0x0b0
  uint64_t virt_ext;       // 0x0b8: LBR virtualization, virtual VMSAVE/VMLOAD
  uint32_t clean_bits;     // 0x0c0
  uint32_t reserved_0c4;
  uint64_t next_rip;       // 0x0c8: only with the NRIPS feature
  uint8_t insn_len;        // 0x0d0: only with decode assists
  uint8_t insn_bytes[15];  // 0x0d1
  uint8_t reserved_0e0[0x400 - 0x0e0];
};
static_assert(sizeof(VmcbControl) == 0x400);
static_assert(offsetof(VmcbControl, iopm_base_pa) == 0x040);
static_assert(offsetof(VmcbControl, guest_asid) == 0x058);
static_assert(offsetof(VmcbControl, tlb_control) == 0x05c);
static_assert(offsetof(VmcbControl, exit_code) == 0x070);
static_assert(offsetof(VmcbControl, exit_int_info) == 0x088);
static_assert(offsetof(VmcbControl, np_control) == 0x090);
static_assert(offsetof(VmcbControl, event_inject) == 0x0a8);
static_assert(offsetof(VmcbControl, n_cr3) == 0x0b0);
static_assert(offsetof(VmcbControl, clean_bits) == 0x0c0);
static_assert(offsetof(VmcbControl, next_rip) == 0x0c8);
static_assert(offsetof(VmcbControl, insn_bytes) == 0x0d1);

/// The state-save area (APM table B-2), offsets relative to its start at VMCB + 0x400.
struct VmcbSave {
  VmcbSegment es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;  // 0x000..0x09f
  uint8_t reserved_0a0[0x0cb - 0x0a0];
  uint8_t cpl;  // 0x0cb
  uint32_t reserved_0cc;
  uint64_t efer;  // 0x0d0
  uint8_t reserved_0d8[0x148 - 0x0d8];
  uint64_t cr4;     // 0x148
  uint64_t cr3;     // 0x150
  uint64_t cr0;     // 0x158
  uint64_t dr7;     // 0x160
  uint64_t dr6;     // 0x168
  uint64_t rflags;  // 0x170
  uint64_t rip;     // 0x178
  uint8_t reserved_180[0x1d8 - 0x180];
  uint64_t rsp;             // 0x1d8
  uint64_t s_cet;           // 0x1e0
  uint64_t ssp;             // 0x1e8
  uint64_t isst_addr;       // 0x1f0
  uint64_t rax;             // 0x1f8
  uint64_t star;            // 0x200
  uint64_t lstar;           // 0x208
  uint64_t cstar;           // 0x210
  uint64_t sfmask;          // 0x218
  uint64_t kernel_gs_base;  // 0x220
  uint64_t sysenter_cs;     // 0x228
  uint64_t sysenter_esp;    // 0x230
  uint64_t sysenter_eip;    // 0x238
  uint64_t cr2;             // 0x240
  uint8_t reserved_248[0x268 - 0x248];
  uint64_t g_pat;           // 0x268
  uint64_t dbgctl;          // 0x270
  uint64_t br_from;         // 0x278
  uint64_t br_to;           // 0x280
  uint64_t last_excp_from;  // 0x288
  uint64_t last_excp_to;    // 0x290
  uint8_t reserved_298[0xc00 - 0x298];
};
static_assert(sizeof(VmcbSave) == 0xc00);
static_assert(offsetof(VmcbSave, cpl) == 0x0cb);
static_assert(offsetof(VmcbSave, efer) == 0x0d0);
static_assert(offsetof(VmcbSave, cr4) == 0x148);
static_assert(offsetof(VmcbSave, rip) == 0x178);
static_assert(offsetof(VmcbSave, rsp) == 0x1d8);
static_assert(offsetof(VmcbSave, rax) == 0x1f8);
static_assert(offsetof(VmcbSave, kernel_gs_base) == 0x220);
static_assert(offsetof(VmcbSave, cr2) == 0x240);
static_assert(offsetof(VmcbSave, g_pat) == 0x268);

/// The whole VMCB page.
struct alignas(4096) Vmcb {
  VmcbControl control;
  VmcbSave save;
};
static_assert(sizeof(Vmcb) == 4096);
static_assert(offsetof(Vmcb, save) == 0x400);

}  // namespace hv::svm
