// The child's PVH loader (vmm/loader/pvh_loader.hpp): synthetic ELF32 and ELF64 kernels built
// here load at their physical addresses with the start info, module, memory map and 32-bit entry
// registers pvh.pandoc asks for (and hv's own PVH parser accepts the start info); truncated,
// foreign and hostile images, and bad fits, are refused by name and never crash.
#include <catch2/catch_test_macros.hpp>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <rootstock/boot/pvh.hpp>

#include "vmm/loader/pvh_loader.hpp"

using namespace rootstock::vmm;
namespace pvh = rootstock::boot::pvh;

// The CMake target may point this at a real PVH ELF (hv.elf); without it that test skips.
#ifndef ROOTSTOCK_TEST_PVH_ELF
#define ROOTSTOCK_TEST_PVH_ELF ""
#endif

namespace {

// ---- A small ELF writer (System V gABI field offsets, written out independently here) ----

void put(std::vector<uint8_t>& b, size_t at, uint64_t value, size_t width) {
  if (b.size() < at + width) b.resize(at + width);
  for (size_t i = 0; i < width; ++i) b[at + i] = i < 8 ? static_cast<uint8_t>(value >> (8 * i)) : 0;
}

// One note: namesz, descsz, type, name, descriptor, each padded to 4 bytes.
std::vector<uint8_t> note(std::string_view name, uint32_t type, std::vector<uint8_t> desc) {
  std::vector<uint8_t> n;
  put(n, 0, name.size() + 1, 4);
  put(n, 4, desc.size(), 4);
  put(n, 8, type, 4);
  n.insert(n.end(), name.begin(), name.end());
  n.push_back(0);
  n.resize((n.size() + 3) & ~size_t{3});
  n.insert(n.end(), desc.begin(), desc.end());
  n.resize((n.size() + 3) & ~size_t{3});
  return n;
}

std::vector<uint8_t> le_bytes(uint64_t value, size_t width) {
  std::vector<uint8_t> b;
  put(b, 0, value, width);
  return b;
}

std::vector<uint8_t> phys32_entry(uint64_t entry, size_t width = 4) {
  return note("Xen", 18, le_bytes(entry, width));
}

std::vector<uint8_t> operator+(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kPtNote = 4;

struct Segment {
  uint32_t type = kPtLoad;
  uint64_t paddr = 0;
  std::vector<uint8_t> bytes;
  uint64_t memsz = 0;  // 0: bytes.size()
  uint64_t align = 4;
};

struct Elf {
  bool is64 = true;
  std::vector<Segment> segments;
};

size_t ehdr_size(bool is64) {
  return is64 ? 64 : 52;
}
size_t phdr_size(bool is64) {
  return is64 ? 56 : 32;
}
size_t phdr(bool is64, size_t index) {
  return ehdr_size(is64) + index * phdr_size(is64);
}

// Header, program headers, then each segment's bytes at a 16-byte-aligned file offset.
std::vector<uint8_t> build(const Elf& e) {
  const size_t w = e.is64 ? 8 : 4;
  std::vector<uint8_t> b(ehdr_size(e.is64) + e.segments.size() * phdr_size(e.is64), 0);
  const uint8_t ident[] = {0x7f, 'E', 'L', 'F', static_cast<uint8_t>(e.is64 ? 2 : 1), 1, 1};
  std::memcpy(b.data(), ident, sizeof(ident));
  put(b, 16, 2, 2);                      // e_type: ET_EXEC
  put(b, 18, e.is64 ? 62 : 3, 2);        // e_machine: EM_X86_64, EM_386
  put(b, 20, 1, 4);                      // e_version
  put(b, 24, 0x100000, w);               // e_entry (the loader uses the note, not this)
  put(b, 24 + w, ehdr_size(e.is64), w);  // e_phoff
  const size_t tail = 24 + 3 * w + 4;    // e_ehsize, after e_shoff and e_flags
  put(b, tail, ehdr_size(e.is64), 2);
  put(b, tail + 2, phdr_size(e.is64), 2);
  put(b, tail + 4, e.segments.size(), 2);
  for (size_t i = 0; i < e.segments.size(); ++i) {
    const Segment& s = e.segments[i];
    const size_t offset = (b.size() + 15) & ~size_t{15};
    b.resize(offset);
    b.insert(b.end(), s.bytes.begin(), s.bytes.end());
    const size_t p = phdr(e.is64, i);
    const uint64_t memsz = s.memsz != 0 ? s.memsz : s.bytes.size();
    put(b, p, s.type, 4);
    if (e.is64) {
      put(b, p + 8, offset, 8);
      put(b, p + 16, s.paddr, 8);  // p_vaddr: the same, as for an identity-linked image
      put(b, p + 24, s.paddr, 8);
      put(b, p + 32, s.bytes.size(), 8);
      put(b, p + 40, memsz, 8);
      put(b, p + 48, s.align, 8);
    } else {
      put(b, p + 4, offset, 4);
      put(b, p + 8, s.paddr, 4);
      put(b, p + 12, s.paddr, 4);
      put(b, p + 16, s.bytes.size(), 4);
      put(b, p + 20, memsz, 4);
      put(b, p + 28, s.align, 4);
    }
  }
  return b;
}

// The program header field offsets the tests patch.
struct PhdrField {
  size_t offset, paddr, filesz, memsz, align, width;
};
PhdrField fields(bool is64) {
  return is64 ? PhdrField{8, 24, 32, 40, 48, 8} : PhdrField{4, 12, 16, 20, 28, 4};
}

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7 + seed);
  return v;
}

constexpr uint64_t kEntry = 0x100040;

// The reference kernel: the notes first (a GNU build id and an unrelated Xen note around the
// entry note, as Linux has them), 12 KiB of code with 8 KiB of .bss at 1 MiB, data at 2 MiB.
Elf reference(bool is64 = true, size_t entry_width = 4) {
  Elf e;
  e.is64 = is64;
  e.segments = {
      {kPtNote, 0,
       note("GNU", 3, pattern(20, 9)) + note("Xen", 19, pattern(12, 5)) +
           phys32_entry(kEntry, entry_width),
       0, 4},
      {kPtLoad, 0x100000, pattern(0x3000, 1), 0x5000, 0x1000},
      {kPtLoad, 0x200000, pattern(0x800, 3), 0, 0x1000},
  };
  return e;
}

GuestMemory ram(uint64_t mib) {
  auto m = GuestMemory::allocate(0, mib << 20);
  REQUIRE(m);
  return std::move(*m);
}

template <typename T>
T read(GuestMemory& m, uint64_t gpa) {
  T v{};
  auto b = m.bytes(gpa, sizeof(T));
  REQUIRE(b);
  std::memcpy(&v, b->data(), sizeof(T));
  return v;
}

bool ram_equals(GuestMemory& m, uint64_t gpa, std::span<const uint8_t> expected) {
  auto b = m.bytes(gpa, expected.size());
  return b && std::memcmp(b->data(), expected.data(), expected.size()) == 0;
}

const RegisterAssignment* find(const RegisterList& list, uint32_t name) {
  for (const auto& r : list) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

// hv's PVH parser reading the child's RAM: the consumer's view of what the loader wrote.
class RamReader final : public rootstock::boot::PhysReader {
 public:
  explicit RamReader(GuestMemory& m) : m_(m) {}
  bool read(uint64_t paddr, void* out, size_t len) const override {
    auto b = m_.bytes(paddr, len);
    if (!b) return false;
    std::memcpy(out, b->data(), len);
    return true;
  }

 private:
  GuestMemory& m_;
};

std::string refusal(GuestMemory& m, std::span<const uint8_t> kernel,
                    std::span<const uint8_t> initramfs = {}, std::string_view cmdline = "") {
  auto r = loader::load_pvh(m, {kernel, initramfs, cmdline, 0});
  REQUIRE_FALSE(r);
  return describe(r.error());
}

}  // namespace

TEST_CASE("pvh loader: an ELF64 kernel loads where its segments say", "[vmm][loader][pvh]") {
  const std::vector<uint8_t> kernel = build(reference());
  REQUIRE(loader::is_pvh_elf(kernel));
  GuestMemory mem = ram(64);
  std::memset(mem.host().data(), 0xff, mem.size());  // a rebooted child: nothing may leak
  const std::vector<uint8_t> initramfs = pattern(300000, 0x42);
  auto loaded = loader::load_pvh(mem, {kernel, initramfs, "console=ttyS0 panic=-1", 0xe0000});
  REQUIRE(loaded);
  CHECK(loaded->entry == kEntry);
  CHECK(loaded->kernel_start == 0x100000);
  CHECK(loaded->kernel_end == 0x200800);
  CHECK(loaded->start_info == loader::pvh_layout::kStartInfo);

  // Segments at p_paddr, .bss cleared.
  CHECK(ram_equals(mem, 0x100000, pattern(0x3000, 1)));
  CHECK(ram_equals(mem, 0x103000, std::vector<uint8_t>(0x2000, 0)));
  CHECK(ram_equals(mem, 0x200000, pattern(0x800, 3)));

  // hvm_start_info, version 1 (start_info.h).
  const auto si = read<pvh::StartInfo>(mem, loader::pvh_layout::kStartInfo);
  CHECK(si.magic == 0x336ec578);
  CHECK(si.version == 1);
  CHECK(si.flags == 0);
  CHECK(si.nr_modules == 1);
  CHECK(si.modlist_paddr == loader::pvh_layout::kModlist);
  CHECK(si.cmdline_paddr == loader::layout::kCmdline);
  CHECK(si.rsdp_paddr == 0xe0000);
  CHECK(si.memmap_paddr == loader::pvh_layout::kMemmap);
  CHECK(si.memmap_entries == 3);
  CHECK(si.reserved == 0);

  // The initramfs as the one module, page-aligned at the top of RAM.
  const auto mod = read<pvh::ModlistEntry>(mem, si.modlist_paddr);
  CHECK(mod.paddr == loaded->initramfs_address);
  CHECK(mod.size == initramfs.size());
  CHECK(mod.cmdline_paddr == 0);
  CHECK(mod.reserved == 0);
  CHECK(loaded->initramfs_address % 4096 == 0);
  CHECK(loaded->initramfs_address + initramfs.size() <= mem.size());
  CHECK(loaded->initramfs_address + initramfs.size() > mem.size() - 4096);
  CHECK(ram_equals(mem, loaded->initramfs_address, initramfs));

  // The memory map: low RAM, the BIOS hole, RAM from 1 MiB (load_linux's e820).
  const uint64_t expected_map[3][3] = {
      {0, 0x9fc00, 1}, {0x9fc00, 0x100000 - 0x9fc00, 2}, {0x100000, (64 << 20) - 0x100000, 1}};
  for (size_t i = 0; i < 3; ++i) {
    const auto e = read<pvh::MemmapEntry>(mem, si.memmap_paddr + i * sizeof(pvh::MemmapEntry));
    CHECK(e.addr == expected_map[i][0]);
    CHECK(e.size == expected_map[i][1]);
    CHECK(e.type == expected_map[i][2]);
    CHECK(e.reserved == 0);
  }
  const std::string_view line("console=ttyS0 panic=-1\0", 23);
  CHECK(ram_equals(mem, si.cmdline_paddr,
                   {reinterpret_cast<const uint8_t*>(line.data()), line.size()}));

  // hv's own PVH parser accepts it and sees the same things.
  rootstock::boot::BootInfo info;
  REQUIRE(rootstock::boot::parse_pvh(RamReader(mem), loaded->start_info, info) ==
          rootstock::boot::Status::kOk);
  CHECK(std::string_view(info.cmdline().data, info.cmdline().size) == "console=ttyS0 panic=-1");
  CHECK(info.rsdp == 0xe0000);
  REQUIRE(info.module_count == 1);
  CHECK(info.modules[0].base == loaded->initramfs_address);
  CHECK(info.modules[0].size == initramfs.size());
  CHECK(rootstock::boot::usable_bytes(info) == 0x9fc00 + (64 << 20) - 0x100000);
}

TEST_CASE("pvh loader: the boot CPU enters in 32-bit protected mode as pvh.pandoc says",
          "[vmm][loader][pvh]") {
  const std::vector<uint8_t> kernel = build(reference());
  GuestMemory mem = ram(16);
  std::memset(mem.host().data(), 0xff, mem.size());
  auto loaded = loader::load_pvh(mem, {kernel, {}, "", 0});
  REQUIRE(loaded);
  std::vector<uint32_t> order;
  for (const auto& r : loaded->registers) order.push_back(r.name);
  const std::vector<uint32_t> expected = {
      RS_REG_CR0, RS_REG_CR4, RS_REG_EFER, RS_REG_CS,   RS_REG_DS,     RS_REG_ES,  RS_REG_SS,
      RS_REG_FS,  RS_REG_GS,  RS_REG_TR,   RS_REG_GDTR, RS_REG_RFLAGS, RS_REG_RBX, RS_REG_RIP};
  CHECK(order == expected);
  const auto value = [&](uint32_t name) {
    const RegisterAssignment* r = find(loaded->registers, name);
    REQUIRE(r);
    return r->value;
  };
  CHECK(value(RS_REG_CR0).scalar.value == 0x11);  // PE and ET; PG clear
  CHECK(value(RS_REG_CR4).scalar.value == 0);
  CHECK(value(RS_REG_EFER).scalar.value == 0);
  CHECK(value(RS_REG_RFLAGS).scalar.value == 0x2);
  CHECK(value(RS_REG_RBX).scalar.value == loader::pvh_layout::kStartInfo);
  CHECK(value(RS_REG_RIP).scalar.value == kEntry);
  const auto cs = value(RS_REG_CS).segment;
  CHECK(cs.selector == 0x10);
  CHECK(cs.base == 0);
  CHECK(cs.limit == 0xffffffff);
  CHECK(cs.attributes == 0xc9b);  // code, execute/read, accessed, present, 32-bit, 4 KiB granular
  for (const uint32_t name : {RS_REG_DS, RS_REG_ES, RS_REG_SS, RS_REG_FS, RS_REG_GS}) {
    const auto d = value(name).segment;
    CHECK(d.selector == 0x18);
    CHECK(d.base == 0);
    CHECK(d.limit == 0xffffffff);
    CHECK(d.attributes == 0xc93);
  }
  const auto tr = value(RS_REG_TR).segment;
  CHECK(tr.selector == 0x20);
  CHECK(tr.base == 0);
  CHECK(tr.limit == 0x67);
  CHECK(tr.attributes == 0x8b);  // busy 32-bit TSS, present
  const auto gdtr = value(RS_REG_GDTR).table;
  CHECK(gdtr.base == loader::pvh_layout::kGdt);
  CHECK(gdtr.limit == 5 * 8 - 1);
  // The GDT the selectors name holds the same segments (the well-known flat encodings).
  CHECK(read<uint64_t>(mem, gdtr.base + 0x10) == 0x00cf9b000000ffffull);
  CHECK(read<uint64_t>(mem, gdtr.base + 0x18) == 0x00cf93000000ffffull);
  CHECK(read<uint64_t>(mem, gdtr.base + 0x20) == 0x00008b0000000067ull);
  CHECK(ram_equals(mem, 0, std::vector<uint8_t>(0x68, 0)));  // the TSS
  // No initramfs: no module list; an empty command line is still a string.
  const auto si = read<pvh::StartInfo>(mem, loader::pvh_layout::kStartInfo);
  CHECK(si.nr_modules == 0);
  CHECK(si.modlist_paddr == 0);
  CHECK(read<uint8_t>(mem, si.cmdline_paddr) == 0);
  CHECK(loaded->initramfs_address == 0);
}

TEST_CASE("pvh loader: ELF32, 8-byte entry notes and segments in low RAM load too",
          "[vmm][loader][pvh]") {
  // ELF32 with the entry note written as 8 bytes (as 64-bit Linux writes it).
  Elf e = reference(false, 8);
  e.segments.push_back({kPtLoad, 0x30000, pattern(0x1000, 7), 0x6fc00, 0x1000});  // to kLowRamEnd
  const std::vector<uint8_t> kernel = build(e);
  REQUIRE(loader::is_pvh_elf(kernel));
  auto parsed = loader::parse_pvh_elf(kernel);
  REQUIRE(parsed);
  CHECK(parsed->entry == kEntry);
  CHECK(parsed->segments.size() == 3);
  GuestMemory mem = ram(4);
  const std::vector<uint8_t> initramfs = pattern(0x1000, 1);
  auto loaded = loader::load_pvh(mem, {kernel, initramfs, "x", 0});
  REQUIRE(loaded);
  CHECK(loaded->entry == kEntry);
  CHECK(loaded->kernel_start == 0x30000);
  CHECK(loaded->kernel_end == 0x200800);
  CHECK(loaded->initramfs_address == (4 << 20) - 0x1000);
  CHECK(ram_equals(mem, 0x30000, pattern(0x1000, 7)));
  CHECK(ram_equals(mem, 0x100000, pattern(0x3000, 1)));
  // Both ELF64 and ELF32 give the same start info.
  const auto si = read<pvh::StartInfo>(mem, loaded->start_info);
  CHECK(si.magic == pvh::kMagic);
  CHECK(si.nr_modules == 1);
}

TEST_CASE("pvh loader: other formats are not PVH ELFs", "[vmm][loader][pvh]") {
  CHECK_FALSE(loader::is_pvh_elf({}));
  // The start of a bzImage: the PE/COFF stub's "MZ", and "HdrS" at 0x202.
  std::vector<uint8_t> bz(0x4000, 0);
  bz[0] = 'M';
  bz[1] = 'Z';
  std::memcpy(bz.data() + 0x202, "HdrS", 4);
  CHECK_FALSE(loader::is_pvh_elf(bz));
  // An ELF kernel without the note (a vmlinux built without CONFIG_PVH).
  Elf plain = reference();
  plain.segments[0].bytes = note("GNU", 3, pattern(20, 9));
  CHECK_FALSE(loader::is_pvh_elf(build(plain)));
}

TEST_CASE("pvh loader: malformed headers are refused by name", "[vmm][loader][pvh]") {
  GuestMemory mem = ram(64);
  const std::vector<uint8_t> good = build(reference());
  auto patched = [&](size_t at, uint64_t value, size_t width) {
    std::vector<uint8_t> b = good;
    put(b, at, value, width);
    return b;
  };
  const auto has = [](const std::string& message, std::string_view part) {
    INFO(message);
    return message.find(part) != std::string::npos;
  };
  CHECK(has(refusal(mem, {}), "ELF magic"));
  CHECK(has(refusal(mem, std::span(good).first(40)), "truncated"));
  CHECK(has(refusal(mem, std::span(good).first(10)), "truncated"));
  CHECK(has(refusal(mem, patched(1, 'X', 1)), "ELF magic"));
  CHECK(has(refusal(mem, patched(4, 3, 1)), "class"));
  CHECK(has(refusal(mem, patched(5, 2, 1)), "little-endian"));
  CHECK(has(refusal(mem, patched(20, 2, 4)), "version"));
  CHECK(has(refusal(mem, patched(16, 1, 2)), "executable"));  // ET_REL
  CHECK(has(refusal(mem, patched(18, 183, 2)), "x86"));       // EM_AARCH64
  // ELF32 header offsets differ; a truncated ELF32 header is caught by its own size.
  const std::vector<uint8_t> good32 = build(reference(false));
  CHECK(has(refusal(mem, std::span(good32).first(50)), "truncated"));
  // Program header table: count, entry size, position.
  CHECK(has(refusal(mem, patched(56, 0, 2)), "no program headers"));
  CHECK(has(refusal(mem, patched(56, 0xffff, 2)), "PN_XNUM"));
  CHECK(has(refusal(mem, patched(56, 0xfffe, 2)), "program header table"));
  CHECK(has(refusal(mem, patched(54, 20, 2)), "program header entries"));
  CHECK(has(refusal(mem, patched(32, good.size() - 10, 8)), "program header table"));
  CHECK(has(refusal(mem, patched(32, 0xffffffffffffff00ull, 8)), "program header table"));
}

TEST_CASE("pvh loader: hostile segments are refused by name", "[vmm][loader][pvh]") {
  GuestMemory mem = ram(64);
  const std::vector<uint8_t> good = build(reference());
  const PhdrField f = fields(true);
  const size_t code = phdr(true, 1);  // the 12 KiB + .bss segment at 1 MiB
  const size_t data = phdr(true, 2);  // the 2 KiB segment at 2 MiB
  auto patched = [&](size_t at, uint64_t value) {
    std::vector<uint8_t> b = good;
    put(b, at, value, f.width);
    return b;
  };
  const auto has = [](const std::string& message, std::string_view part) {
    INFO(message);
    return message.find(part) != std::string::npos;
  };
  CHECK(has(refusal(mem, patched(code + f.filesz, 0x5001)), "exceeds p_memsz"));
  CHECK(
      has(refusal(mem, patched(code + f.offset, good.size() - 0x100)), "past the end of the file"));
  CHECK(has(refusal(mem, patched(code + f.offset, 0xfffffffffffff000ull)),
            "past the end of the file"));
  {
    std::vector<uint8_t> b = patched(code + f.filesz, UINT64_MAX);
    put(b, code + f.memsz, UINT64_MAX, 8);
    CHECK(has(refusal(mem, b), "past the end of the file"));
  }
  CHECK(has(refusal(mem, patched(data + f.paddr, 0xffffffffffffff00ull)), "wraps"));
  CHECK(has(refusal(mem, patched(data + f.memsz, UINT64_MAX)), "wraps"));
  // Placement: past RAM (and above 4 GiB), the loader's own structures, the BIOS hole, overlap.
  CHECK(has(refusal(mem, patched(data + f.paddr, (64 << 20) - 0x400)), "past the end of RAM"));
  CHECK(has(refusal(mem, patched(data + f.paddr, 0x100000000ull)), "past the end of RAM"));
  CHECK(has(refusal(mem, patched(data + f.paddr, 0x7000)), "loader's low-memory"));
  CHECK(has(refusal(mem, patched(data + f.paddr, 0x2f800)), "loader's low-memory"));
  CHECK(has(refusal(mem, patched(data + f.paddr, 0xe0000)), "BIOS hole"));
  CHECK(has(refusal(mem, patched(data + f.paddr, 0x9f800)), "BIOS hole"));  // straddles
  CHECK(has(refusal(mem, patched(data + f.paddr, 0x104000)), "overlap"));   // into .bss
  CHECK(has(refusal(mem, patched(code + f.memsz, 0x100001)), "overlap"));   // onto the data
  // The same for ELF32's fields.
  const std::vector<uint8_t> good32 = build(reference(false));
  const PhdrField f32 = fields(false);
  std::vector<uint8_t> b32 = good32;
  put(b32, phdr(false, 1) + f32.filesz, 0x5001, 4);
  CHECK(has(refusal(mem, b32), "exceeds p_memsz"));
  b32 = good32;
  put(b32, phdr(false, 2) + f32.offset, 0xfffffff0, 4);
  CHECK(has(refusal(mem, b32), "past the end of the file"));
}

TEST_CASE("pvh loader: missing and malformed notes are refused by name", "[vmm][loader][pvh]") {
  GuestMemory mem = ram(64);
  const auto has = [](const std::string& message, std::string_view part) {
    INFO(message);
    return message.find(part) != std::string::npos;
  };
  const auto with_notes = [](std::vector<uint8_t> notes, uint64_t align = 4) {
    Elf e = reference();
    e.segments[0].bytes = std::move(notes);
    e.segments[0].align = align;
    return build(e);
  };
  CHECK(has(refusal(mem, with_notes(note("GNU", 3, pattern(20, 9)))), "PHYS32_ENTRY"));
  CHECK(has(refusal(mem, with_notes({})), "PHYS32_ENTRY"));
  CHECK(has(refusal(mem, with_notes(note("Xem", 18, le_bytes(kEntry, 4)))), "PHYS32_ENTRY"));
  CHECK(has(refusal(mem, with_notes(note("Xen", 18, le_bytes(kEntry, 2)))), "4 or 8 expected"));
  CHECK(has(refusal(mem, with_notes(note("Xen", 18, le_bytes(kEntry, 16)))), "4 or 8 expected"));
  CHECK(has(refusal(mem, with_notes(phys32_entry(0x100000000ull, 8))), "not 32-bit"));
  CHECK(has(refusal(mem, with_notes(phys32_entry(kEntry) + phys32_entry(0x100000))), "disagree"));
  // Sizes that run past the segment: a huge name, a huge descriptor, a cut header.
  std::vector<uint8_t> huge_name = phys32_entry(kEntry);
  put(huge_name, 0, 0xffffffff, 4);
  CHECK(has(refusal(mem, with_notes(huge_name)), "runs past"));
  std::vector<uint8_t> huge_desc = phys32_entry(kEntry);
  put(huge_desc, 4, 0xfffffffc, 4);
  CHECK(has(refusal(mem, with_notes(huge_desc)), "runs past"));
  CHECK(has(refusal(mem, with_notes(phys32_entry(kEntry) + std::vector<uint8_t>(6, 0))),
            "truncated"));
  // Alignment: of the segment's notes, and of its file offset.
  CHECK(has(refusal(mem, with_notes(phys32_entry(kEntry), 16)), "aligned to"));
  const std::vector<uint8_t> good = build(reference());
  const size_t notes = phdr(true, 0);
  std::vector<uint8_t> b = good;
  put(b, notes + 8, good[notes + 8] + 2u, 1);
  CHECK(has(refusal(mem, b), "aligned"));
  b = good;
  put(b, notes + 32, good.size(), 8);  // p_filesz past the end of the file
  CHECK(has(refusal(mem, b), "past the end of the file"));
  // The entry must lie in a segment's file bytes; a kernel needs a PT_LOAD.
  CHECK(has(refusal(mem, with_notes(phys32_entry(0x300000))), "outside the segments"));
  CHECK(has(refusal(mem, with_notes(phys32_entry(0x104000))), "outside the segments"));  // .bss
  Elf notes_only = reference();
  notes_only.segments.resize(1);
  CHECK(has(refusal(mem, build(notes_only)), "no PT_LOAD"));
}

TEST_CASE("pvh loader: bad fits are refused by name", "[vmm][loader][pvh]") {
  const std::vector<uint8_t> kernel = build(reference());
  const auto has = [](const std::string& message, std::string_view part) {
    INFO(message);
    return message.find(part) != std::string::npos;
  };
  GuestMemory mem = ram(4);
  const std::string long_line(loader::layout::kCmdlineMax, 'x');
  CHECK(has(refusal(mem, kernel, {}, long_line), "command line"));
  const std::vector<uint8_t> huge(5 << 20, 0);
  CHECK(has(refusal(mem, kernel, huge), "initramfs"));
  // Fits between the kernel's end (2 MiB + 2 KiB) and the top, but not page-aligned.
  const std::vector<uint8_t> big(0x1ff400, 0);
  CHECK(has(refusal(mem, kernel, big), "initramfs"));
  GuestMemory tiny = ram(1);
  CHECK(has(refusal(tiny, kernel), "RAM"));
  auto high = GuestMemory::allocate(1 << 20, 8 << 20);
  REQUIRE(high);
  CHECK(has(refusal(*high, kernel), "RAM"));
}

TEST_CASE("pvh loader: every truncation and random corruption is refused or loaded, never a crash",
          "[vmm][loader][pvh]") {
  const std::vector<uint8_t> good = build(reference());
  for (size_t n = 0; n < good.size(); ++n) {
    INFO("truncated to " << n << " bytes");
    REQUIRE_FALSE(loader::parse_pvh_elf(std::span(good).first(n)));
  }
  // Corrupt the header, program headers and notes (the first 512 bytes) with a fixed seed.
  GuestMemory mem = ram(8);
  uint64_t state = 0x9e3779b97f4a7c15ull;
  const auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  size_t loaded = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<uint8_t> b = good;
    const uint64_t flips = 1 + next() % 4;
    for (uint64_t i = 0; i < flips; ++i) b[next() % 512] = static_cast<uint8_t>(next());
    if (loader::load_pvh(mem, {b, {}, "", 0})) ++loaded;
  }
  CHECK(loaded < 3000);  // most corruptions are caught; none crashed under ASan/UBSan
}

TEST_CASE("pvh loader: a real PVH ELF (hv.elf) loads", "[vmm][loader][pvh]") {
  const std::string path = ROOTSTOCK_TEST_PVH_ELF;
  if (path.empty()) SKIP("no PVH ELF configured (ROOTSTOCK_TEST_PVH_ELF)");
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> kernel{std::istreambuf_iterator<char>(in),
                                    std::istreambuf_iterator<char>()};
  if (kernel.empty()) SKIP("not built yet (" + path + ")");
  auto parsed = loader::parse_pvh_elf(kernel);
  REQUIRE(parsed);
  GuestMemory mem = ram(256);
  const std::vector<uint8_t> initramfs = pattern(1 << 20, 5);
  auto loaded = loader::load_pvh(mem, {kernel, initramfs, "console=ttyS0", 0xe0000});
  REQUIRE(loaded);
  CHECK(loaded->entry == parsed->entry);
  CHECK(loaded->entry >= loaded->kernel_start);
  CHECK(loaded->entry < loaded->kernel_end);
  CHECK(find(loaded->registers, RS_REG_RIP)->value.scalar.value == loaded->entry);
  for (const loader::PvhSegment& s : parsed->segments) {
    CHECK(ram_equals(mem, s.paddr, std::span(kernel).subspan(s.offset, s.filesz)));
  }
  rootstock::boot::BootInfo info;
  CHECK(rootstock::boot::parse_pvh(RamReader(mem), loaded->start_info, info) ==
        rootstock::boot::Status::kOk);
}
