// The zero page (boot_params) for the Linux 64-bit boot protocol (boot.rst "64-bit Boot
// Protocol", zero-page.rst): what a kernel reads at each documented offset after
// build_zero_page, the setup header copied exactly as long as the image declares, the e820
// table and its limits, the command line and initrd rules, and the kernel's load address.
#include <rootstock/linux_boot/zero_page.hpp>

#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "framebuffer_fixture.hpp"

using namespace rootstock;
using namespace rootstock::linux_boot;

namespace {

constexpr uint64_t k4GiB = uint64_t{1} << 32;
constexpr uint64_t kPref = 0x1000000;
constexpr uint64_t kAlign = 0x200000;
constexpr uint32_t kInitSize = 0x800000;

// A kernel as parse_bzimage describes a Linux 6.12 bzImage, with junk in the fields a loader
// owns (the builder must overwrite them, never pass them on).
BzImage kernel(uint16_t xflags = xloadflags::kKernel64 | xloadflags::kCanBeLoadedAbove4G) {
  BzImage k;
  SetupHeader& h = k.header;
  h.setup_sects = 0x1b;
  h.syssize = 0x1000 / 16;
  h.vid_mode = 0xffff;
  h.boot_flag = kBootFlag;
  h.jump = 0x6aeb;
  h.header = kHeaderMagic;
  h.version = 0x020f;
  h.kernel_version = 0x3d40;
  h.type_of_loader = 0x42;
  h.loadflags = loadflags::kLoadedHigh | loadflags::kKaslr | loadflags::kKeepSegments;
  h.code32_start = 0x100000;
  h.ramdisk_image = 0xdeadbeef;
  h.ramdisk_size = 0xdeadbeef;
  h.cmd_line_ptr = 0xdeadbeef;
  h.initrd_addr_max = 0x7fffffff;
  h.kernel_alignment = kAlign;
  h.relocatable_kernel = 1;
  h.min_alignment = 21;
  h.xloadflags = xflags;
  h.cmdline_size = 2047;
  h.hardware_subarch = 2;
  h.payload_offset = 0x3c5;
  h.payload_length = 0x800;
  h.setup_data = 0x12345678;
  h.pref_address = kPref;
  h.init_size = kInitSize;
  h.handover_offset = 0x190;
  h.kernel_info_offset = 0x4321;
  k.header_size = 0x26c - kSetupHeaderOffset;
  k.kernel_offset = 0x1c * kSectorSize;
  k.kernel_size = 0x1000;
  k.version = h.version;
  k.kernel_alignment = h.kernel_alignment;
  k.pref_address = h.pref_address;
  k.init_size = h.init_size;
  k.relocatable = true;
  k.entry64 = true;
  k.cmdline_size = h.cmdline_size;
  k.initrd_addr_max = h.initrd_addr_max;
  k.xloadflags = xflags;
  return k;
}

// QEMU's e820 for a 2 GiB q35 machine.
const std::vector<MemoryRange> kQemuMap = {
    {0, 0x9fc00, MemoryType::kUsable},
    {0x9fc00, 0x400, MemoryType::kReserved},
    {0xf0000, 0x10000, MemoryType::kReserved},
    {0x100000, 0x7fee0000, MemoryType::kUsable},
    {0x7ffe0000, 0x20000, MemoryType::kReserved},
    {0xb0000000, 0x10000000, MemoryType::kReserved},
    {0xfed1c000, 0x4000, MemoryType::kReserved},
    {0xfffc0000, 0x40000, MemoryType::kReserved},
};

// The same with 4 GiB of RAM above the PCI hole.
const std::vector<MemoryRange> kHighMap = {
    {0, 0x9fc00, MemoryType::kUsable},
    {0x100000, 0x7fee0000, MemoryType::kUsable},
    {0xb0000000, 0x10000000, MemoryType::kReserved},
    {k4GiB, k4GiB, MemoryType::kUsable},
};

struct Setup {
  std::vector<MemoryRange> map = kQemuMap;
  ZeroPageInputs in;

  Setup() {
    in.kernel_address = kPref;
    in.zero_page_address = 0x7000;
    in.cmdline_address = 0x20000;
    in.cmdline = "console=ttyS0 rootstock.selftest=init";
    in.initrd_address = 0x7000000;
    in.initrd_size = 0x123456;
    in.acpi_rsdp_address = 0xf5a40;
    in.memory = map.data();
    in.memory_count = map.size();
  }
  // Re-points the inputs at `m`.
  void use_map(const std::vector<MemoryRange>& m) {
    map = m;
    in.memory = map.data();
    in.memory_count = map.size();
  }
};

const uint8_t* bytes(const BootParams& bp) {
  return reinterpret_cast<const uint8_t*>(&bp);
}

uint64_t at(const BootParams& bp, size_t offset, size_t size) {
  uint64_t v = 0;
  std::memcpy(&v, bytes(bp) + offset, size);
  return v;
}

Status build(const BzImage& k, const ZeroPageInputs& in, BootParams& bp) {
  return build_zero_page(k, in, bp);
}

Status build(const BzImage& k, const ZeroPageInputs& in) {
  BootParams bp;
  return build_zero_page(k, in, bp);
}

std::vector<uint8_t> read_file(const char* path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return {};
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("the kernel finds each value at its documented zero-page offset", "[linux-boot]") {
  Setup s;
  BootParams bp;
  REQUIRE(build(kernel(), s.in, bp) == Status::kOk);

  // Written by the loader (boot.rst "Details of Header Fields", zero-page.rst).
  CHECK(at(bp, 0x070, 8) == 0xf5a40);    // acpi_rsdp_addr
  CHECK(at(bp, 0x0c0, 4) == 0);          // ext_ramdisk_image
  CHECK(at(bp, 0x0c4, 4) == 0);          // ext_ramdisk_size
  CHECK(at(bp, 0x0c8, 4) == 0);          // ext_cmd_line_ptr
  CHECK(at(bp, 0x1e8, 1) == 8);          // e820_entries
  CHECK(at(bp, 0x1ef, 1) == 0);          // sentinel
  CHECK(at(bp, 0x210, 1) == 0xff);       // type_of_loader: undefined
  CHECK(at(bp, 0x211, 1) == 0x81);       // loadflags: LOADED_HIGH | CAN_USE_HEAP
  CHECK(at(bp, 0x214, 4) == kPref);      // code32_start
  CHECK(at(bp, 0x218, 4) == 0x7000000);  // ramdisk_image
  CHECK(at(bp, 0x21c, 4) == 0x123456);   // ramdisk_size
  CHECK(at(bp, 0x224, 2) == 0xde00);     // heap_end_ptr
  CHECK(at(bp, 0x226, 2) == 0);          // ext_loader_ver, ext_loader_type
  CHECK(at(bp, 0x228, 4) == 0x20000);    // cmd_line_ptr
  CHECK(at(bp, 0x23c, 4) == 0);          // hardware_subarch: PC
  CHECK(at(bp, 0x250, 8) == 0);          // setup_data: none

  // Copied from the image.
  CHECK(at(bp, 0x1f1, 1) == 0x1b);        // setup_sects
  CHECK(at(bp, 0x1fa, 2) == 0xffff);      // vid_mode
  CHECK(at(bp, 0x1fe, 2) == 0xaa55);      // boot_flag
  CHECK(at(bp, 0x202, 4) == 0x53726448);  // "HdrS"
  CHECK(at(bp, 0x206, 2) == 0x020f);      // version
  CHECK(at(bp, 0x22c, 4) == 0x7fffffff);  // initrd_addr_max
  CHECK(at(bp, 0x230, 4) == kAlign);      // kernel_alignment
  CHECK(at(bp, 0x234, 1) == 1);           // relocatable_kernel
  CHECK(at(bp, 0x236, 2) == 3);           // xloadflags
  CHECK(at(bp, 0x238, 4) == 2047);        // cmdline_size
  CHECK(at(bp, 0x248, 4) == 0x3c5);       // payload_offset
  CHECK(at(bp, 0x258, 8) == kPref);       // pref_address
  CHECK(at(bp, 0x260, 4) == kInitSize);   // init_size
  CHECK(at(bp, 0x268, 4) == 0x4321);      // kernel_info_offset

  // e820_table at 0x2d0, 20 bytes an entry.
  CHECK(at(bp, 0x2d0 + 3 * 20, 8) == 0x100000);
  CHECK(at(bp, 0x2d0 + 3 * 20 + 8, 8) == 0x7fee0000);
  CHECK(at(bp, 0x2d0 + 3 * 20 + 16, 4) == 1);
  CHECK(at(bp, 0x2d0 + 7 * 20, 8) == 0xfffc0000);
  CHECK(at(bp, 0x2d0 + 7 * 20 + 16, 4) == 2);
}

TEST_CASE("nothing outside the fields a loader fills is left non-zero", "[linux-boot]") {
  Setup s;
  BootParams bp;
  std::memset(&bp, 0xab, sizeof(bp));  // stale contents must not survive
  REQUIRE(build(kernel(), s.in, bp) == Status::kOk);
  for (size_t i = 0; i < sizeof(bp); ++i) {
    const bool acpi = i >= 0x070 && i < 0x078;
    const bool e820_count = i == 0x1e8;
    const bool header = i >= 0x1f1 && i < 0x26c;
    const bool e820 = i >= 0x2d0 && i < 0x2d0 + 8 * 20;
    if (!acpi && !e820_count && !header && !e820) {
      INFO("offset " << i);
      REQUIRE(bytes(bp)[i] == 0);
    }
  }
}

TEST_CASE("a framebuffer reaches the kernel as screen_info, VIDEO_TYPE_EFI", "[linux-boot]") {
  Setup s;
  boot::Framebuffer fb = rootstock::testing::gop_framebuffer();
  s.in.framebuffer = &fb;
  BootParams bp;
  REQUIRE(build(kernel(), s.in, bp) == Status::kOk);
  // include/uapi/linux/screen_info.h offsets.
  CHECK(at(bp, 0x0f, 1) == 0x70);        // orig_video_isVGA: VIDEO_TYPE_EFI
  CHECK(at(bp, 0x12, 2) == 1280);        // lfb_width
  CHECK(at(bp, 0x14, 2) == 800);         // lfb_height
  CHECK(at(bp, 0x16, 2) == 32);          // lfb_depth
  CHECK(at(bp, 0x18, 4) == 0x80000000);  // lfb_base
  CHECK(at(bp, 0x1c, 4) == 5120 * 800);  // lfb_size, bytes
  CHECK(at(bp, 0x24, 2) == 5120);        // lfb_linelength
  CHECK(at(bp, 0x26, 1) == 8);           // red_size
  CHECK(at(bp, 0x27, 1) == 16);          // red_pos
  CHECK(at(bp, 0x29, 1) == 8);           // green_pos
  CHECK(at(bp, 0x2b, 1) == 0);           // blue_pos
  CHECK(at(bp, 0x36, 4) == 0);           // capabilities: the base fits 32 bits
  CHECK(at(bp, 0x3a, 4) == 0);           // ext_lfb_base

  // Above 4 GiB: the high half in ext_lfb_base, VIDEO_CAPABILITY_64BIT_BASE set.
  fb.address = 0x3800000000;
  REQUIRE(build(kernel(), s.in, bp) == Status::kOk);
  CHECK(at(bp, 0x18, 4) == 0);
  CHECK(at(bp, 0x3a, 4) == 0x38);
  CHECK(at(bp, 0x36, 4) == 2);

  // Not present, or wider than screen_info's 16-bit fields: screen_info stays zero.
  for (const bool present : {false, true}) {
    fb.present = present;
    fb.width = present ? 70000 : 1280;
    fb.pitch = present ? 280000 : 5120;
    REQUIRE(build(kernel(), s.in, bp) == Status::kOk);
    for (size_t i = 0; i < 0x40; ++i) REQUIRE(bytes(bp)[i] == 0);
  }
}

TEST_CASE("the setup header is copied exactly as long as the image declares it", "[linux-boot]") {
  Setup s;
  SECTION("a 2.12-length header stops before kernel_info_offset") {
    BzImage k = kernel();
    k.header_size = 0x268 - kSetupHeaderOffset;
    BootParams bp;
    REQUIRE(build(k, s.in, bp) == Status::kOk);
    CHECK(at(bp, 0x264, 4) == 0x190);  // handover_offset, the last declared field
    CHECK(at(bp, 0x268, 4) == 0);      // kernel_info_offset, not declared
  }
  SECTION("a header longer than 2.15 brings its extra bytes, and no more") {
    BzImage k = kernel();
    k.header_size = 0x270 - kSetupHeaderOffset;
    for (size_t i = 0; i < kSetupHeaderTailSize; ++i) {
      k.header_tail[i] = static_cast<uint8_t>(0xc0 + i);
    }
    BootParams bp;
    REQUIRE(build(k, s.in, bp) == Status::kOk);
    CHECK(at(bp, 0x268, 4) == 0x4321);
    CHECK(at(bp, 0x26c, 4) == 0xc3c2c1c0);
    CHECK(at(bp, 0x270, 4) == 0);
  }
}

TEST_CASE("memory types map to their e820 numbers", "[linux-boot]") {
  const struct {
    MemoryType from;
    uint32_t to;
  } cases[] = {{MemoryType::kUsable, 1},          {MemoryType::kReserved, 2},
               {MemoryType::kAcpiReclaimable, 3}, {MemoryType::kAcpiNvs, 4},
               {MemoryType::kUnusable, 5},        {MemoryType::kPersistent, 7}};
  std::vector<MemoryRange> map;
  uint64_t base = 0;
  for (const auto& c : cases) {
    E820Type t{};
    REQUIRE(e820_type(c.from, t));
    CHECK(static_cast<uint32_t>(t) == c.to);
    map.push_back({base, 0x1000, c.from});
    base += 0x1000;
  }
  map.push_back({0x100000, 0x7f00000, MemoryType::kUsable});
  E820Type t{};
  CHECK_FALSE(e820_type(static_cast<MemoryType>(6), t));

  Setup s;
  s.use_map(map);
  s.in.zero_page_address = 0x8000;
  BootParams bp;
  REQUIRE(build(kernel(), s.in, bp) == Status::kOk);
  REQUIRE(bp.e820_entries == 7);
  for (size_t i = 0; i < 6; ++i) {
    const E820Entry e = bp.e820_table[i];
    CHECK(e.addr == i * 0x1000);
    CHECK(e.size == 0x1000);
    CHECK(e.type == cases[i].to);
  }
}

TEST_CASE("the e820 table takes 128 ranges and refuses more", "[linux-boot]") {
  // 127 small reserved ranges below 1 MiB, then the RAM the kernel lives in.
  std::vector<MemoryRange> map;
  for (uint64_t i = 0; i < 127; ++i) map.push_back({i * 0x2000, 0x1000, MemoryType::kReserved});
  map.push_back({0x100000, 0x7f00000, MemoryType::kUsable});
  Setup s;
  s.in.zero_page_address = 0x1000;
  s.in.cmdline_address = 0x3000;
  s.use_map(map);
  BootParams bp;
  REQUIRE(build(kernel(), s.in, bp) == Status::kOk);
  CHECK(bp.e820_entries == 128);
  const E820Entry last = bp.e820_table[127];
  CHECK(last.addr == 0x100000);

  // Zero-length ranges are left out, so they do not count.
  map.insert(map.begin() + 5, {0x9000, 0, MemoryType::kReserved});
  s.use_map(map);
  CHECK(build(kernel(), s.in) == Status::kOk);

  map.push_back({0x8000000, 0x1000, MemoryType::kReserved});
  s.use_map(map);
  CHECK(build(kernel(), s.in) == Status::kTooManyMemoryRanges);
}

TEST_CASE("bad memory maps are refused", "[linux-boot]") {
  Setup s;
  const auto with = [&](std::vector<MemoryRange> m) {
    s.use_map(m);
    return build(kernel(), s.in);
  };
  CHECK(with({{0x100000, 0x7f00000, MemoryType::kUsable}, {0, 0x9fc00, MemoryType::kUsable}}) ==
        Status::kMemoryMapUnsorted);
  CHECK(with({{0, 0x200000, MemoryType::kUsable}, {0x100000, 0x7f00000, MemoryType::kUsable}}) ==
        Status::kMemoryMapUnsorted);
  CHECK(with({{0, 0x7f00000, MemoryType::kUsable},
              {~uint64_t{0} - 10, 100, MemoryType::kReserved}}) == Status::kMemoryRangeInvalid);
  CHECK(with({{0, 0x7f00000, MemoryType::kUsable},
              {kMaxPhysicalAddress, 0x1000, MemoryType::kReserved}}) ==
        Status::kMemoryRangeInvalid);
  CHECK(with({{0, 0x7f00000, MemoryType::kUsable},
              {0x8000000, 0x1000, static_cast<MemoryType>(9)}}) == Status::kMemoryTypeUnknown);
  CHECK(with({{0, 0x7f00000, MemoryType::kReserved}}) == Status::kNoUsableMemory);
  CHECK(with({}) == Status::kNoUsableMemory);
  s.in.memory = nullptr;
  s.in.memory_count = 3;
  CHECK(build(kernel(), s.in) == Status::kNoUsableMemory);
}

TEST_CASE("the command line must fit cmdline_size and be reachable", "[linux-boot]") {
  Setup s;
  const std::string longest(2047, 'x');
  s.in.cmdline = {longest.data(), longest.size()};
  CHECK(build(kernel(), s.in) == Status::kOk);
  const std::string too_long(2048, 'x');
  s.in.cmdline = {too_long.data(), too_long.size()};
  CHECK(build(kernel(), s.in) == Status::kCmdlineTooLong);

  Setup s2;
  s2.in.cmdline_address = 0;
  CHECK(build(kernel(), s2.in) == Status::kCmdlineMissing);
  s2.in.cmdline_address = ~uint64_t{0} - 4;
  CHECK(build(kernel(), s2.in) == Status::kCmdlineRangeInvalid);

  SECTION("above 4 GiB through ext_cmd_line_ptr, if the kernel allows it") {
    Setup s3;
    s3.use_map(kHighMap);
    s3.in.cmdline_address = 0x1'2345'6000;
    BootParams bp;
    REQUIRE(build(kernel(), s3.in, bp) == Status::kOk);
    CHECK(at(bp, 0x228, 4) == 0x23456000);
    CHECK(at(bp, 0x0c8, 4) == 1);
    CHECK(build(kernel(xloadflags::kKernel64), s3.in) == Status::kCmdlineAbove4G);
    // Its NUL counts: a line whose NUL would be the first byte above 4 GiB is above 4 GiB.
    s3.in.cmdline = "abc";
    s3.in.cmdline_address = k4GiB - 4;
    CHECK(build(kernel(xloadflags::kKernel64), s3.in) == Status::kOk);
    s3.in.cmdline_address = k4GiB - 3;
    CHECK(build(kernel(xloadflags::kKernel64), s3.in) == Status::kCmdlineAbove4G);
  }
}

TEST_CASE("the initrd must end at or below initrd_addr_max unless the kernel takes it above 4 GiB",
          "[linux-boot]") {
  Setup s;
  const BzImage low_only = kernel(xloadflags::kKernel64);
  s.in.initrd_size = 0x100000;
  s.in.initrd_address = 0x80000000 - 0x100000;  // last byte 0x7fffffff == initrd_addr_max
  s.use_map({{0, 0x9fc00, MemoryType::kUsable}, {0x100000, 0xbff00000, MemoryType::kUsable}});
  CHECK(build(low_only, s.in) == Status::kOk);
  s.in.initrd_address += 0x1000;
  CHECK(build(low_only, s.in) == Status::kInitrdAboveMax);
  CHECK(build(kernel(), s.in) == Status::kOk);

  SECTION("above 4 GiB through the ext_ fields") {
    Setup h;
    h.use_map(kHighMap);
    h.in.initrd_address = 0x1'8000'0000;
    h.in.initrd_size = 0x1'0000'1000;
    BootParams bp;
    REQUIRE(build(kernel(), h.in, bp) == Status::kOk);
    CHECK(at(bp, 0x218, 4) == 0x80000000);
    CHECK(at(bp, 0x0c0, 4) == 1);
    CHECK(at(bp, 0x21c, 4) == 0x1000);
    CHECK(at(bp, 0x0c4, 4) == 1);
    CHECK(build(low_only, h.in) == Status::kInitrdAboveMax);
  }
  SECTION("no initrd leaves the fields zero, whatever the address says") {
    Setup n;
    n.in.initrd_size = 0;
    n.in.initrd_address = 0x7000000;
    BootParams bp;
    REQUIRE(build(kernel(), n.in, bp) == Status::kOk);
    CHECK(at(bp, 0x218, 8) == 0);
    CHECK(at(bp, 0x0c0, 8) == 0);
  }
  SECTION("bad placements") {
    Setup b;
    b.in.initrd_address = 0;
    CHECK(build(kernel(), b.in) == Status::kInitrdRangeInvalid);
    b.in.initrd_address = ~uint64_t{0} - 0xfff;
    CHECK(build(kernel(), b.in) == Status::kInitrdRangeInvalid);
    b.in.initrd_address = 0x7000800;
    CHECK(build(kernel(), b.in) == Status::kInitrdMisaligned);
  }
}

TEST_CASE("the kernel's load address is aligned, at or above pref_address, and in RAM",
          "[linux-boot]") {
  Setup s;
  s.in.kernel_address = kPref + kAlign;
  CHECK(build(kernel(), s.in) == Status::kOk);
  s.in.kernel_address = kPref + 0x1000;
  CHECK(build(kernel(), s.in) == Status::kKernelMisaligned);
  s.in.kernel_address = kPref - kAlign;
  CHECK(build(kernel(), s.in) == Status::kKernelBelowPrefAddress);
  // The window [load, load + init_size) must lie in one usable range.
  s.in.kernel_address = 0x7fe00000;
  CHECK(build(kernel(), s.in) == Status::kKernelNotInRam);
  s.in.kernel_address = 0xb0000000;
  CHECK(build(kernel(), s.in) == Status::kKernelNotInRam);
  s.in.kernel_address = 0xfffffffffe000000;
  CHECK(build(kernel(), s.in) == Status::kKernelNotInRam);

  s.use_map(kHighMap);
  s.in.kernel_address = k4GiB;
  BootParams bp;
  REQUIRE(build(kernel(), s.in, bp) == Status::kOk);
  CHECK(at(bp, 0x214, 4) == 0);  // code32_start: the 32-bit entry cannot reach it
  CHECK(build(kernel(xloadflags::kKernel64), s.in) == Status::kKernelAbove4G);
}

TEST_CASE("the zero page itself must be reachable", "[linux-boot]") {
  Setup s;
  s.use_map(kHighMap);
  s.in.zero_page_address = k4GiB + 0x10000;
  CHECK(build(kernel(), s.in) == Status::kOk);
  CHECK(build(kernel(xloadflags::kKernel64), s.in) == Status::kZeroPageAbove4G);
  s.in.zero_page_address = kMaxPhysicalAddress - 0x800;
  CHECK(build(kernel(), s.in) == Status::kZeroPageRangeInvalid);
}

TEST_CASE("kernel window, zero page, command line and initrd must not overlap", "[linux-boot]") {
  const auto overlapping = [](void (*edit)(ZeroPageInputs&)) {
    Setup s;
    edit(s.in);
    return build(kernel(), s.in);
  };
  // The initrd inside the kernel's init_size window (past the file's kernel part).
  CHECK(overlapping([](ZeroPageInputs& in) { in.initrd_address = kPref + kInitSize - 0x1000; }) ==
        Status::kPlacementsOverlap);
  CHECK(overlapping([](ZeroPageInputs& in) { in.initrd_address = kPref + kInitSize; }) ==
        Status::kOk);
  CHECK(overlapping([](ZeroPageInputs& in) { in.cmdline_address = 0x7fff; }) ==
        Status::kPlacementsOverlap);
  CHECK(overlapping([](ZeroPageInputs& in) { in.zero_page_address = 0x20000 - 4096; }) ==
        Status::kOk);
  // The command line's NUL is part of it.
  CHECK(overlapping([](ZeroPageInputs& in) {
          in.cmdline = "abc";
          in.zero_page_address = 0x20000 + 3;
        }) == Status::kPlacementsOverlap);
  CHECK(overlapping([](ZeroPageInputs& in) { in.zero_page_address = 0x7000000 + 0x120000; }) ==
        Status::kPlacementsOverlap);
}

TEST_CASE("a kernel description that no parse produced is refused", "[linux-boot]") {
  Setup s;
  BootParams bp;
  CHECK(build_zero_page(BzImage{}, s.in, bp) == Status::kImageNotParsed);
  BzImage k = kernel();
  k.header_size = 0x290 - kSetupHeaderOffset + 1;
  CHECK(build_zero_page(k, s.in, bp) == Status::kImageNotParsed);
  k = kernel();
  k.kernel_alignment = 0x300000;
  CHECK(build_zero_page(k, s.in, bp) == Status::kImageNotParsed);
  uint64_t addr = 0;
  CHECK(choose_load_address(BzImage{}, kQemuMap.data(), kQemuMap.size(), 0, addr) ==
        Status::kImageNotParsed);
}

TEST_CASE("choose_load_address prefers pref_address and otherwise the lowest aligned fit",
          "[linux-boot]") {
  const BzImage k = kernel();
  uint64_t addr = 0;
  REQUIRE(choose_load_address(k, kQemuMap.data(), kQemuMap.size(), 0x100000, addr) == Status::kOk);
  CHECK(addr == kPref);

  // Above a caller's floor: the next aligned address.
  REQUIRE(choose_load_address(k, kQemuMap.data(), kQemuMap.size(), 0x3000001, addr) == Status::kOk);
  CHECK(addr == 0x3200000);

  // A hole at pref_address: the first aligned fit after it; ranges need not be sorted.
  const std::vector<MemoryRange> holed = {{0x4100000, 0x10000000, MemoryType::kUsable},
                                          {0x1000000, 0x400000, MemoryType::kUsable},
                                          {0x1400000, 0x2d00000, MemoryType::kReserved}};
  REQUIRE(choose_load_address(k, holed.data(), holed.size(), 0, addr) == Status::kOk);
  CHECK(addr == 0x4200000);

  // Never below pref_address, even where RAM is free: the kernel would move itself there.
  const std::vector<MemoryRange> low = {{0x100000, 0xe00000, MemoryType::kUsable}};
  CHECK(choose_load_address(k, low.data(), low.size(), 0, addr) == Status::kNoRoomForKernel);

  // An exact fit at the end of a range.
  const std::vector<MemoryRange> exact = {{kPref, kInitSize, MemoryType::kUsable}};
  REQUIRE(choose_load_address(k, exact.data(), exact.size(), 0, addr) == Status::kOk);
  CHECK(addr == kPref);
  const std::vector<MemoryRange> short_by_one = {{kPref, kInitSize - 1, MemoryType::kUsable}};
  CHECK(choose_load_address(k, short_by_one.data(), 1, 0, addr) == Status::kNoRoomForKernel);

  // RAM only above 4 GiB: only for kernels that may be loaded there.
  const std::vector<MemoryRange> high = {{k4GiB, k4GiB, MemoryType::kUsable}};
  REQUIRE(choose_load_address(k, high.data(), 1, 0, addr) == Status::kOk);
  CHECK(addr == k4GiB);
  CHECK(choose_load_address(kernel(xloadflags::kKernel64), high.data(), 1, 0, addr) ==
        Status::kNoRoomForKernel);
  // A window that would straddle 4 GiB is refused without the flag.
  const std::vector<MemoryRange> straddle = {{0xfff00000, 0x10000000, MemoryType::kUsable}};
  CHECK(choose_load_address(kernel(xloadflags::kKernel64), straddle.data(), 1, 0, addr) ==
        Status::kNoRoomForKernel);

  // Absurd inputs find nothing and do not overflow.
  CHECK(choose_load_address(k, kQemuMap.data(), kQemuMap.size(), ~uint64_t{0}, addr) ==
        Status::kNoRoomForKernel);
  const std::vector<MemoryRange> wrapping = {{0x1000000, ~uint64_t{0}, MemoryType::kUsable}};
  CHECK(choose_load_address(k, wrapping.data(), 1, 0, addr) == Status::kNoRoomForKernel);
  CHECK(choose_load_address(k, nullptr, 5, 0, addr) == Status::kNoRoomForKernel);
}

TEST_CASE("the project's bzImage gets a zero page from its own header", "[linux-boot]") {
  const std::vector<uint8_t> img = read_file(ROOTSTOCK_TEST_BZIMAGE);
  if (img.empty()) SKIP("no kernel at " ROOTSTOCK_TEST_BZIMAGE " (build it first)");
  BzImage k;
  REQUIRE(parse_bzimage(img.data(), img.size(), k) == Status::kOk);
  Setup s;
  REQUIRE(choose_load_address(k, s.map.data(), s.map.size(), 0x100000, s.in.kernel_address) ==
          Status::kOk);
  s.in.initrd_address = 0x7000000;
  BootParams bp;
  const Status st = build_zero_page(k, s.in, bp);
  INFO(describe(st));
  REQUIRE(st == Status::kOk);
  // The header bytes the image declares are there, except the fields the loader writes.
  const size_t end = kSetupHeaderOffset + k.header_size;
  for (size_t i = kSetupHeaderOffset; i < end; ++i) {
    const bool written = (i >= 0x210 && i < 0x218) ||  // type_of_loader .. code32_start
                         (i >= 0x218 && i < 0x22c) ||  // ramdisk, heap_end_ptr, cmd_line_ptr
                         (i >= 0x23c && i < 0x248) ||  // hardware_subarch(_data)
                         (i >= 0x250 && i < 0x258);    // setup_data
    if (!written) {
      INFO("offset " << i);
      CHECK(bytes(bp)[i] == img[i]);
    }
  }
  CHECK(bytes(bp)[end] == 0);
}
