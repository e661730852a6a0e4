// Multiboot2 boot information parsing (spec 1.0, 3.6): a GRUB-like MBI gives the memory map,
// command line, modules and RSDP; malformed tags are refused with their own status, unknown
// tags skipped, and no byte outside [mbi, mbi + total_size) is ever read.
#include <rootstock/boot/multiboot2.hpp>

#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "fake_phys.hpp"
#include "framebuffer_fixture.hpp"

using namespace rootstock;
using namespace rootstock::boot;
using rootstock::testing::FakePhys;

namespace {

constexpr uint64_t kMbi = 0x10000;

std::string str(Text t) {
  return {t.data, t.size};
}

template <typename T>
std::vector<uint8_t> bytes_of(const T& v) {
  std::vector<uint8_t> b(sizeof(T));
  std::memcpy(b.data(), &v, sizeof(T));
  return b;
}

std::vector<uint8_t> bytes_of(const std::string& s, bool nul = true) {
  std::vector<uint8_t> b(s.begin(), s.end());
  if (nul) b.push_back(0);
  return b;
}

// Builds an MBI tag by tag; each tag padded to 8 bytes as the spec lays them out.
class Mbi {
 public:
  // A tag whose size field is 8 + payload (or `size` when given, to forge bad sizes).
  Mbi& tag(uint32_t type, const std::vector<uint8_t>& payload, uint32_t size = 0) {
    offsets_.push_back(bytes_.size());
    put(uint32_t{type});
    put(size != 0 ? size : static_cast<uint32_t>(8 + payload.size()));
    bytes_.insert(bytes_.end(), payload.begin(), payload.end());
    while (bytes_.size() % 8 != 0) bytes_.push_back(0);
    return *this;
  }
  Mbi& tag(mb2::TagType type, const std::vector<uint8_t>& payload, uint32_t size = 0) {
    return tag(static_cast<uint32_t>(type), payload, size);
  }
  Mbi& cmdline(const std::string& s) { return tag(mb2::TagType::kCmdline, bytes_of(s)); }
  Mbi& module(uint32_t start, uint32_t end, const std::string& s) {
    std::vector<uint8_t> p = bytes_of(start);
    append(p, bytes_of(end));
    append(p, bytes_of(s));
    return tag(mb2::TagType::kModule, p);
  }
  Mbi& mmap(const std::vector<mb2::MmapEntry>& entries, uint32_t entry_size = 24) {
    std::vector<uint8_t> p = bytes_of(entry_size);
    append(p, bytes_of(uint32_t{0}));
    for (const auto& e : entries) {
      std::vector<uint8_t> b = bytes_of(e);
      b.resize(entry_size, 0xee);  // later entry versions append fields
      append(p, b);
    }
    return tag(mb2::TagType::kMmap, p);
  }
  Mbi& acpi(mb2::TagType type, size_t rsdp_size) {
    std::vector<uint8_t> p = bytes_of(std::string("RSD PTR "), false);
    p.resize(rsdp_size, 0);
    return tag(type, p);
  }
  Mbi& end() { return tag(mb2::TagType::kEnd, {}); }

  // The MBI with total_size = its length (or `total` to forge one).
  std::vector<uint8_t> bytes(uint32_t total = 0) const {
    std::vector<uint8_t> b = bytes_;
    const uint32_t t = total != 0 ? total : static_cast<uint32_t>(b.size());
    std::memcpy(b.data(), &t, 4);
    return b;
  }
  // Physical address of the n-th tag once placed at kMbi.
  uint64_t tag_paddr(size_t n) const { return kMbi + offsets_.at(n); }

 private:
  template <typename T>
  void put(T v) {
    append(bytes_, bytes_of(v));
  }
  static void append(std::vector<uint8_t>& to, const std::vector<uint8_t>& from) {
    to.insert(to.end(), from.begin(), from.end());
  }
  std::vector<uint8_t> bytes_ = std::vector<uint8_t>(8, 0);
  std::vector<size_t> offsets_;
};

std::vector<mb2::MmapEntry> grub_mmap() {
  return {{0, 0x9fc00, 1, 0},           {0x9fc00, 0x400, 2, 0},      {0xf0000, 0x10000, 2, 0},
          {0x100000, 0x7fee0000, 1, 0}, {0x7ffe0000, 0x20000, 2, 0}, {0xfffc0000, 0x40000, 2, 0}};
}

// Places the MBI with readable bytes all around it, so that a read outside would succeed and
// only the read log can catch it.
FakePhys place(const std::vector<uint8_t>& mbi) {
  FakePhys mem;
  mem.add(kMbi - 0x1000, std::vector<uint8_t>(0x1000, 0x41));
  mem.add(kMbi, mbi);
  mem.add(kMbi + mbi.size(), std::vector<uint8_t>(0x1000, 0x42));
  return mem;
}

Status parse(const Mbi& m, BootInfo& info, uint32_t total = 0) {
  const FakePhys mem = place(m.bytes(total));
  const Status s = parse_multiboot2(mem, kMbi, info);
  const uint32_t size = total != 0 ? total : static_cast<uint32_t>(m.bytes().size());
  CHECK(mem.all_reads_within(kMbi, size));
  return s;
}

Mbi minimal() {
  Mbi m;
  m.mmap(grub_mmap());
  return m;
}

}  // namespace

TEST_CASE("Multiboot2: a GRUB-like MBI parses", "[boot][multiboot2]") {
  Mbi m;
  m.cmdline("hv.console=com2 console=ttyS1")
      .tag(mb2::TagType::kBootLoaderName, bytes_of(std::string("GRUB 2.12")))
      .module(0x1000000, 0x1200000, "initrd.cpio")
      .module(0x1200000, 0x1200000, "")
      .tag(mb2::TagType::kBasicMeminfo, std::vector<uint8_t>(8, 0))
      .mmap(grub_mmap())
      .tag(mb2::TagType::kFramebuffer, std::vector<uint8_t>(24, 0))
      .acpi(mb2::TagType::kAcpiOld, mb2::kRsdpV1Size)
      .acpi(mb2::TagType::kAcpiNew, mb2::kRsdpV2Size)
      .tag(0x7777, std::vector<uint8_t>(5, 0))  // unknown: skipped
      .end();
  BootInfo info;
  REQUIRE(parse(m, info) == Status::kOk);
  CHECK(info.protocol == BootProtocol::kMultiboot2);
  CHECK(str(info.cmdline()) == "hv.console=com2 console=ttyS1");
  REQUIRE(info.module_count == 2);
  CHECK(info.modules[0].base == 0x1000000);
  CHECK(info.modules[0].size == 0x200000);
  CHECK(str(info.modules[0].cmdline()) == "initrd.cpio");
  CHECK(info.modules[1].size == 0);
  REQUIRE(info.memory_count == 6);
  CHECK(usable_bytes(info) == 0x9fc00 + 0x7fee0000);
  CHECK(info.rsdp == m.tag_paddr(8) + 8);  // the new RSDP's copy, inside its tag
}

TEST_CASE("Multiboot2: the old RSDP is used when there is no new one", "[boot][multiboot2]") {
  Mbi m = minimal();
  m.acpi(mb2::TagType::kAcpiOld, mb2::kRsdpV1Size).end();
  BootInfo info;
  REQUIRE(parse(m, info) == Status::kOk);
  CHECK(info.rsdp == m.tag_paddr(1) + 8);
  CHECK(info.cmdline().empty());

  Mbi none = minimal();
  none.end();
  REQUIRE(parse(none, info) == Status::kOk);
  CHECK(info.rsdp == 0);
}

TEST_CASE("Multiboot2: memory map entries larger than 24 bytes are read", "[boot][multiboot2]") {
  Mbi m;
  m.mmap(grub_mmap(), 32).end();
  BootInfo info;
  REQUIRE(parse(m, info) == Status::kOk);
  CHECK(info.memory_count == 6);
}

TEST_CASE("Multiboot2: bad placement and total_size are refused", "[boot][multiboot2]") {
  BootInfo info;
  Mbi m = minimal();
  m.end();
  const FakePhys mem = place(m.bytes());
  CHECK(parse_multiboot2(mem, kMbi + 4, info) == Status::kMb2Misaligned);
  CHECK(parse_multiboot2(mem, kMbi - 0x2000, info) == Status::kUnreadable);

  CHECK(parse(Mbi{}.end(), info, 15) == Status::kMb2TotalSizeInvalid);
  CHECK(parse(Mbi{}.end(), info, 8) == Status::kMb2TotalSizeInvalid);
  CHECK(parse(minimal().end(), info, (1u << 20) + 8) == Status::kMb2TotalSizeInvalid);
  // total_size claims more than the boot loader wrote and more than is readable.
  FakePhys short_mem;
  short_mem.add(kMbi, Mbi{}.tag(0x7777, std::vector<uint8_t>(8, 0)).bytes(4096));
  CHECK(parse_multiboot2(short_mem, kMbi, info) == Status::kUnreadable);
}

TEST_CASE("Multiboot2: tags that are too small or run past the end are refused",
          "[boot][multiboot2]") {
  BootInfo info;
  Mbi small = minimal();
  small.tag(0x7777, {}, 4).end();
  CHECK(parse(small, info) == Status::kMb2TagTooSmall);
  CHECK(info.error_paddr == small.tag_paddr(1));

  Mbi past = minimal();
  past.tag(0x7777, std::vector<uint8_t>(8, 0), 0x1000).end();
  CHECK(parse(past, info) == Status::kMb2TagPastEnd);

  // A tag header cut by total_size is refused as a missing end tag, never read beyond.
  Mbi cut = minimal();
  cut.end();
  CHECK(parse(cut, info, static_cast<uint32_t>(cut.bytes().size() - 4)) == Status::kMb2NoEndTag);
}

TEST_CASE("Multiboot2: the end tag must be there and be 8 bytes", "[boot][multiboot2]") {
  BootInfo info;
  CHECK(parse(minimal(), info) == Status::kMb2NoEndTag);
  Mbi big_end = minimal();
  big_end.tag(mb2::TagType::kEnd, std::vector<uint8_t>(8, 0));
  CHECK(parse(big_end, info) == Status::kMb2BadEndTag);
  // Bytes after the end tag are not looked at.
  Mbi after = minimal();
  after.end().tag(0x7777, {}, 2);
  CHECK(parse(after, info) == Status::kOk);
}

TEST_CASE("Multiboot2: a missing or duplicate memory map is refused", "[boot][multiboot2]") {
  BootInfo info;
  CHECK(parse(Mbi{}.cmdline("x").end(), info) == Status::kNoMemoryMap);
  CHECK(parse(minimal().mmap(grub_mmap()).end(), info) == Status::kMb2DuplicateTag);
  CHECK(parse(minimal().cmdline("a").cmdline("b").end(), info) == Status::kMb2DuplicateTag);
  CHECK(parse(minimal()
                  .acpi(mb2::TagType::kAcpiNew, mb2::kRsdpV2Size)
                  .acpi(mb2::TagType::kAcpiNew, mb2::kRsdpV2Size)
                  .end(),
              info) == Status::kMb2DuplicateTag);
  CHECK(parse(Mbi{}.mmap({}).end(), info) == Status::kNoMemoryMap);
}

TEST_CASE("Multiboot2: malformed memory maps are refused", "[boot][multiboot2]") {
  BootInfo info;
  CHECK(parse(Mbi{}.mmap(grub_mmap(), 16).end(), info) == Status::kMb2MmapEntrySizeInvalid);
  CHECK(parse(Mbi{}.mmap(grub_mmap(), 28).end(), info) == Status::kMb2MmapEntrySizeInvalid);
  CHECK(parse(Mbi{}.mmap(grub_mmap(), 0).end(), info) == Status::kMb2MmapEntrySizeInvalid);
  CHECK(parse(Mbi{}.tag(mb2::TagType::kMmap, std::vector<uint8_t>(4, 0)).end(), info) ==
        Status::kMb2TagTruncated);
  // 24-byte entries, but the tag holds a partial one.
  std::vector<uint8_t> p = bytes_of(uint32_t{24});
  p.resize(8 + 24 + 8, 0);
  CHECK(parse(Mbi{}.tag(mb2::TagType::kMmap, p).end(), info) == Status::kMb2TagTruncated);

  auto overlap = grub_mmap();
  overlap.push_back({0x100000, 0x1000, 2, 0});
  Mbi m;
  m.mmap(overlap).end();
  CHECK(parse(m, info) == Status::kMemoryRangesOverlap);
  CHECK(info.error_paddr == kMbi);

  auto wraps = grub_mmap();
  wraps.push_back({0xffffffffffff0000, 0x10000, 1, 0});
  Mbi w;
  w.mmap(wraps).end();
  CHECK(parse(w, info) == Status::kMemoryRangeWraps);
  CHECK(info.error_paddr == w.tag_paddr(0));

  std::vector<mb2::MmapEntry> many(129, {0, 0x1000, 1, 0});
  CHECK(parse(Mbi{}.mmap(many).end(), info) == Status::kTooManyMemoryRanges);
}

TEST_CASE("Multiboot2: module problems are refused", "[boot][multiboot2]") {
  BootInfo info;
  CHECK(parse(minimal().module(0x2000000, 0x1fff000, "m").end(), info) ==
        Status::kMb2ModuleEndBeforeStart);
  CHECK(parse(minimal().tag(mb2::TagType::kModule, std::vector<uint8_t>(4, 0)).end(), info) ==
        Status::kMb2TagTruncated);
  Mbi nine = minimal();
  for (int i = 0; i < 9; ++i) nine.module(0x1000000, 0x1001000, "m");
  CHECK(parse(nine.end(), info) == Status::kTooManyModules);
  CHECK(parse(minimal().module(0, 1, std::string(512, 'x')).end(), info) ==
        Status::kModuleCmdlineTooLong);
}

TEST_CASE("Multiboot2: strings must end inside their tag", "[boot][multiboot2]") {
  BootInfo info;
  // The tag's 8 bytes of string have no NUL; the padding after it would (and is not read).
  Mbi cmd = minimal();
  cmd.tag(mb2::TagType::kCmdline, bytes_of(std::string("abcdefgh"), false)).end();
  CHECK(parse(cmd, info) == Status::kCmdlineUnterminated);
  CHECK(info.error_paddr == cmd.tag_paddr(1));
  CHECK(info.cmdline().empty());

  Mbi empty_tag = minimal();
  empty_tag.tag(mb2::TagType::kCmdline, {}).end();
  CHECK(parse(empty_tag, info) == Status::kCmdlineUnterminated);

  std::vector<uint8_t> p = bytes_of(uint32_t{0x1000000});
  const auto end = bytes_of(uint32_t{0x1001000});
  p.insert(p.end(), end.begin(), end.end());
  p.push_back('m');
  CHECK(parse(minimal().tag(mb2::TagType::kModule, p).end(), info) ==
        Status::kModuleCmdlineUnterminated);

  CHECK(parse(minimal().cmdline(std::string(2048, 'c')).end(), info) == Status::kCmdlineTooLong);
  REQUIRE(parse(minimal().cmdline(std::string(2047, 'c')).end(), info) == Status::kOk);
  CHECK(info.cmdline_length == 2047);
}

TEST_CASE("Multiboot2: truncated ACPI tags are refused", "[boot][multiboot2]") {
  BootInfo info;
  CHECK(parse(minimal().acpi(mb2::TagType::kAcpiOld, 19).end(), info) == Status::kMb2TagTruncated);
  CHECK(parse(minimal().acpi(mb2::TagType::kAcpiNew, 20).end(), info) == Status::kMb2TagTruncated);
}

namespace {

// The framebuffer tag's payload (after its 8-byte header) for the tests' GOP framebuffer at
// 0xc0000000, with another framebuffer_type or pitch where given.
std::vector<uint8_t> framebuffer_payload(uint8_t type = 1, uint32_t pitch = 5120) {
  const Framebuffer f = rootstock::testing::gop_framebuffer(0xc0000000);
  mb2::FramebufferTag t{};
  t.framebuffer_addr = f.address;
  t.framebuffer_pitch = pitch;
  t.framebuffer_width = f.width;
  t.framebuffer_height = f.height;
  t.framebuffer_bpp = f.bpp;
  t.framebuffer_type = type;
  t.red_field_position = f.red_position;
  t.red_mask_size = f.red_size;
  t.green_field_position = f.green_position;
  t.green_mask_size = f.green_size;
  t.blue_field_position = f.blue_position;
  t.blue_mask_size = f.blue_size;
  const auto* b = reinterpret_cast<const uint8_t*>(&t);
  return {b + 8, b + mb2::kFramebufferRgbTagSize};
}

}  // namespace

TEST_CASE("Multiboot2: a direct-RGB framebuffer is kept for the root's console",
          "[boot][multiboot2]") {
  BootInfo info;
  REQUIRE(parse(minimal().tag(mb2::TagType::kFramebuffer, framebuffer_payload()).end(), info) ==
          Status::kOk);
  REQUIRE(info.framebuffer.present);
  CHECK(info.framebuffer.address == 0xc0000000);
  CHECK(info.framebuffer.pitch == 5120);
  CHECK(info.framebuffer.width == 1280);
  CHECK(info.framebuffer.height == 800);
  CHECK(info.framebuffer.bpp == 32);
  CHECK(info.framebuffer.red_position == 16);
  CHECK(info.framebuffer.green_size == 8);
  CHECK(info.framebuffer.blue_position == 0);
  // None given, none kept.
  REQUIRE(parse(minimal().end(), info) == Status::kOk);
  CHECK_FALSE(info.framebuffer.present);
}

TEST_CASE("Multiboot2: other framebuffers and odd values are left out, bad tags refused",
          "[boot][multiboot2]") {
  BootInfo info;
  // GRUB's EGA text mode (type 2) and an indexed one (type 0): not a console to take over.
  std::vector<uint8_t> text = framebuffer_payload(2);
  text.resize(24);
  REQUIRE(parse(minimal().tag(mb2::TagType::kFramebuffer, text).end(), info) == Status::kOk);
  CHECK_FALSE(info.framebuffer.present);
  REQUIRE(parse(minimal().tag(mb2::TagType::kFramebuffer, framebuffer_payload(0)).end(), info) ==
          Status::kOk);
  CHECK_FALSE(info.framebuffer.present);
  // Lines shorter than the width in pixels: left out, the machine boots without it.
  REQUIRE(parse(minimal().tag(mb2::TagType::kFramebuffer, framebuffer_payload(1, 5119)).end(),
                info) == Status::kOk);
  CHECK_FALSE(info.framebuffer.present);
  // A tag too short for its fields, or a second one, is malformed boot information.
  std::vector<uint8_t> cut = framebuffer_payload();
  cut.resize(29);
  CHECK(parse(minimal().tag(mb2::TagType::kFramebuffer, cut).end(), info) ==
        Status::kMb2TagTruncated);
  cut.resize(23);
  CHECK(parse(minimal().tag(mb2::TagType::kFramebuffer, cut).end(), info) ==
        Status::kMb2TagTruncated);
  CHECK(parse(minimal()
                  .tag(mb2::TagType::kFramebuffer, framebuffer_payload())
                  .tag(mb2::TagType::kFramebuffer, framebuffer_payload())
                  .end(),
              info) == Status::kMb2DuplicateTag);
}

TEST_CASE("framebuffer_valid: only what a kernel could draw on", "[boot]") {
  const Framebuffer f = rootstock::testing::gop_framebuffer(0xc0000000);
  CHECK(framebuffer_valid(f));
  Framebuffer g = f;
  g.bpp = 12;
  CHECK_FALSE(framebuffer_valid(g));
  g = f;
  g.bpp = 64;
  CHECK_FALSE(framebuffer_valid(g));
  g = f;
  g.red_position = 28;  // 28 + 8 > 32
  CHECK_FALSE(framebuffer_valid(g));
  g = f;
  g.blue_size = 0;
  CHECK_FALSE(framebuffer_valid(g));
  g = f;
  g.address = kMaxPhysicalAddress - 4096;  // its lines run past 2^52
  CHECK_FALSE(framebuffer_valid(g));
  g = f;
  g.height = 0;
  CHECK_FALSE(framebuffer_valid(g));
}

TEST_CASE("Multiboot2: every truncation of a valid MBI is refused safely", "[boot][multiboot2]") {
  Mbi m;
  m.cmdline("hv.selftest").module(0x1000000, 0x1001000, "mod").mmap(grub_mmap()).end();
  const std::vector<uint8_t> full = m.bytes();
  for (uint32_t total = 0; total < full.size(); ++total) {
    FakePhys mem;
    std::vector<uint8_t> cut(full.begin(), full.begin() + total);
    if (total >= 4) std::memcpy(cut.data(), &total, 4);
    mem.add(kMbi, cut);
    BootInfo info;
    CHECK(parse_multiboot2(mem, kMbi, info) != Status::kOk);
  }
}
