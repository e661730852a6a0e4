#include "vmm/long_mode.hpp"

#include <array>
#include <cstring>

namespace rootstock::vmm {
namespace {

constexpr uint64_t k2MiB = uint64_t{2} << 20;
constexpr uint64_t kEntries = 512;
constexpr uint32_t kTssLimit = 103;  // a 64-bit TSS is 104 bytes (SDM vol. 3A, figure 9-11)

// Code: execute/read, accessed; 64-bit (L, with D clear as L requires).
constexpr uint16_t kCodeAttributes =
    0xb | RS_SEGMENT_ATTR_S | RS_SEGMENT_ATTR_P | RS_SEGMENT_ATTR_L | RS_SEGMENT_ATTR_G;
// TR: a busy 64-bit TSS (type 11), the only type VM entry accepts in IA-32e mode (SDM vol. 3C,
// 28.3.1.2).
constexpr uint16_t kTssAttributes = 0xb | RS_SEGMENT_ATTR_P;

Result<void> put_u64(GuestMemory& memory, uint64_t gpa, uint64_t value) {
  uint8_t bytes[8];
  std::memcpy(bytes, &value, 8);
  return memory.write(gpa, bytes);
}

Result<void> write_tables(GuestMemory& memory, const LongModeLayout& l) {
  for (const uint64_t table : {l.pml4, l.pdpt, l.pd}) {
    auto page = memory.bytes(table, GuestMemory::kPageSize);
    if (!page) return std::unexpected(page.error());
    std::memset(page->data(), 0, page->size());
  }
  if (auto r = put_u64(memory, l.pml4, l.pdpt | pte::kPresent | pte::kWritable); !r) return r;
  if (auto r = put_u64(memory, l.pdpt, l.pd | pte::kPresent | pte::kWritable); !r) return r;
  for (uint64_t i = 0; i < kEntries; ++i) {
    const uint64_t entry = i * k2MiB | pte::kPresent | pte::kWritable | pte::kPageSize;
    if (auto r = put_u64(memory, l.pd + i * 8, entry); !r) return r;
  }
  return {};
}

Result<void> write_gdt(GuestMemory& memory, const LongModeLayout& l) {
  auto tss = memory.bytes(l.tss, kTssLimit + 1);
  if (!tss) return std::unexpected(tss.error());
  std::memset(tss->data(), 0, tss->size());
  // A system descriptor is 16 bytes in IA-32e mode: the upper 8 hold base bits 63:32.
  const std::array<uint64_t, 5> gdt = {
      0,
      gdt_descriptor(0, kFlatSegmentLimit, kCodeAttributes),
      gdt_descriptor(0, kFlatSegmentLimit, kFlatDataAttributes),
      gdt_descriptor(static_cast<uint32_t>(l.tss), kTssLimit, kTssAttributes),
      l.tss >> 32,
  };
  for (size_t i = 0; i < gdt.size(); ++i) {
    if (auto r = put_u64(memory, l.gdt + i * 8, gdt[i]); !r) return r;
  }
  return {};
}

}  // namespace

uint64_t gdt_descriptor(uint32_t base, uint32_t limit, uint16_t attributes) {
  const uint32_t raw_limit = (attributes & RS_SEGMENT_ATTR_G) != 0 ? limit >> 12 : limit;
  uint64_t d = raw_limit & 0xffffu;
  d |= uint64_t{base & 0xffffffu} << 16;
  d |= uint64_t{attributes & 0xffu} << 40;
  d |= uint64_t{(raw_limit >> 16) & 0xfu} << 48;
  d |= uint64_t{(attributes >> 8) & 0xfu} << 52;
  d |= uint64_t{base >> 24} << 56;
  return d;
}

Result<RegisterList> setup_long_mode(GuestMemory& memory, const LongModeEntry& entry,
                                     const LongModeLayout& layout) {
  if (auto r = write_tables(memory, layout); !r) return std::unexpected(r.error());
  if (auto r = write_gdt(memory, layout); !r) return std::unexpected(r.error());
  const uint16_t gdt_limit = 5 * 8 - 1;
  // CR4.PAE and EFER.LME before CR0.PG, the order the SDM prescribes (10.8.5); hv checks the
  // combination only at VP_RUN, but a reader should not have to know that.
  RegisterList regs = {
      scalar_register(RS_REG_CR4, cr4::kPae),
      scalar_register(RS_REG_EFER, efer::kLme),
      scalar_register(RS_REG_CR3, layout.pml4),
      scalar_register(RS_REG_CR0, cr0::kPe | cr0::kEt | cr0::kNe | cr0::kPg),
      segment_register(RS_REG_CS, 0, kFlatSegmentLimit, kLongModeCodeSelector, kCodeAttributes),
  };
  for (const uint32_t name : {RS_REG_DS, RS_REG_ES, RS_REG_SS, RS_REG_FS, RS_REG_GS}) {
    regs.push_back(
        segment_register(name, 0, kFlatSegmentLimit, kLongModeDataSelector, kFlatDataAttributes));
  }
  regs.push_back(
      segment_register(RS_REG_TR, layout.tss, kTssLimit, kLongModeTssSelector, kTssAttributes));
  regs.push_back(table_register(RS_REG_GDTR, layout.gdt, gdt_limit));
  regs.push_back(scalar_register(RS_REG_RFLAGS, kEntryRflags));
  regs.push_back(scalar_register(RS_REG_RSP, entry.rsp));
  regs.push_back(scalar_register(RS_REG_RIP, entry.rip));
  return regs;
}

}  // namespace rootstock::vmm
