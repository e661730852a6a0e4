// The memory map normalization and string copying shared by the PVH and Multiboot2 parsers:
// what hv's memory accounting relies on (sorted, disjoint, no RAM counted twice, nothing
// reserved treated as RAM) and that hostile ranges are refused, not wrapped.
#include <rootstock/boot/boot_info.hpp>

#include <catch2/catch_test_macros.hpp>
#include <set>
#include <string>

#include "fake_phys.hpp"

using namespace rootstock;
using namespace rootstock::boot;
using rootstock::testing::FakePhys;

namespace {

constexpr uint32_t kRam = 1;
constexpr uint32_t kRes = 2;

std::string str(Text t) {
  return {t.data, t.size};
}

}  // namespace

TEST_CASE("memory map is sorted and kept as given when disjoint", "[boot][memory]") {
  BootInfo info;
  info.reset(BootProtocol::kPvh);
  REQUIRE(add_memory_range(info, 0x100000, 0x7ff00000, kRam) == Status::kOk);
  REQUIRE(add_memory_range(info, 0, 0x9fc00, kRam) == Status::kOk);
  REQUIRE(add_memory_range(info, 0xf0000, 0x10000, kRes) == Status::kOk);
  REQUIRE(add_memory_range(info, 0x9fc00, 0x400, kRes) == Status::kOk);
  REQUIRE(normalize_memory(info) == Status::kOk);
  REQUIRE(info.memory_count == 4);
  CHECK(info.memory[0].base == 0);
  CHECK(info.memory[1].base == 0x9fc00);
  CHECK(info.memory[2].base == 0xf0000);
  CHECK(info.memory[3].base == 0x100000);
  CHECK(info.memory[3].type == MemoryType::kUsable);
  CHECK(usable_bytes(info) == 0x9fc00 + 0x7ff00000);
}

TEST_CASE("memory ranges of one type that overlap or touch are merged", "[boot][memory]") {
  BootInfo info;
  info.reset(BootProtocol::kPvh);
  REQUIRE(add_memory_range(info, 0x1000, 0x3000, kRam) == Status::kOk);  // [1000, 4000)
  REQUIRE(add_memory_range(info, 0x2000, 0x1000, kRam) == Status::kOk);  // inside
  REQUIRE(add_memory_range(info, 0x3000, 0x3000, kRam) == Status::kOk);  // overlaps the end
  REQUIRE(add_memory_range(info, 0x6000, 0x1000, kRam) == Status::kOk);  // touches
  REQUIRE(add_memory_range(info, 0x7000, 0x1000, kRes) == Status::kOk);  // touches, other type
  REQUIRE(normalize_memory(info) == Status::kOk);
  REQUIRE(info.memory_count == 2);
  CHECK(info.memory[0].base == 0x1000);
  CHECK(info.memory[0].end() == 0x7000);
  CHECK(info.memory[1].base == 0x7000);
  CHECK(info.memory[1].type == MemoryType::kReserved);
  CHECK(usable_bytes(info) == 0x6000);  // counted once
}

TEST_CASE("memory ranges of different types that overlap are rejected", "[boot][memory]") {
  BootInfo info;
  info.reset(BootProtocol::kPvh);
  REQUIRE(add_memory_range(info, 0x100000, 0x100000, kRam) == Status::kOk);
  REQUIRE(add_memory_range(info, 0x1ff000, 0x2000, kRes) == Status::kOk);
  CHECK(normalize_memory(info) == Status::kMemoryRangesOverlap);

  info.reset(BootProtocol::kPvh);  // same base, different types
  REQUIRE(add_memory_range(info, 0x1000, 0x1000, kRes) == Status::kOk);
  REQUIRE(add_memory_range(info, 0x1000, 0x1000, kRam) == Status::kOk);
  CHECK(normalize_memory(info) == Status::kMemoryRangesOverlap);
}

TEST_CASE("memory ranges that wrap or reach above 2^52 are rejected", "[boot][memory]") {
  BootInfo info;
  info.reset(BootProtocol::kPvh);
  CHECK(add_memory_range(info, UINT64_MAX - 0xfff, 0x1000, kRam) == Status::kMemoryRangeWraps);
  CHECK(add_memory_range(info, 0x1000, UINT64_MAX, kRam) == Status::kMemoryRangeWraps);
  CHECK(add_memory_range(info, kMaxPhysicalAddress - 0x1000, 0x2000, kRam) ==
        Status::kMemoryRangeTooHigh);
  CHECK(add_memory_range(info, kMaxPhysicalAddress, 1, kRes) == Status::kMemoryRangeTooHigh);
  CHECK(add_memory_range(info, kMaxPhysicalAddress - 0x1000, 0x1000, kRam) == Status::kOk);
  CHECK(info.memory_count == 1);
}

TEST_CASE("zero-length memory entries are skipped and counted", "[boot][memory]") {
  BootInfo info;
  info.reset(BootProtocol::kPvh);
  REQUIRE(add_memory_range(info, 0x5000, 0, kRam) == Status::kOk);
  REQUIRE(add_memory_range(info, UINT64_MAX, 0, kRam) == Status::kOk);  // not even checked
  CHECK(info.memory_count == 0);
  CHECK(info.memory_skipped_empty == 2);
  CHECK(normalize_memory(info) == Status::kNoMemoryMap);
}

TEST_CASE("unknown memory types are kept as reserved and counted", "[boot][memory]") {
  BootInfo info;
  info.reset(BootProtocol::kPvh);
  REQUIRE(add_memory_range(info, 0x0, 0x1000, 6) == Status::kOk);  // e820 "disabled"
  REQUIRE(add_memory_range(info, 0x1000, 0x1000, 0xdead) == Status::kOk);
  REQUIRE(add_memory_range(info, 0x2000, 0x1000, 7) == Status::kOk);
  REQUIRE(add_memory_range(info, 0x3000, 0x1000, 3) == Status::kOk);
  REQUIRE(add_memory_range(info, 0x4000, 0x1000, 4) == Status::kOk);
  REQUIRE(add_memory_range(info, 0x5000, 0x1000, 5) == Status::kOk);
  REQUIRE(normalize_memory(info) == Status::kOk);
  CHECK(info.memory_unknown_types == 2);
  REQUIRE(info.memory_count == 5);  // the two reserved ones touch and merge
  CHECK(info.memory[0].type == MemoryType::kReserved);
  CHECK(info.memory[0].length == 0x2000);
  CHECK(info.memory[1].type == MemoryType::kPersistent);
  CHECK(info.memory[2].type == MemoryType::kAcpiReclaimable);
  CHECK(info.memory[3].type == MemoryType::kAcpiNvs);
  CHECK(info.memory[4].type == MemoryType::kUnusable);
  CHECK(usable_bytes(info) == 0);
}

TEST_CASE("more than 128 memory entries are rejected", "[boot][memory]") {
  BootInfo info;
  info.reset(BootProtocol::kPvh);
  for (uint64_t i = 0; i < kMaxMemoryRanges; ++i) {
    // Alternate types so that nothing merges.
    REQUIRE(add_memory_range(info, i * 0x1000, 0x1000, i % 2 == 0 ? kRam : kRes) == Status::kOk);
  }
  CHECK(add_memory_range(info, 0x10000000, 0x1000, kRam) == Status::kTooManyMemoryRanges);
  REQUIRE(normalize_memory(info) == Status::kOk);
  CHECK(info.memory_count == kMaxMemoryRanges);
}

TEST_CASE("a reversed memory map of 128 entries sorts", "[boot][memory]") {
  BootInfo info;
  info.reset(BootProtocol::kPvh);
  for (uint64_t i = kMaxMemoryRanges; i-- > 0;) {
    REQUIRE(add_memory_range(info, i * 0x2000, 0x1000, kRam) == Status::kOk);
  }
  REQUIRE(normalize_memory(info) == Status::kOk);
  REQUIRE(info.memory_count == kMaxMemoryRanges);
  for (size_t i = 1; i < info.memory_count; ++i) {
    CHECK(info.memory[i - 1].end() < info.memory[i].base);
  }
  CHECK(usable_bytes(info) == kMaxMemoryRanges * 0x1000);
}

TEST_CASE("read_c_string copies within its bounds", "[boot][string]") {
  FakePhys mem;
  mem.add_string(0x1000, "console=ttyS0");
  mem.add(0x2000, std::vector<uint8_t>(16, 'x'));  // no NUL, and nothing readable after
  mem.add(0x3000, std::vector<uint8_t>{'a', 'b', 'c', 'd', 0});
  char buf[8];
  size_t len = 99;

  CHECK(read_c_string(mem, 0x1000, UINT64_MAX, buf, sizeof(buf), len, Status::kCmdlineTooLong,
                      Status::kCmdlineUnterminated) == Status::kCmdlineTooLong);
  CHECK(len == 0);
  CHECK(buf[0] == '\0');

  char big[64];
  REQUIRE(read_c_string(mem, 0x1000, UINT64_MAX, big, sizeof(big), len, Status::kCmdlineTooLong,
                        Status::kCmdlineUnterminated) == Status::kOk);
  CHECK(std::string(big) == "console=ttyS0");
  CHECK(len == 13);

  CHECK(read_c_string(mem, 0x2000, UINT64_MAX, big, sizeof(big), len, Status::kCmdlineTooLong,
                      Status::kCmdlineUnterminated) == Status::kUnreadable);
  CHECK(big[0] == '\0');

  // The limit is where reading stops: "abcd" needs 5 bytes with its NUL.
  mem.clear_log();
  CHECK(read_c_string(mem, 0x3000, 4, big, sizeof(big), len, Status::kCmdlineTooLong,
                      Status::kCmdlineUnterminated) == Status::kCmdlineUnterminated);
  CHECK(mem.all_reads_within(0x3000, 4));
  CHECK(read_c_string(mem, 0x3000, 5, big, sizeof(big), len, Status::kCmdlineTooLong,
                      Status::kCmdlineUnterminated) == Status::kOk);
  CHECK(str({big, len}) == "abcd");
  // Exactly fitting: 4 characters and the NUL in a 5-byte buffer.
  char five[5];
  CHECK(read_c_string(mem, 0x3000, UINT64_MAX, five, sizeof(five), len, Status::kCmdlineTooLong,
                      Status::kCmdlineUnterminated) == Status::kOk);
  CHECK(len == 4);
  // A string at the top of the address space does not wrap to address 0.
  mem.add(0, std::vector<uint8_t>{'z', 0});
  mem.add(UINT64_MAX, std::vector<uint8_t>{'y'});
  CHECK(read_c_string(mem, UINT64_MAX, UINT64_MAX, big, sizeof(big), len, Status::kCmdlineTooLong,
                      Status::kCmdlineUnterminated) == Status::kUnreadable);
}

TEST_CASE("every status has its own message", "[boot]") {
  std::set<std::string> seen;
  for (uint32_t s = 0; s <= static_cast<uint32_t>(Status::kMb2ModuleEndBeforeStart); ++s) {
    const char* m = describe(static_cast<Status>(s));
    REQUIRE(m != nullptr);
    CHECK(seen.insert(m).second);
  }
  CHECK(std::string(describe(static_cast<Status>(999))) == "unknown boot information status");
}

TEST_CASE("boot info copies stay valid", "[boot]") {
  BootInfo a;
  a.reset(BootProtocol::kMultiboot2);
  a.cmdline_storage[0] = 'x';
  a.cmdline_length = 1;
  const BootInfo b = a;
  a.cmdline_storage[0] = 'y';
  CHECK(str(b.cmdline()) == "x");
}
