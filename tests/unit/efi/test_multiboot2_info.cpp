// The boot information rootstock.efi hands hv (efi/multiboot2_info.hpp), read back with hv's own
// Multiboot2 parser (rootstock/boot/multiboot2.hpp): what the loader writes is exactly what hv
// takes from GRUB — command line, modules, memory map, the RSDP copy — and the builder never
// writes past its buffer.
#include "multiboot2_info.hpp"

#include <rootstock/acpi/rsdp.hpp>
#include <rootstock/boot/multiboot2.hpp>

#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "byte_image.hpp"
#include "fake_phys.hpp"
#include "framebuffer_fixture.hpp"
#include "memory_map.hpp"

using namespace rootstock;
using namespace rootstock::efi;
using rootstock::testing::FakePhys;
namespace mb2 = rootstock::boot::mb2;

namespace {

constexpr uint64_t kMbi = 0x7f000;

std::string str(Text t) {
  return {t.data, t.size};
}

std::vector<uint8_t> rsdp_bytes(uint8_t revision) {
  acpi::Rsdp r{};
  std::memcpy(r.signature, "RSD PTR ", 8);
  std::memcpy(r.oem_id, "BOCHS ", 6);
  r.revision = revision;
  r.rsdt_address = 0x3fffe000;
  r.length = sizeof(r);
  r.xsdt_address = 0x3fffd000;
  auto* b = reinterpret_cast<uint8_t*>(&r);
  uint8_t sum = 0;
  for (size_t i = 0; i < acpi::kRsdpV1Length; ++i) sum = static_cast<uint8_t>(sum + b[i]);
  r.checksum = static_cast<uint8_t>(-sum);
  sum = 0;
  for (size_t i = 0; i < sizeof(r); ++i) sum = static_cast<uint8_t>(sum + b[i]);
  r.extended_checksum = static_cast<uint8_t>(-sum);
  const size_t n = revision >= 2 ? sizeof(r) : acpi::kRsdpV1Length;
  return {b, b + n};
}

struct Built {
  InfoStatus status;
  std::vector<uint8_t> bytes;  // exactly total_size bytes
};

// Builds into an 8-aligned buffer of `capacity` bytes followed by canaries that must survive.
Built build(const InfoInputs& in, size_t capacity = 16384) {
  std::vector<uint64_t> storage(capacity / 8 + 8, 0x5a5a5a5a5a5a5a5aull);
  auto* buffer = reinterpret_cast<uint8_t*>(storage.data());
  size_t size = 0;
  const InfoStatus s = build_multiboot2_info(in, buffer, capacity, size);
  for (size_t i = capacity; i < storage.size() * 8; ++i) REQUIRE(buffer[i] == 0x5a);
  return {s, std::vector<uint8_t>(buffer, buffer + size)};
}

boot::BootInfo parse(const std::vector<uint8_t>& mbi, boot::Status& status) {
  FakePhys phys;
  phys.add(kMbi, mbi);
  boot::BootInfo info;
  status = boot::parse_multiboot2(phys, kMbi, info);
  CHECK(phys.all_reads_within(kMbi, mbi.size()));
  return info;
}

// The offset of the first tag of `type` in the MBI, or 0.
size_t find_tag(const std::vector<uint8_t>& mbi, mb2::TagType type) {
  for (size_t at = 8; at + 8 <= mbi.size();) {
    mb2::Tag t;
    std::memcpy(&t, mbi.data() + at, sizeof(t));
    if (t.type == static_cast<uint32_t>(type)) return at;
    if (t.type == 0) break;
    at = (at + t.size + 7) & ~size_t{7};
  }
  return 0;
}

const MemoryRange kMemory[] = {
    {0x0, 0xa0000, MemoryType::kUsable},
    {0x100000, 0x706000, MemoryType::kUsable},
    {0x806000, 0x2000, MemoryType::kAcpiNvs},
    {0x900000, 0x3f700000, MemoryType::kUsable},
    {0x40000000, 0x10000, MemoryType::kAcpiReclaimable},
    {0xffc00000, 0x400000, MemoryType::kReserved},
};
const Module kModules[] = {{0x3c000000, 4183040, "kernel"}, {0x3d000000, 7643504, "initramfs"}};

InfoInputs appliance_inputs(const std::vector<uint8_t>& rsdp) {
  InfoInputs in;
  in.cmdline = "console=ttyS0 loglevel=5 hv.loglevel=debug rootstock.vm=off";
  in.loader_name = "rootstock.efi 0.1.0";
  in.modules = kModules;
  in.module_count = 2;
  in.memory = kMemory;
  in.memory_count = std::size(kMemory);
  in.rsdp = rsdp.data();
  in.rsdp_size = rsdp.size();
  return in;
}

}  // namespace

TEST_CASE("hv's parser reads back everything the loader writes") {
  const std::vector<uint8_t> rsdp = rsdp_bytes(2);
  const Built b = build(appliance_inputs(rsdp));
  REQUIRE(b.status == InfoStatus::kOk);
  CHECK(b.bytes.size() % 8 == 0);

  boot::Status s;
  const boot::BootInfo info = parse(b.bytes, s);
  REQUIRE(s == boot::Status::kOk);
  CHECK(info.protocol == boot::BootProtocol::kMultiboot2);
  CHECK(str(info.cmdline()) == "console=ttyS0 loglevel=5 hv.loglevel=debug rootstock.vm=off");
  REQUIRE(info.module_count == 2);
  CHECK(info.modules[0].base == 0x3c000000);
  CHECK(info.modules[0].size == 4183040);
  CHECK(str(info.modules[0].cmdline()) == "kernel");
  CHECK(info.modules[1].base == 0x3d000000);
  CHECK(info.modules[1].size == 7643504);
  CHECK(str(info.modules[1].cmdline()) == "initramfs");
  REQUIRE(info.memory_count == std::size(kMemory));
  for (size_t i = 0; i < info.memory_count; ++i) {
    CHECK(info.memory[i].base == kMemory[i].base);
    CHECK(info.memory[i].length == kMemory[i].length);
    CHECK(info.memory[i].type == kMemory[i].type);
  }
  CHECK(info.memory_unknown_types == 0);
  // The RSDP is the copy in the new ACPI tag, byte for byte, and hv's ACPI code accepts it.
  const size_t acpi = find_tag(b.bytes, mb2::TagType::kAcpiNew);
  REQUIRE(acpi != 0);
  CHECK(info.rsdp == kMbi + acpi + sizeof(mb2::Tag));
  CHECK(std::memcmp(b.bytes.data() + acpi + 8, rsdp.data(), rsdp.size()) == 0);
  FakePhys phys;
  phys.add(kMbi, b.bytes);
  acpi::RsdpInfo r;
  REQUIRE(acpi::read_rsdp(phys, info.rsdp, r) == acpi::Status::kOk);
  CHECK(r.xsdt_address == 0x3fffd000);
  // The loader's name (3.6.9), which hv does not read.
  const size_t name = find_tag(b.bytes, mb2::TagType::kBootLoaderName);
  REQUIRE(name != 0);
  CHECK(std::string(reinterpret_cast<const char*>(b.bytes.data() + name + 8)) ==
        "rootstock.efi 0.1.0");
}

TEST_CASE("an ACPI 1.0 RSDP goes in the old ACPI tag, none gives no tag") {
  const std::vector<uint8_t> v1 = rsdp_bytes(0);
  InfoInputs in = appliance_inputs(v1);
  Built b = build(in);
  REQUIRE(b.status == InfoStatus::kOk);
  CHECK(find_tag(b.bytes, mb2::TagType::kAcpiNew) == 0);
  const size_t old_tag = find_tag(b.bytes, mb2::TagType::kAcpiOld);
  REQUIRE(old_tag != 0);
  boot::Status s;
  CHECK(parse(b.bytes, s).rsdp == kMbi + old_tag + 8);
  CHECK(s == boot::Status::kOk);

  in.rsdp = nullptr;
  in.rsdp_size = 0;
  b = build(in);
  REQUIRE(b.status == InfoStatus::kOk);
  CHECK(find_tag(b.bytes, mb2::TagType::kAcpiOld) == 0);
  CHECK(parse(b.bytes, s).rsdp == 0);
}

TEST_CASE("the framebuffer tag carries GOP's framebuffer as direct RGB (3.6.12)") {
  const std::vector<uint8_t> rsdp = rsdp_bytes(2);
  InfoInputs in = appliance_inputs(rsdp);
  boot::Framebuffer fb = rootstock::testing::gop_framebuffer();
  in.framebuffer = &fb;
  const Built b = build(in);
  REQUIRE(b.status == InfoStatus::kOk);
  const size_t at = find_tag(b.bytes, mb2::TagType::kFramebuffer);
  REQUIRE(at != 0);
  mb2::FramebufferTag t{};
  std::memcpy(&t, b.bytes.data() + at, mb2::kFramebufferRgbTagSize);
  CHECK(t.size == 38);
  CHECK(t.framebuffer_addr == 0x80000000);
  CHECK(t.framebuffer_pitch == 5120);
  CHECK(t.framebuffer_width == 1280);
  CHECK(t.framebuffer_height == 800);
  CHECK(t.framebuffer_bpp == 32);
  CHECK(t.framebuffer_type == 1);
  CHECK(t.red_field_position == 16);
  CHECK(t.green_field_position == 8);
  CHECK(t.blue_field_position == 0);
  CHECK(t.blue_mask_size == 8);
  // hv reads it back as it was given.
  boot::Status s;
  const boot::BootInfo info = parse(b.bytes, s);
  REQUIRE(s == boot::Status::kOk);
  CHECK(info.module_count == 2);
  REQUIRE(info.framebuffer.present);
  CHECK(info.framebuffer.address == 0x80000000);
  CHECK(info.framebuffer.pitch == 5120);
  CHECK(info.framebuffer.width == 1280);
  CHECK(info.framebuffer.height == 800);
  CHECK(info.framebuffer.bpp == 32);
  CHECK(info.framebuffer.red_position == 16);
  CHECK(info.framebuffer.blue_size == 8);

  // One not present gives no tag.
  fb.present = false;
  CHECK(find_tag(build(in).bytes, mb2::TagType::kFramebuffer) == 0);
}

TEST_CASE("a converted firmware map passes through the tag into hv unchanged") {
  std::vector<MemoryDescriptor> descs;
  for (uint64_t i = 0; i < 300; ++i) {
    // OVMF-like fragmentation: runs of boot services and conventional memory, which merge.
    const auto type =
        i % 3 == 0 ? EfiMemoryType::kBootServicesData : EfiMemoryType::kConventionalMemory;
    descs.push_back({static_cast<uint32_t>(type), 0, 0x100000 + i * 0x3000, 0, 3, 0xf});
  }
  descs.push_back(
      {static_cast<uint32_t>(EfiMemoryType::kRuntimeServicesCode), 0, 0x1000000, 0, 4, 0});
  std::vector<MemoryRange> ranges(512);
  size_t count = 0;
  MapError e;
  REQUIRE(convert_memory_map(descs.data(), descs.size() * sizeof(MemoryDescriptor),
                             sizeof(MemoryDescriptor), ranges.data(), ranges.size(), count,
                             e) == MapStatus::kOk);
  REQUIRE(count == 2);
  InfoInputs in;
  in.memory = ranges.data();
  in.memory_count = count;
  const Built b = build(in);
  REQUIRE(b.status == InfoStatus::kOk);
  boot::Status s;
  const boot::BootInfo info = parse(b.bytes, s);
  REQUIRE(s == boot::Status::kOk);
  REQUIRE(info.memory_count == 2);
  CHECK(info.memory[0].base == 0x100000);
  CHECK(info.memory[0].length == 300 * 0x3000);
  CHECK(info.memory[1].type == MemoryType::kReserved);
  CHECK(str(info.cmdline()).empty());
}

TEST_CASE("the builder never writes past its buffer and says when it does not fit") {
  const std::vector<uint8_t> rsdp = rsdp_bytes(2);
  const InfoInputs in = appliance_inputs(rsdp);
  const Built full = build(in);
  REQUIRE(full.status == InfoStatus::kOk);
  for (size_t capacity = 0; capacity < full.bytes.size(); capacity += 8) {
    CAPTURE(capacity);
    const Built b = build(in, capacity);  // canaries checked inside
    CHECK(b.status == InfoStatus::kBufferTooSmall);
    CHECK(b.bytes.empty());
  }
  CHECK(build(in, full.bytes.size()).status == InfoStatus::kOk);
}

TEST_CASE("inputs hv could not use are refused before anything is written") {
  const std::vector<uint8_t> rsdp = rsdp_bytes(2);
  SECTION("a module at or above 4 GiB, or reaching past it") {
    const Module high[] = {{0x100000000, 0x1000, "kernel"}};
    const Module crossing[] = {{0xfffff000, 0x2000, "initramfs"}};
    InfoInputs in = appliance_inputs(rsdp);
    in.modules = high;
    in.module_count = 1;
    CHECK(build(in).status == InfoStatus::kModuleAbove4GiB);
    in.modules = crossing;
    CHECK(build(in).status == InfoStatus::kModuleAbove4GiB);
  }
  SECTION("more memory ranges than hv takes") {
    std::vector<MemoryRange> many(boot::kMaxMemoryRanges + 1);
    for (size_t i = 0; i < many.size(); ++i) {
      many[i] = {i * 0x2000, 0x1000, MemoryType::kUsable};
    }
    InfoInputs in = appliance_inputs(rsdp);
    in.memory = many.data();
    in.memory_count = boot::kMaxMemoryRanges;
    CHECK(build(in).status == InfoStatus::kOk);
    in.memory_count = many.size();
    CHECK(build(in).status == InfoStatus::kTooManyMemoryRanges);
  }
  SECTION("an RSDP copy of a size no RSDP has") {
    std::vector<uint8_t> bytes(4097, 0);
    for (size_t n : {1u, 19u, 21u, 35u, 4097u}) {
      InfoInputs in = appliance_inputs(rsdp);
      in.rsdp = bytes.data();
      in.rsdp_size = n;
      CHECK(build(in).status == InfoStatus::kRsdpSizeInvalid);
    }
  }
  SECTION("a buffer that is not 8-byte aligned") {
    std::vector<uint64_t> storage(1024);
    size_t size = 1;
    CHECK(build_multiboot2_info(appliance_inputs(rsdp),
                                reinterpret_cast<uint8_t*>(storage.data()) + 4, 4096,
                                size) == InfoStatus::kBufferMisaligned);
    CHECK(size == 0);
  }
}
