// Segment descriptors, the TSS and the IDT gate format for long mode (AMD APM vol. 2, 4.8
// "Long-Mode Segment Descriptors", 12.2.5 "64-Bit TSS", 8.9.1 "Interrupt-Gate and Trap-Gate
// Descriptors"). hv's GDT keeps the selectors the boot assembly uses.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/boot_layout.h"

namespace hv::x86 {

/// hv's segment selectors (the same in the boot GDT and every CPU's GDT).
enum class Selector : uint16_t {
  kCode64 = BOOT_GDT_CODE64,
  kData = BOOT_GDT_DATA,
  kTss = 0x18,
};

/// Code/data descriptor bits (APM vol. 2, 4.8.1, 4.8.2).
namespace seg {
inline constexpr uint64_t kLimitLow = 0xffffull;
inline constexpr uint64_t kLimitHigh = 0xfull << 48;
inline constexpr uint64_t kAccessed = 1ull << 40;
inline constexpr uint64_t kWritable = 1ull << 41;
inline constexpr uint64_t kCodeType = 1ull << 43;
inline constexpr uint64_t kCodeOrData = 1ull << 44;  ///< S: not a system descriptor
inline constexpr uint64_t kPresent = 1ull << 47;
inline constexpr uint64_t kLong = 1ull << 53;  ///< L: 64-bit code
inline constexpr uint64_t kDefault32 = 1ull << 54;
inline constexpr uint64_t kGranularity = 1ull << 55;
inline constexpr uint64_t kCode64 =
    kLimitLow | kLimitHigh | kWritable | kCodeType | kCodeOrData | kPresent | kLong | kGranularity;
inline constexpr uint64_t kData =
    kLimitLow | kLimitHigh | kWritable | kCodeOrData | kPresent | kDefault32 | kGranularity;
/// System descriptor type "available 64-bit TSS" (APM vol. 2, table 4-6).
inline constexpr uint64_t kTypeTssAvailable = 0x9ull << 40;
}  // namespace seg

/// The 64-bit task-state segment: only the stack pointers matter in long mode.
struct [[gnu::packed]] Tss64 {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];  ///< interrupt stack table: IST1..IST7
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t iomap_base;
};
static_assert(sizeof(Tss64) == 104);
static_assert(offsetof(Tss64, ist) == 36);
static_assert(offsetof(Tss64, iomap_base) == 102);

/// A CPU's GDT: null, code, data, then the 16-byte TSS descriptor.
struct alignas(16) Gdt {
  uint64_t entries[5];
};
static_assert(sizeof(Gdt::entries) == 40);

/// An interrupt gate (APM vol. 2, figure 4-24).
struct IdtGate {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t ist;
  uint8_t type_attr;
  uint16_t offset_mid;
  uint32_t offset_high;
  uint32_t reserved;
};
static_assert(sizeof(IdtGate) == 16);

/// Gate type "64-bit interrupt gate", present, DPL 0.
inline constexpr uint8_t kGateInterruptPresent = 0x8e;

/// The operand of LGDT/LIDT.
struct [[gnu::packed]] DescriptorPointer {
  uint16_t limit;
  uint64_t base;
};
static_assert(sizeof(DescriptorPointer) == 10);

/// Fills `gdt` with hv's descriptors, the TSS descriptor pointing at `tss`.
void build_gdt(Gdt& gdt, const Tss64& tss);
/// Loads `gdt`, reloads every segment register and loads the TSS.
void load_gdt(const Gdt& gdt);

}  // namespace hv::x86
