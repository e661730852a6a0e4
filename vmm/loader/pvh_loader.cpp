#include "vmm/loader/pvh_loader.hpp"

#include "vmm/loader/guest_copy.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include <rootstock/boot/pvh.hpp>

#include "vmm/long_mode.hpp"

namespace rootstock::vmm::loader {
namespace {

namespace pvh = rootstock::boot::pvh;

constexpr uint64_t kPage = 4096;
constexpr uint64_t k4GiB = uint64_t{1} << 32;

// ---- ELF: System V gABI, "ELF Header", "Program Header" and "Note Section" ----------------

constexpr std::array<uint8_t, 4> kElfMagic = {0x7f, 'E', 'L', 'F'};
constexpr uint64_t kEiNident = 16;  // e_ident's size; the indices into it:
constexpr uint64_t kEiClass = 4;
constexpr uint64_t kEiData = 5;
constexpr uint64_t kEiVersion = 6;
constexpr uint64_t kEType = 16;  // e_type, e_machine, e_version: the same offsets in both classes
constexpr uint64_t kEMachine = 18;
constexpr uint64_t kEVersion = 20;
constexpr uint64_t kPType = 0;

enum class ElfClass : uint8_t { k32 = 1, k64 = 2 };  // ELFCLASS32, ELFCLASS64
constexpr uint8_t kElfData2Lsb = 1;                  // little-endian
constexpr uint8_t kEvCurrent = 1;
enum class ElfType : uint16_t { kExec = 2, kDyn = 3 };        // ET_EXEC, ET_DYN
enum class ElfMachine : uint16_t { k386 = 3, kX86_64 = 62 };  // EM_386, EM_X86_64
enum class SegmentType : uint32_t { kLoad = 1, kNote = 4 };   // PT_LOAD, PT_NOTE
constexpr uint64_t kPnXnum = 0xffff;  // e_phnum escape: the count is in section header 0

// The same fields in both classes, at offsets that differ because addresses and offsets are 4
// or 8 bytes wide (`word`).
struct ElfLayout {
  uint64_t ehdr_size;
  uint64_t word;
  uint64_t e_phoff;
  uint64_t e_phentsize;
  uint64_t e_phnum;
  uint64_t phdr_size;
  uint64_t p_offset;
  uint64_t p_paddr;
  uint64_t p_filesz;
  uint64_t p_memsz;
  uint64_t p_align;
};
constexpr ElfLayout kElf32{52, 4, 28, 42, 44, 32, 4, 12, 16, 20, 28};
constexpr ElfLayout kElf64{64, 8, 32, 54, 56, 56, 8, 24, 32, 40, 48};

// A note header: n_namesz, n_descsz, n_type, 4 bytes each in both classes.
constexpr uint64_t kNoteHeader = 12;
constexpr std::array<uint8_t, 4> kXenNoteName = {'X', 'e', 'n', '\0'};

std::unexpected<Error> refuse(const std::string& what) {
  return fail("pvh loader: " + what);
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// "[base, base + length)", written so that a hostile length does not wrap the printed end.
std::string range(uint64_t base, uint64_t length) {
  return "[" + hex(base) + ", " + (length <= UINT64_MAX - base ? hex(base + length) : "wraps") +
         ")";
}

// Whether [offset, offset + length) lies inside `size` bytes, without computing the sum.
bool fits(uint64_t offset, uint64_t length, uint64_t size) {
  return offset <= size && length <= size - offset;
}

uint64_t align_up(uint64_t v, uint64_t alignment) {
  return (v + alignment - 1) & ~(alignment - 1);
}

// The little-endian field of `width` bytes at `at`. Precondition: fits(at, width, bytes.size()),
// which every caller has established for the whole structure the field belongs to.
uint64_t le(std::span<const uint8_t> bytes, uint64_t at, uint64_t width) {
  uint64_t v = 0;
  for (uint64_t i = 0; i < width; ++i) v |= uint64_t{bytes[at + i]} << (8 * i);
  return v;
}

// The checked ELF header fields the rest of the parse needs.
struct ElfHeader {
  const ElfLayout* layout = nullptr;
  uint64_t phoff = 0;
  uint64_t phentsize = 0;
  uint64_t phnum = 0;
};

Result<ElfHeader> parse_header(std::span<const uint8_t> file) {
  if (file.size() < kElfMagic.size() ||
      !std::equal(kElfMagic.begin(), kElfMagic.end(), file.begin())) {
    return refuse("no ELF magic: not an ELF file");
  }
  if (file.size() < kEiNident) return refuse("the ELF header is truncated");
  ElfHeader h;
  const uint8_t elf_class = file[kEiClass];
  if (elf_class == static_cast<uint8_t>(ElfClass::k32)) {
    h.layout = &kElf32;
  } else if (elf_class == static_cast<uint8_t>(ElfClass::k64)) {
    h.layout = &kElf64;
  } else {
    return refuse("unknown ELF class " + std::to_string(elf_class));
  }
  const ElfLayout& l = *h.layout;
  if (file.size() < l.ehdr_size) {
    return refuse("the ELF header is truncated (" + std::to_string(file.size()) + " of " +
                  std::to_string(l.ehdr_size) + " bytes)");
  }
  if (file[kEiData] != kElfData2Lsb) return refuse("the ELF file is not little-endian");
  if (file[kEiVersion] != kEvCurrent || le(file, kEVersion, 4) != kEvCurrent) {
    return refuse("unknown ELF version");
  }
  const uint64_t type = le(file, kEType, 2);
  if (type != static_cast<uint16_t>(ElfType::kExec) &&
      type != static_cast<uint16_t>(ElfType::kDyn)) {
    return refuse("the ELF file is not an executable (e_type " + std::to_string(type) + ")");
  }
  const uint64_t machine = le(file, kEMachine, 2);
  if (machine != static_cast<uint16_t>(ElfMachine::k386) &&
      machine != static_cast<uint16_t>(ElfMachine::kX86_64)) {
    return refuse("the ELF file is not for x86 (e_machine " + std::to_string(machine) + ")");
  }
  h.phoff = le(file, l.e_phoff, l.word);
  h.phentsize = le(file, l.e_phentsize, 2);
  h.phnum = le(file, l.e_phnum, 2);
  if (h.phnum == 0) return refuse("the ELF file has no program headers");
  if (h.phnum == kPnXnum) return refuse("more program headers than e_phnum holds (PN_XNUM)");
  // A larger entry is allowed (the gABI's e_phentsize); the fields read are those of the class.
  if (h.phentsize < l.phdr_size) {
    return refuse("program header entries of " + std::to_string(h.phentsize) + " bytes (" +
                  std::to_string(l.phdr_size) + " at least)");
  }
  // phnum and phentsize are 16-bit: their product cannot overflow.
  if (!fits(h.phoff, h.phnum * h.phentsize, file.size())) {
    return refuse("the program header table " + range(h.phoff, h.phnum * h.phentsize) +
                  " lies past the end of the file (" + std::to_string(file.size()) + " bytes)");
  }
  return h;
}

// Walks the notes of one PT_NOTE segment (namesz, descsz, type, then the name and the
// descriptor, each padded to `alignment`) and records the PHYS32_ENTRY one in `entry`.
Result<void> scan_notes(std::span<const uint8_t> notes, uint64_t alignment, uint64_t index,
                        std::optional<uint32_t>& entry) {
  const std::string where = "note segment " + std::to_string(index) + ": ";
  // Offsets stay below notes.size() + 2^33 + 16: no sum here can wrap.
  uint64_t at = 0;
  while (at < notes.size()) {
    if (!fits(at, kNoteHeader, notes.size())) {
      return refuse(where + "a note header at offset " + hex(at) + " is truncated");
    }
    const uint64_t namesz = le(notes, at, 4);
    const uint64_t descsz = le(notes, at + 4, 4);
    const uint64_t type = le(notes, at + 8, 4);
    const uint64_t name_at = at + kNoteHeader;
    const uint64_t desc_at = align_up(name_at + namesz, alignment);
    if (!fits(name_at, namesz, notes.size()) || !fits(desc_at, descsz, notes.size())) {
      return refuse(where + "the note at offset " + hex(at) + " (name " + std::to_string(namesz) +
                    " bytes, descriptor " + std::to_string(descsz) +
                    " bytes) runs past the segment's end");
    }
    const bool xen = namesz == kXenNoteName.size() &&
                     std::equal(kXenNoteName.begin(), kXenNoteName.end(),
                                notes.begin() + static_cast<std::ptrdiff_t>(name_at));
    if (xen && type == kXenElfnotePhys32Entry) {
      if (descsz != 4 && descsz != 8) {
        return refuse(where + "the PHYS32_ENTRY note's descriptor is " + std::to_string(descsz) +
                      " bytes (4 or 8 expected)");
      }
      const uint64_t value = le(notes, desc_at, descsz);
      if (value >= k4GiB) {
        return refuse(where + "the PHYS32_ENTRY point " + hex(value) + " is not 32-bit");
      }
      if (entry && *entry != value) {
        return refuse(where + "two PHYS32_ENTRY notes disagree (" + hex(*entry) + ", " +
                      hex(value) + ")");
      }
      entry = static_cast<uint32_t>(value);
    }
    at = align_up(desc_at + descsz, alignment);
  }
  return {};
}

// The note alignment a PT_NOTE's p_align gives: 4 unless the segment asks for 8 (gABI "Note
// Section"; 64-bit GNU property notes are 8-aligned).
std::optional<uint64_t> note_alignment(uint64_t p_align) {
  if (p_align <= 4) return 4;
  if (p_align == 8) return 8;
  return std::nullopt;
}

Result<void> place_segment(const PvhSegment& s, uint64_t ram_top) {
  const std::string what = "segment " + range(s.paddr, s.memsz);
  if (s.paddr < pvh_layout::kLoaderEnd) {
    return refuse(what + " overlaps the loader's low-memory structures " +
                  range(0, pvh_layout::kLoaderEnd));
  }
  // From here on paddr >= kLoaderEnd, which is below kLowRamEnd.
  if (s.paddr < layout::kHighRam &&
      (s.paddr >= layout::kLowRamEnd || s.memsz > layout::kLowRamEnd - s.paddr)) {
    return refuse(what + " reaches into the BIOS hole " +
                  range(layout::kLowRamEnd, layout::kHighRam - layout::kLowRamEnd));
  }
  if (!fits(s.paddr, s.memsz, ram_top)) {
    return refuse(what + " lies past the end of RAM below 4 GiB (" + hex(ram_top) + ")");
  }
  return {};
}

template <typename T>
std::span<const uint8_t> as_bytes(const T& value) {
  return {reinterpret_cast<const uint8_t*>(&value), sizeof(value)};
}

constexpr std::string_view kLoader = "pvh loader";

Result<void> copy_in(GuestMemory& ram, uint64_t gpa, std::span<const uint8_t> data,
                     std::string_view what) {
  return loader::copy_in(ram, gpa, data, kLoader, what);
}

Result<void> zero(GuestMemory& ram, uint64_t gpa, uint64_t length, const char* what) {
  auto target = ram.bytes(gpa, length);
  if (!target) return refuse(std::string(what) + ": " + describe(target.error()));
  std::memset(target->data(), 0, target->size());
  return {};
}

// ---- Entry state (pvh.pandoc): 32-bit protected mode, paging off ----------------------------

// Code: execute/read, accessed, 32-bit default, 4 GiB.
constexpr uint16_t kCode32Attributes =
    0xb | RS_SEGMENT_ATTR_S | RS_SEGMENT_ATTR_P | RS_SEGMENT_ATTR_DB | RS_SEGMENT_ATTR_G;
// TR: "a 32-bit TSS (active) with a base of '0' and a limit of '0x67'": a busy 32-bit TSS, type
// 11 (SDM vol. 3A, table 3-2).
constexpr uint16_t kTss32BusyAttributes = 0xb | RS_SEGMENT_ATTR_P;
constexpr uint32_t kTssLimit = 0x67;
constexpr size_t kGdtEntries = 5;  // null, null, code, data, TSS

Result<void> write_gdt(GuestMemory& ram) {
  const std::array<uint64_t, kGdtEntries> gdt = {
      0,
      0,
      gdt_descriptor(0, kFlatSegmentLimit, kCode32Attributes),
      gdt_descriptor(0, kFlatSegmentLimit, kFlatDataAttributes),
      gdt_descriptor(static_cast<uint32_t>(pvh_layout::kTss), kTssLimit, kTss32BusyAttributes),
  };
  static_assert(kPvhCodeSelector == 2 * 8 && kPvhDataSelector == 3 * 8 && kPvhTssSelector == 4 * 8);
  if (auto r = copy_in(ram, pvh_layout::kGdt, as_bytes(gdt), "GDT"); !r) return r;
  return zero(ram, pvh_layout::kTss, kTssLimit + 1, "TSS");
}

RegisterList entry_registers(uint64_t entry, uint64_t start_info) {
  // Paging off before EFER.LME clears, the order the SDM gives for leaving IA-32e mode (vol. 3A,
  // 10.8.5.4), should the VP have been in it.
  RegisterList regs = {
      scalar_register(RS_REG_CR0, cr0::kPe | cr0::kEt),
      scalar_register(RS_REG_CR4, 0),
      scalar_register(RS_REG_EFER, 0),
      segment_register(RS_REG_CS, 0, kFlatSegmentLimit, kPvhCodeSelector, kCode32Attributes),
  };
  // pvh.pandoc names DS and ES only; SS, FS and GS get the same flat segment rather than
  // whatever the VP held.
  for (const uint32_t name : {RS_REG_DS, RS_REG_ES, RS_REG_SS, RS_REG_FS, RS_REG_GS}) {
    regs.push_back(
        segment_register(name, 0, kFlatSegmentLimit, kPvhDataSelector, kFlatDataAttributes));
  }
  regs.push_back(segment_register(RS_REG_TR, pvh_layout::kTss, kTssLimit, kPvhTssSelector,
                                  kTss32BusyAttributes));
  regs.push_back(table_register(RS_REG_GDTR, pvh_layout::kGdt, kGdtEntries * 8 - 1));
  regs.push_back(scalar_register(RS_REG_RFLAGS, kEntryRflags));
  regs.push_back(scalar_register(RS_REG_RBX, start_info));
  regs.push_back(scalar_register(RS_REG_RIP, entry));
  return regs;
}

// The child's memory map, as load_linux() gives it in e820: low RAM, the BIOS hole (where its
// ACPI tables live), the rest.
constexpr uint32_t kMemmapEntries = 3;
static_assert(pvh_layout::kModlist >= pvh_layout::kStartInfo + sizeof(pvh::StartInfo));
static_assert(pvh_layout::kMemmap >= pvh_layout::kModlist + sizeof(pvh::ModlistEntry));
static_assert(pvh_layout::kMemmap + kMemmapEntries * sizeof(pvh::MemmapEntry) <=
              pvh_layout::kStartInfo + kPage);
static_assert(pvh_layout::kGdt + kGdtEntries * 8 <= pvh_layout::kStartInfo);

std::array<pvh::MemmapEntry, kMemmapEntries> memory_map(uint64_t ram_size) {
  const auto ram = static_cast<uint32_t>(pvh::MemmapType::kRam);
  const auto reserved = static_cast<uint32_t>(pvh::MemmapType::kReserved);
  return {{
      {0, layout::kLowRamEnd, ram, 0},
      {layout::kLowRamEnd, layout::kHighRam - layout::kLowRamEnd, reserved, 0},
      {layout::kHighRam, ram_size - layout::kHighRam, ram, 0},
  }};
}

Result<void> write_start_info(GuestMemory& ram, const PvhImage& image, uint64_t initrd_address) {
  pvh::StartInfo info{};
  info.magic = pvh::kMagic;
  info.version = 1;  // with the memory map
  info.cmdline_paddr = layout::kCmdline;
  info.rsdp_paddr = image.acpi_rsdp;
  info.memmap_paddr = pvh_layout::kMemmap;
  info.memmap_entries = kMemmapEntries;
  if (!image.initramfs.empty()) {
    info.nr_modules = 1;
    info.modlist_paddr = pvh_layout::kModlist;
  }
  // Cleared first: a rebooted child's RAM holds its old contents.
  if (auto r = zero(ram, pvh_layout::kStartInfo, kPage, "start info"); !r) return r;
  if (auto r = copy_in(ram, pvh_layout::kStartInfo, as_bytes(info), "start info"); !r) return r;
  if (!image.initramfs.empty()) {
    pvh::ModlistEntry initramfs{};
    initramfs.paddr = initrd_address;
    initramfs.size = image.initramfs.size();
    if (auto r = copy_in(ram, pvh_layout::kModlist, as_bytes(initramfs), "module list"); !r) {
      return r;
    }
  }
  return copy_in(ram, pvh_layout::kMemmap, as_bytes(memory_map(ram.size())), "memory map");
}

}  // namespace

Result<PvhElf> parse_pvh_elf(std::span<const uint8_t> file) {
  auto header = parse_header(file);
  if (!header) return std::unexpected(header.error());
  const ElfLayout& l = *header->layout;
  PvhElf out;
  std::optional<uint32_t> entry;
  for (uint64_t i = 0; i < header->phnum; ++i) {
    // Inside the table parse_header() checked; the fields read lie in the first phdr_size bytes.
    const auto ph = file.subspan(header->phoff + i * header->phentsize, l.phdr_size);
    const uint64_t type = le(ph, kPType, 4);
    const uint64_t offset = le(ph, l.p_offset, l.word);
    const uint64_t filesz = le(ph, l.p_filesz, l.word);
    const std::string what = "program header " + std::to_string(i) + ": ";
    if (type == static_cast<uint32_t>(SegmentType::kLoad)) {
      PvhSegment s{offset, le(ph, l.p_paddr, l.word), filesz, le(ph, l.p_memsz, l.word)};
      if (s.filesz > s.memsz) {
        return refuse(what + "p_filesz " + hex(s.filesz) + " exceeds p_memsz " + hex(s.memsz));
      }
      if (!fits(s.offset, s.filesz, file.size())) {
        return refuse(what + "the segment's file bytes " + range(s.offset, s.filesz) +
                      " lie past the end of the file (" + std::to_string(file.size()) + " bytes)");
      }
      if (s.memsz > UINT64_MAX - s.paddr) {
        return refuse(what + "the segment " + range(s.paddr, s.memsz) + " wraps");
      }
      if (s.memsz != 0) out.segments.push_back(s);
    } else if (type == static_cast<uint32_t>(SegmentType::kNote)) {
      const uint64_t p_align = le(ph, l.p_align, l.word);
      const std::optional<uint64_t> alignment = note_alignment(p_align);
      if (!alignment) {
        return refuse(what + "a note segment aligned to " + hex(p_align) + " (4 or 8 expected)");
      }
      if (offset % *alignment != 0) {
        return refuse(what + "the notes at file offset " + hex(offset) + " are not " +
                      std::to_string(*alignment) + "-byte aligned");
      }
      if (!fits(offset, filesz, file.size())) {
        return refuse(what + "the notes " + range(offset, filesz) +
                      " lie past the end of the file (" + std::to_string(file.size()) + " bytes)");
      }
      if (auto r = scan_notes(file.subspan(offset, filesz), *alignment, i, entry); !r) {
        return std::unexpected(r.error());
      }
    }
  }
  if (!entry) return refuse("no XEN_ELFNOTE_PHYS32_ENTRY note: not a PVH kernel");
  if (out.segments.empty()) return refuse("the ELF file has no PT_LOAD segment");
  const bool inside = std::any_of(out.segments.begin(), out.segments.end(), [&](const auto& s) {
    return *entry >= s.paddr && *entry - s.paddr < s.filesz;
  });
  if (!inside) {
    return refuse("the entry point " + hex(*entry) + " lies outside the segments' file bytes");
  }
  out.entry = *entry;
  return out;
}

bool is_pvh_elf(std::span<const uint8_t> file) {
  return parse_pvh_elf(file).has_value();
}

Result<LoadedPvh> load_pvh(GuestMemory& ram, const PvhImage& image) {
  if (ram.gpa() != 0 || ram.size() < 2 * layout::kHighRam) {
    return refuse("the child's RAM must start at 0 and be at least 2 MiB");
  }
  auto elf = parse_pvh_elf(image.kernel);
  if (!elf) return std::unexpected(elf.error());
  if (image.cmdline.size() >= layout::kCmdlineMax) {
    return refuse("the command line is longer than " + std::to_string(layout::kCmdlineMax - 1) +
                  " bytes");
  }
  // The entry runs in 32-bit mode without paging: nothing the kernel needs may lie above 4 GiB.
  const uint64_t ram_top = std::min(ram.size(), k4GiB);
  for (const PvhSegment& s : elf->segments) {
    if (auto r = place_segment(s, ram_top); !r) return std::unexpected(r.error());
  }
  std::vector<PvhSegment> sorted = elf->segments;
  std::sort(sorted.begin(), sorted.end(),
            [](const PvhSegment& a, const PvhSegment& b) { return a.paddr < b.paddr; });
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i].paddr - sorted[i - 1].paddr < sorted[i - 1].memsz) {
      return refuse("segments " + range(sorted[i - 1].paddr, sorted[i - 1].memsz) + " and " +
                    range(sorted[i].paddr, sorted[i].memsz) + " overlap");
    }
  }
  LoadedPvh out;
  out.kernel_start = sorted.front().paddr;
  out.kernel_end = sorted.back().paddr + sorted.back().memsz;  // disjoint: the highest end
  out.entry = elf->entry;
  out.start_info = pvh_layout::kStartInfo;
  // The initramfs at the top of RAM below 4 GiB, page-aligned, above the kernel and out of the
  // BIOS hole (as load_linux() places it).
  if (!image.initramfs.empty()) {
    const uint64_t floor = std::max(out.kernel_end, layout::kHighRam);  // both <= ram_top
    if (image.initramfs.size() > ram_top - floor) {
      return refuse("the initramfs (" + std::to_string(image.initramfs.size()) +
                    " bytes) does not fit between the kernel and the top of RAM");
    }
    out.initramfs_address = (ram_top - image.initramfs.size()) & ~(kPage - 1);
    if (out.initramfs_address < floor) {
      return refuse("the initramfs does not fit page-aligned above the kernel in " +
                    std::to_string(ram.size() >> 20) + " MiB");
    }
  }
  // Everything is checked: now the bytes go in.
  if (auto r = write_gdt(ram); !r) return std::unexpected(r.error());
  if (auto r = write_start_info(ram, image, out.initramfs_address); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = copy_cmdline(ram, layout::kCmdline, image.cmdline, kLoader); !r) {
    return std::unexpected(r.error());
  }
  for (const PvhSegment& s : elf->segments) {
    if (auto r = copy_in(ram, s.paddr, image.kernel.subspan(s.offset, s.filesz), "kernel"); !r) {
      return std::unexpected(r.error());
    }
    if (auto r = zero(ram, s.paddr + s.filesz, s.memsz - s.filesz, "kernel"); !r) {
      return std::unexpected(r.error());
    }
  }
  if (!image.initramfs.empty()) {
    if (auto r = copy_in(ram, out.initramfs_address, image.initramfs, "initramfs"); !r) {
      return std::unexpected(r.error());
    }
  }
  out.registers = entry_registers(out.entry, out.start_info);
  return out;
}

}  // namespace rootstock::vmm::loader
