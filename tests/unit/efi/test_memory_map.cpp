// The firmware's memory map to e820 (efi/memory_map.hpp): every UEFI type maps as Linux's EFI
// stub maps it, OVMF's fragmented map shrinks to a handful of ranges, the descriptor stride is
// the firmware's, and odd maps are refused with the descriptor named.
#include "memory_map.hpp"

#include <catch2/catch_test_macros.hpp>
#include <vector>

#include "byte_image.hpp"

using namespace rootstock;
using namespace rootstock::efi;
using rootstock::testing::ByteImage;
using E820 = rootstock::MemoryType;
using T = EfiMemoryType;

namespace {

struct Desc {
  T type;
  uint64_t start;
  uint64_t pages;
  uint64_t attribute = 0xf;
};

// The map as GetMemoryMap returns it: descriptors `stride` bytes apart (extra bytes 0xee).
ByteImage map_of(const std::vector<Desc>& descs, size_t stride = sizeof(MemoryDescriptor)) {
  ByteImage map(descs.size() * stride, 0xee);
  for (size_t i = 0; i < descs.size(); ++i) {
    const MemoryDescriptor d{static_cast<uint32_t>(descs[i].type),
                             0,
                             descs[i].start,
                             0,
                             descs[i].pages,
                             descs[i].attribute};
    map.put(i * stride, d);
  }
  return map;
}

struct Result {
  MapStatus status;
  std::vector<MemoryRange> ranges;
  uint64_t index;
};

Result convert(const ByteImage& map, size_t stride = sizeof(MemoryDescriptor),
               size_t capacity = 64) {
  std::vector<MemoryRange> out(capacity);
  size_t count = 0;
  MapError error;
  const MapStatus s =
      convert_memory_map(map.data(), map.size(), stride, out.data(), capacity, count, error);
  out.resize(count);
  return {s, out, error.index};
}

bool same(const std::vector<MemoryRange>& a, const std::vector<MemoryRange>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].base != b[i].base || a[i].length != b[i].length || a[i].type != b[i].type) {
      return false;
    }
  }
  return true;
}

constexpr uint64_t kPage = 4096;

}  // namespace

TEST_CASE("every UEFI memory type has the e820 type Linux's EFI stub gives it") {
  CHECK(e820_type(0, 0) == E820::kReserved);  // EfiReservedMemoryType
  CHECK(e820_type(1, 0) == E820::kUsable);    // LoaderCode
  CHECK(e820_type(2, 0) == E820::kUsable);    // LoaderData
  CHECK(e820_type(3, 0) == E820::kUsable);    // BootServicesCode
  CHECK(e820_type(4, 0) == E820::kUsable);    // BootServicesData
  CHECK(e820_type(5, 0) == E820::kReserved);  // RuntimeServicesCode: the root must keep off
  CHECK(e820_type(6, 0) == E820::kReserved);  // RuntimeServicesData
  CHECK(e820_type(7, 0) == E820::kUsable);    // ConventionalMemory
  CHECK(e820_type(8, 0) == E820::kUnusable);  // UnusableMemory
  CHECK(e820_type(9, 0) == E820::kAcpiReclaimable);
  CHECK(e820_type(10, 0) == E820::kAcpiNvs);
  CHECK(e820_type(11, 0) == E820::kReserved);  // MemoryMappedIO
  CHECK(e820_type(12, 0) == E820::kReserved);  // MemoryMappedIOPortSpace
  CHECK(e820_type(13, 0) == E820::kReserved);  // PalCode
  CHECK(e820_type(14, 0) == E820::kPersistent);
  CHECK(e820_type(15, 0) == E820::kReserved);  // UnacceptedMemoryType
  CHECK(e820_type(16, 0) == E820::kReserved);
  CHECK(e820_type(0x70000000, 0) == E820::kReserved);  // OEM range
  CHECK(e820_type(0x80000000, 0) == E820::kReserved);  // OS loader range
  // Specific-purpose RAM is for a driver, not the OS's general use.
  CHECK(e820_type(7, memory_attribute::kSpecificPurpose) == E820::kReserved);
  CHECK(e820_type(4, memory_attribute::kSpecificPurpose | 0xf) == E820::kReserved);
  // The runtime attribute on RAM types does not change them; runtime types stay reserved.
  CHECK(e820_type(6, memory_attribute::kRuntime) == E820::kReserved);
}

TEST_CASE("OVMF's fragmented map becomes a few e820 ranges") {
  // The start of OVMF 2022.11's map under QEMU q35 with 1 GiB (UEFI shell `memmap`), plus its
  // runtime and ACPI ranges near the top of RAM and the flash MMIO.
  const ByteImage map = map_of({
      {T::kConventionalMemory, 0x0, 0x87},
      {T::kBootServicesData, 0x87000, 0x1},
      {T::kConventionalMemory, 0x88000, 0x18},
      {T::kConventionalMemory, 0x100000, 0x706},
      {T::kAcpiMemoryNvs, 0x806000, 0x2},
      {T::kConventionalMemory, 0x808000, 0x8},
      {T::kAcpiMemoryNvs, 0x810000, 0xf0},
      {T::kBootServicesData, 0x900000, 0xc00},
      {T::kConventionalMemory, 0x1500000, 0x3a66d},
      {T::kBootServicesData, 0x3bb6d000, 0x20},
      {T::kConventionalMemory, 0x3bb8d000, 0x260a},
      {T::kLoaderCode, 0x3e197000, 0xd7},
      {T::kBootServicesCode, 0x3e26e000, 0x59},
      {T::kRuntimeServicesData, 0x3e2c7000, 0x1e},
      {T::kBootServicesData, 0x3e2e5000, 0x1b},
      {T::kAcpiReclaimMemory, 0x3e300000, 0x10},
      {T::kAcpiMemoryNvs, 0x3e310000, 0x4},
      {T::kRuntimeServicesCode, 0x3e314000, 0x2c},
      {T::kBootServicesData, 0x3e340000, 0x1cc0},
      {T::kReservedMemoryType, 0xffc00000, 0x400, 0x8000000000000001},
  });
  const Result r = convert(map);
  REQUIRE(r.status == MapStatus::kOk);
  const std::vector<MemoryRange> want = {
      {0x0, 0xa0000, E820::kUsable},
      {0x100000, 0x706000, E820::kUsable},
      {0x806000, 0x2000, E820::kAcpiNvs},
      {0x808000, 0x8000, E820::kUsable},
      {0x810000, 0xf0000, E820::kAcpiNvs},
      {0x900000, 0x3e2c7000 - 0x900000, E820::kUsable},
      {0x3e2c7000, 0x1e000, E820::kReserved},
      {0x3e2e5000, 0x1b000, E820::kUsable},
      {0x3e300000, 0x10000, E820::kAcpiReclaimable},
      {0x3e310000, 0x4000, E820::kAcpiNvs},
      {0x3e314000, 0x2c000, E820::kReserved},
      {0x3e340000, 0x1cc0000, E820::kUsable},
      {0xffc00000, 0x400000, E820::kReserved},
  };
  CHECK(same(r.ranges, want));
}

TEST_CASE("descriptors are read at the firmware's stride, not the structure's size") {
  const std::vector<Desc> descs = {{T::kConventionalMemory, 0x100000, 16},
                                   {T::kAcpiReclaimMemory, 0x200000, 1}};
  for (size_t stride : {40u, 48u, 56u, 128u, 1024u}) {
    const Result r = convert(map_of(descs, stride), stride);
    REQUIRE(r.status == MapStatus::kOk);
    CHECK(same(r.ranges,
               {{0x100000, 16 * kPage, E820::kUsable}, {0x200000, kPage, E820::kAcpiReclaimable}}));
  }
}

TEST_CASE("an unsorted map comes out sorted, neighbours merged across the order") {
  const ByteImage map = map_of({
      {T::kConventionalMemory, 0x300000, 0x100},
      {T::kConventionalMemory, 0x100000, 0x100},
      {T::kAcpiMemoryNvs, 0x500000, 1},
      {T::kBootServicesData, 0x200000, 0x100},  // joins the two RAM ranges into one
      {T::kLoaderData, 0x400000, 0x100},
  });
  const Result r = convert(map);
  REQUIRE(r.status == MapStatus::kOk);
  CHECK(same(r.ranges, {{0x100000, 0x400000, E820::kUsable}, {0x500000, kPage, E820::kAcpiNvs}}));
}

TEST_CASE("a range touching one of another type on each side goes between them") {
  const ByteImage map = map_of({
      {T::kAcpiMemoryNvs, 0x100000, 1},
      {T::kRuntimeServicesData, 0x102000, 1},
      {T::kConventionalMemory, 0x101000, 1},
  });
  const Result r = convert(map);
  REQUIRE(r.status == MapStatus::kOk);
  CHECK(same(r.ranges, {{0x100000, kPage, E820::kAcpiNvs},
                        {0x101000, kPage, E820::kUsable},
                        {0x102000, kPage, E820::kReserved}}));
}

TEST_CASE("same-type overlaps merge, empty descriptors are skipped") {
  const ByteImage map = map_of({
      {T::kConventionalMemory, 0x100000, 0x10},
      {T::kBootServicesCode, 0x108000, 0x10},
      {T::kConventionalMemory, 0x200000, 0},
      {T::kAcpiMemoryNvs, 0x300000, 0},
  });
  const Result r = convert(map);
  REQUIRE(r.status == MapStatus::kOk);
  CHECK(same(r.ranges, {{0x100000, 0x18000, E820::kUsable}}));
}

TEST_CASE("odd firmware maps are refused, naming the descriptor") {
  SECTION("descriptors of different types overlap") {
    const Result r = convert(map_of({{T::kConventionalMemory, 0x100000, 0x10},
                                     {T::kConventionalMemory, 0x400000, 0x10},
                                     {T::kRuntimeServicesCode, 0x10f000, 2}}));
    CHECK(r.status == MapStatus::kRangesOverlap);
    CHECK(r.index == 2);
  }
  SECTION("a runtime range inside RAM") {
    const Result r = convert(
        map_of({{T::kRuntimeServicesData, 0x104000, 1}, {T::kConventionalMemory, 0x100000, 0x10}}));
    CHECK(r.status == MapStatus::kRangesOverlap);
    CHECK(r.index == 1);
  }
  SECTION("not page-aligned") {
    const Result r = convert(
        map_of({{T::kConventionalMemory, 0x100000, 1}, {T::kConventionalMemory, 0x200800, 1}}));
    CHECK(r.status == MapStatus::kMisaligned);
    CHECK(r.index == 1);
  }
  SECTION("an end that wraps past 2^64") {
    const Result r = convert(map_of({{T::kConventionalMemory, 0xfffffffffff00000, 0x100}}));
    CHECK(r.status == MapStatus::kRangeWraps);
  }
  SECTION("a page count so large its byte count overflows") {
    const Result r = convert(map_of({{T::kConventionalMemory, 0x1000, uint64_t{1} << 60}}));
    CHECK(r.status == MapStatus::kRangeWraps);
  }
  SECTION("above 2^52") {
    const Result r = convert(map_of({{T::kConventionalMemory, uint64_t{1} << 52, 1}}));
    CHECK(r.status == MapStatus::kRangeTooHigh);
  }
  SECTION("no usable RAM") {
    const Result r = convert(map_of({{T::kRuntimeServicesCode, 0x100000, 1}}));
    CHECK(r.status == MapStatus::kNoUsableMemory);
  }
  SECTION("an empty map") {
    CHECK(convert(ByteImage()).status == MapStatus::kNoUsableMemory);
  }
}

TEST_CASE("descriptor and map sizes the specification cannot mean are refused") {
  const ByteImage map = map_of({{T::kConventionalMemory, 0x100000, 1}}, 48);
  for (uint64_t stride : {0u, 8u, 32u, 44u, 1032u}) {
    std::vector<MemoryRange> out(4);
    size_t count = 7;
    MapError e;
    CHECK(convert_memory_map(map.data(), 48, stride, out.data(), out.size(), count, e) ==
          MapStatus::kDescriptorSizeInvalid);
    CHECK(count == 0);
  }
  std::vector<MemoryRange> out(4);
  size_t count = 0;
  MapError e;
  CHECK(convert_memory_map(map.data(), 47, 48, out.data(), out.size(), count, e) ==
        MapStatus::kMapSizeInvalid);
  CHECK(convert_memory_map(map.data(), (kMaxDescriptors + 1) * 40, 40, out.data(), out.size(),
                           count, e) == MapStatus::kTooManyDescriptors);
}

TEST_CASE("a map with more distinct ranges than the output holds is refused") {
  std::vector<Desc> descs;
  for (uint64_t i = 0; i < 10; ++i) {
    descs.push_back(
        {i % 2 == 0 ? T::kConventionalMemory : T::kAcpiMemoryNvs, 0x100000 + i * kPage, 1});
  }
  CHECK(convert(map_of(descs), 40, 10).status == MapStatus::kOk);
  const Result r = convert(map_of(descs), 40, 9);
  CHECK(r.status == MapStatus::kTooManyRanges);
  CHECK(r.index == 9);
}
