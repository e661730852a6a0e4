// 64-bit entry (vmm/long_mode.hpp): descriptors encoded as SDM vol. 3A, 3.4.5 shows them, page
// tables that identity-map the first GiB, and the register list in the order the SDM's
// initialization sequence needs, with every reserved part 0.
#include <catch2/catch_test_macros.hpp>
#include <cstring>

#include "vmm/long_mode.hpp"

using namespace rootstock::vmm;

namespace {

uint64_t read_u64(GuestMemory& m, uint64_t gpa) {
  uint64_t v;
  std::memcpy(&v, m.bytes(gpa, 8)->data(), 8);
  return v;
}

}  // namespace

TEST_CASE("long mode: GDT descriptors match the well-known flat encodings") {
  // The flat 32-bit code and data descriptors every boot loader writes.
  CHECK(gdt_descriptor(0, 0xffffffff, 0x9b | RS_SEGMENT_ATTR_DB | RS_SEGMENT_ATTR_G) ==
        0x00cf9b000000ffffull);
  CHECK(gdt_descriptor(0, 0xffffffff, 0x93 | RS_SEGMENT_ATTR_DB | RS_SEGMENT_ATTR_G) ==
        0x00cf93000000ffffull);
  // 64-bit code: L set, D clear (Linux's __KERNEL_CS is 0x00af9b000000ffff).
  CHECK(gdt_descriptor(0, 0xffffffff, 0x9b | RS_SEGMENT_ATTR_L | RS_SEGMENT_ATTR_G) ==
        0x00af9b000000ffffull);
  // Byte granular, base split over three fields.
  CHECK(gdt_descriptor(0x12345678, 0x67, 0x8b) == 0x12008b3456780067ull);
}

TEST_CASE("long mode: page tables identity-map the first GiB with 2 MiB pages") {
  auto m = GuestMemory::allocate(0, 0x80000);
  REQUIRE(m);
  std::memset(m->host().data(), 0xff, m->size());  // old contents must not leak into tables
  const LongModeLayout l;
  auto regs = setup_long_mode(*m, {0x10000, 0x7000}, l);
  REQUIRE(regs);
  CHECK(read_u64(*m, l.pml4) == (l.pdpt | pte::kPresent | pte::kWritable));
  CHECK(read_u64(*m, l.pml4 + 8) == 0);
  CHECK(read_u64(*m, l.pdpt) == (l.pd | pte::kPresent | pte::kWritable));
  CHECK(read_u64(*m, l.pdpt + 8) == 0);
  for (uint64_t i = 0; i < 512; ++i) {
    REQUIRE(read_u64(*m, l.pd + i * 8) ==
            ((i << 21) | pte::kPresent | pte::kWritable | pte::kPageSize));
  }
  CHECK(read_u64(*m, l.gdt) == 0);
  CHECK(read_u64(*m, l.gdt + 8) == 0x00af9b000000ffffull);
  CHECK(read_u64(*m, l.gdt + 16) == 0x00cf93000000ffffull);
  CHECK(read_u64(*m, l.gdt + 24) == gdt_descriptor(static_cast<uint32_t>(l.tss), 103, 0x8b));
  CHECK(read_u64(*m, l.tss) == 0);
}

TEST_CASE("long mode: the registers enter 64-bit mode at the entry point") {
  auto m = GuestMemory::allocate(0, 0x80000);
  REQUIRE(m);
  auto regs = setup_long_mode(*m, {0x10000, 0x7000});
  REQUIRE(regs);
  std::vector<uint32_t> order;
  for (const auto& r : *regs) order.push_back(r.name);
  const std::vector<uint32_t> expected = {RS_REG_CR4,    RS_REG_EFER, RS_REG_CR3, RS_REG_CR0,
                                          RS_REG_CS,     RS_REG_DS,   RS_REG_ES,  RS_REG_SS,
                                          RS_REG_FS,     RS_REG_GS,   RS_REG_TR,  RS_REG_GDTR,
                                          RS_REG_RFLAGS, RS_REG_RSP,  RS_REG_RIP};
  CHECK(order == expected);
  const auto value = [&](uint32_t name) {
    for (const auto& r : *regs) {
      if (r.name == name) return r.value;
    }
    FAIL("no register " << name);
    return rs_hc_register_value{};
  };
  CHECK((value(RS_REG_CR4).scalar.value & cr4::kPae) != 0);
  CHECK(value(RS_REG_EFER).scalar.value == efer::kLme);
  CHECK(value(RS_REG_CR3).scalar.value == 0x1000);
  CHECK(value(RS_REG_CR0).scalar.value == (cr0::kPe | cr0::kEt | cr0::kNe | cr0::kPg));
  const auto cs = value(RS_REG_CS).segment;
  CHECK(cs.selector == kLongModeCodeSelector);
  CHECK((cs.attributes & RS_SEGMENT_ATTR_L) != 0);
  CHECK((cs.attributes & RS_SEGMENT_ATTR_DB) == 0);
  CHECK((cs.attributes & RS_SEGMENT_ATTR_RESERVED_MASK) == 0);
  CHECK(value(RS_REG_SS).segment.selector == kLongModeDataSelector);
  CHECK(value(RS_REG_TR).segment.attributes == 0x8b);
  CHECK(value(RS_REG_GDTR).table.base == 0x500);
  CHECK(value(RS_REG_GDTR).table.limit == 39);
  CHECK(value(RS_REG_GDTR).table.reserved0 == 0);
  CHECK(value(RS_REG_GDTR).table.reserved1 == 0);
  CHECK(value(RS_REG_RFLAGS).scalar.value == 0x2);
  CHECK(value(RS_REG_RSP).scalar.value == 0x7000);
  CHECK(value(RS_REG_RIP).scalar.value == 0x10000);
  for (const auto& r : *regs) {
    if (r.name < RS_REG_ES || r.name > RS_REG_IDTR) REQUIRE(r.value.scalar.reserved0 == 0);
  }
}

TEST_CASE("long mode: tables that do not fit the memory are an error") {
  auto small = GuestMemory::allocate(0, 0x2000);
  REQUIRE(small);
  CHECK_FALSE(setup_long_mode(*small, {0x1000, 0x1000}));
  auto elsewhere = GuestMemory::allocate(0x100000, 0x10000);
  REQUIRE(elsewhere);
  CHECK_FALSE(setup_long_mode(*elsewhere, {0x100000, 0x101000}));
}
