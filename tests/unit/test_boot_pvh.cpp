// PVH start info parsing (Xen's hvm_start_info as QEMU -kernel passes it): a QEMU-like blob
// gives the memory map, command line, modules and RSDP hv boots from; every malformed or
// hostile variant is refused with its own status, and nothing outside the given tables is read.
#include <rootstock/boot/pvh.hpp>

#include <catch2/catch_test_macros.hpp>
#include <string>
#include <vector>

#include "fake_phys.hpp"

using namespace rootstock;
using namespace rootstock::boot;
using rootstock::testing::FakePhys;

namespace {

constexpr uint64_t kStartInfo = 0x6000;
constexpr uint64_t kMemmap = 0x6100;
constexpr uint64_t kCmdline = 0x7000;
constexpr uint64_t kModlist = 0x8000;
constexpr uint64_t kRsdp = 0xf5a40;

std::string str(Text t) {
  return {t.data, t.size};
}

pvh::MemmapEntry entry(uint64_t addr, uint64_t size, pvh::MemmapType type) {
  return {addr, size, static_cast<uint32_t>(type), 0};
}

// What QEMU's x86 PVH loader gives a 2 GiB machine (its e820 table, as a PVH memmap).
std::vector<pvh::MemmapEntry> qemu_memmap() {
  using T = pvh::MemmapType;
  return {entry(0, 0x9fc00, T::kRam),
          entry(0x9fc00, 0x400, T::kReserved),
          entry(0xf0000, 0x10000, T::kReserved),
          entry(0x100000, 0x7fee0000, T::kRam),
          entry(0x7ffe0000, 0x20000, T::kReserved),
          entry(0xfeffc000, 0x4000, T::kReserved),
          entry(0xfffc0000, 0x40000, T::kReserved)};
}

pvh::StartInfo start_info(uint32_t memmap_entries) {
  pvh::StartInfo si{};
  si.magic = pvh::kMagic;
  si.version = 1;
  si.cmdline_paddr = kCmdline;
  si.rsdp_paddr = kRsdp;
  si.memmap_paddr = kMemmap;
  si.memmap_entries = memmap_entries;
  return si;
}

void add_memmap(FakePhys& mem, const std::vector<pvh::MemmapEntry>& map) {
  mem.add(kMemmap, map.data(), map.size() * sizeof(pvh::MemmapEntry));
}

// A complete QEMU-like boot: start info, memory map, command line.
FakePhys qemu_boot(const std::string& cmdline = "hv.selftest console=ttyS0") {
  FakePhys mem;
  const auto map = qemu_memmap();
  mem.add_struct(kStartInfo, start_info(static_cast<uint32_t>(map.size())));
  add_memmap(mem, map);
  mem.add_string(kCmdline, cmdline);
  return mem;
}

// Start info with a custom structure and the QEMU memory map.
FakePhys boot_with(const pvh::StartInfo& si) {
  FakePhys mem;
  mem.add_struct(kStartInfo, si);
  add_memmap(mem, qemu_memmap());
  mem.add_string(kCmdline, "x");
  return mem;
}

}  // namespace

TEST_CASE("PVH: a QEMU-like start info parses", "[boot][pvh]") {
  const FakePhys mem = qemu_boot();
  BootInfo info;
  REQUIRE(parse_pvh(mem, kStartInfo, info) == Status::kOk);
  CHECK(info.protocol == BootProtocol::kPvh);
  CHECK(str(info.cmdline()) == "hv.selftest console=ttyS0");
  CHECK(info.cmdline_storage[info.cmdline_length] == '\0');
  CHECK(info.rsdp == kRsdp);
  CHECK(info.module_count == 0);
  REQUIRE(info.memory_count == 7);
  CHECK(info.memory[0].type == MemoryType::kUsable);
  CHECK(info.memory[3].base == 0x100000);
  CHECK(usable_bytes(info) == 0x9fc00 + 0x7fee0000);
  CHECK(info.error_paddr == 0);
}

TEST_CASE("PVH: the memory map comes out sorted and merged", "[boot][pvh]") {
  using T = pvh::MemmapType;
  FakePhys mem;
  const std::vector<pvh::MemmapEntry> map = {
      entry(0x100000, 0x100000, T::kRam), entry(0, 0x9f000, T::kRam),
      entry(0x200000, 0x100000, T::kRam), entry(0x300000, 0, T::kReserved),
      entry(0x400000, 0x1000, T::kDisabled)};
  mem.add_struct(kStartInfo, start_info(5));
  add_memmap(mem, map);
  mem.add_string(kCmdline, "");
  BootInfo info;
  REQUIRE(parse_pvh(mem, kStartInfo, info) == Status::kOk);
  REQUIRE(info.memory_count == 3);
  CHECK(info.memory[0].base == 0);
  CHECK(info.memory[1].base == 0x100000);
  CHECK(info.memory[1].length == 0x200000);
  CHECK(info.memory[2].type == MemoryType::kReserved);
  CHECK(info.memory_skipped_empty == 1);
  CHECK(info.memory_unknown_types == 1);
  CHECK(info.cmdline().empty());
}

TEST_CASE("PVH: modules and their command lines are copied", "[boot][pvh]") {
  auto si = start_info(7);
  si.nr_modules = 2;
  si.modlist_paddr = kModlist;
  FakePhys mem = boot_with(si);
  const pvh::ModlistEntry mods[] = {{0x1000000, 0x200000, 0x9000, 0}, {0x1200000, 0x1000, 0, 0}};
  mem.add(kModlist, mods, sizeof(mods));
  mem.add_string(0x9000, "initrd \"quoted arg\"");
  BootInfo info;
  REQUIRE(parse_pvh(mem, kStartInfo, info) == Status::kOk);
  REQUIRE(info.module_count == 2);
  CHECK(info.modules[0].base == 0x1000000);
  CHECK(info.modules[0].size == 0x200000);
  CHECK(str(info.modules[0].cmdline()) == "initrd \"quoted arg\"");
  CHECK(info.modules[1].cmdline().empty());
  // The copy survives the boot loader's memory being reused.
  const BootInfo copy = info;
  CHECK(str(copy.modules[0].cmdline()) == "initrd \"quoted arg\"");
}

TEST_CASE("PVH: no command line and no RSDP are reported as absent", "[boot][pvh]") {
  auto si = start_info(7);
  si.cmdline_paddr = 0;
  si.rsdp_paddr = 0;
  const FakePhys mem = boot_with(si);
  BootInfo info;
  REQUIRE(parse_pvh(mem, kStartInfo, info) == Status::kOk);
  CHECK(info.cmdline().empty());
  CHECK(info.rsdp == 0);
}

TEST_CASE("PVH: later versions are read as version 1", "[boot][pvh]") {
  auto si = start_info(7);
  si.version = 2;
  const FakePhys mem = boot_with(si);
  BootInfo info;
  CHECK(parse_pvh(mem, kStartInfo, info) == Status::kOk);
}

TEST_CASE("PVH: bad magic and version 0 are refused", "[boot][pvh]") {
  BootInfo info;
  auto si = start_info(7);
  si.magic = 0x336ec579;
  CHECK(parse_pvh(boot_with(si), kStartInfo, info) == Status::kPvhBadMagic);
  CHECK(info.error_paddr == kStartInfo);

  // A version-0 structure is 40 bytes and may end where readable memory does.
  si = start_info(7);
  si.version = 0;
  FakePhys mem;
  mem.add(kStartInfo, &si, pvh::kStartInfoV0Size);
  CHECK(parse_pvh(mem, kStartInfo, info) == Status::kPvhVersion0);
}

TEST_CASE("PVH: unreadable or truncated start info is refused", "[boot][pvh]") {
  BootInfo info;
  FakePhys empty;
  CHECK(parse_pvh(empty, kStartInfo, info) == Status::kUnreadable);

  const auto si = start_info(7);
  FakePhys truncated;
  truncated.add(kStartInfo, &si, sizeof(si) - 4);  // version 1 but the last field missing
  CHECK(parse_pvh(truncated, kStartInfo, info) == Status::kUnreadable);

  FakePhys top;  // at the top of the address space, the structure would wrap
  top.add(UINT64_MAX - 15, std::vector<uint8_t>(16, 0));
  CHECK(parse_pvh(top, UINT64_MAX - 15, info) == Status::kUnreadable);
}

TEST_CASE("PVH: a missing memory map is refused", "[boot][pvh]") {
  BootInfo info;
  auto si = start_info(0);
  CHECK(parse_pvh(boot_with(si), kStartInfo, info) == Status::kNoMemoryMap);
  si = start_info(7);
  si.memmap_paddr = 0;
  CHECK(parse_pvh(boot_with(si), kStartInfo, info) == Status::kNoMemoryMap);
  // Only empty entries: no memory either.
  FakePhys mem;
  mem.add_struct(kStartInfo, start_info(2));
  add_memmap(mem, {entry(0x1000, 0, pvh::MemmapType::kRam), entry(0, 0, pvh::MemmapType::kRam)});
  mem.add_string(kCmdline, "");
  CHECK(parse_pvh(mem, kStartInfo, info) == Status::kNoMemoryMap);
}

TEST_CASE("PVH: a memory map table past readable memory is refused", "[boot][pvh]") {
  FakePhys mem;
  mem.add_struct(kStartInfo, start_info(8));  // one entry more than there is
  add_memmap(mem, qemu_memmap());
  mem.add_string(kCmdline, "");
  BootInfo info;
  CHECK(parse_pvh(mem, kStartInfo, info) == Status::kUnreadable);
  CHECK(info.error_paddr == kMemmap);
}

TEST_CASE("PVH: an absurd memory map count is refused before reading it", "[boot][pvh]") {
  FakePhys mem;
  mem.add_struct(kStartInfo, start_info(0xffffffff));
  add_memmap(mem, qemu_memmap());
  mem.add_string(kCmdline, "");
  BootInfo info;
  CHECK(parse_pvh(mem, kStartInfo, info) == Status::kTooManyMemoryRanges);
  CHECK(mem.reads().size() < 100);

  mem = FakePhys{};
  mem.add_struct(kStartInfo, start_info(129));
  std::vector<pvh::MemmapEntry> many(129, entry(0, 0x1000, pvh::MemmapType::kRam));
  add_memmap(mem, many);
  mem.add_string(kCmdline, "");
  CHECK(parse_pvh(mem, kStartInfo, info) == Status::kTooManyMemoryRanges);
}

TEST_CASE("PVH: overlapping, wrapping and too-high memory entries are refused", "[boot][pvh]") {
  using T = pvh::MemmapType;
  struct Case {
    pvh::MemmapEntry bad;
    Status want;
  };
  const Case cases[] = {
      {entry(0x9f000, 0x2000, T::kReserved), Status::kMemoryRangesOverlap},
      {entry(0xfffffffffffff000, 0x1000, T::kReserved), Status::kMemoryRangeWraps},
      {entry(uint64_t{1} << 52, 0x1000, T::kRam), Status::kMemoryRangeTooHigh},
  };
  for (const Case& c : cases) {
    auto map = qemu_memmap();
    map.push_back(c.bad);
    FakePhys mem;
    mem.add_struct(kStartInfo, start_info(static_cast<uint32_t>(map.size())));
    add_memmap(mem, map);
    mem.add_string(kCmdline, "");
    BootInfo info;
    CHECK(parse_pvh(mem, kStartInfo, info) == c.want);
    CHECK(info.error_paddr != 0);
  }
}

TEST_CASE("PVH: command lines need a NUL within their bound", "[boot][pvh]") {
  BootInfo info;
  // 2047 characters fit; 2048 do not, even with a NUL right after.
  REQUIRE(parse_pvh(qemu_boot(std::string(2047, 'a')), kStartInfo, info) == Status::kOk);
  CHECK(info.cmdline_length == 2047);
  CHECK(parse_pvh(qemu_boot(std::string(2048, 'a')), kStartInfo, info) == Status::kCmdlineTooLong);
  CHECK(info.error_paddr == kCmdline);

  // No NUL before readable memory ends: refused without reading past it.
  FakePhys mem;
  const auto map = qemu_memmap();
  mem.add_struct(kStartInfo, start_info(static_cast<uint32_t>(map.size())));
  add_memmap(mem, map);
  mem.add(kCmdline, std::vector<uint8_t>(100, 'a'));
  CHECK(parse_pvh(mem, kStartInfo, info) == Status::kUnreadable);
  CHECK(info.cmdline().empty());
}

TEST_CASE("PVH: module list problems are refused", "[boot][pvh]") {
  BootInfo info;
  auto si = start_info(7);
  si.nr_modules = 9;
  si.modlist_paddr = kModlist;
  CHECK(parse_pvh(boot_with(si), kStartInfo, info) == Status::kTooManyModules);

  si.nr_modules = 1;
  si.modlist_paddr = 0;
  CHECK(parse_pvh(boot_with(si), kStartInfo, info) == Status::kPvhModuleListMissing);

  si.modlist_paddr = kModlist;
  CHECK(parse_pvh(boot_with(si), kStartInfo, info) == Status::kUnreadable);  // list absent

  FakePhys wraps = boot_with(si);
  const pvh::ModlistEntry bad{0xfffffffffffff000, 0x2000, 0, 0};
  wraps.add_struct(kModlist, bad);
  CHECK(parse_pvh(wraps, kStartInfo, info) == Status::kModuleRangeInvalid);
  CHECK(info.error_paddr == kModlist);

  FakePhys long_cmdline = boot_with(si);
  const pvh::ModlistEntry mod{0x1000000, 0x1000, 0x9000, 0};
  long_cmdline.add_struct(kModlist, mod);
  long_cmdline.add_string(0x9000, std::string(512, 'm'));
  CHECK(parse_pvh(long_cmdline, kStartInfo, info) == Status::kModuleCmdlineTooLong);
}
