// hv's image as the loader places it: an ELF64 executable (System V ABI, 4 "Object Files",
// 5 "Program Loading") whose PT_LOAD segments go to their physical addresses, entered through
// its Multiboot2 header (Multiboot2 1.0, 3.1) as GRUB enters it. The plan is made from the
// bytes alone and checks everything first: the loader allocates and writes nothing for an
// image that is wrong.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace rootstock::efi::elf {

/// The ELF64 file header (gABI 4.1 "ELF Header").
struct FileHeader {
  uint8_t ident[16];  ///< "\x7fELF", class, data, version, ...
  uint16_t type;
  uint16_t machine;
  uint32_t version;
  uint64_t entry;
  uint64_t phoff;
  uint64_t shoff;
  uint32_t flags;
  uint16_t ehsize;
  uint16_t phentsize;
  uint16_t phnum;
  uint16_t shentsize;
  uint16_t shnum;
  uint16_t shstrndx;
};
static_assert(sizeof(FileHeader) == 64);
static_assert(offsetof(FileHeader, entry) == 24);
static_assert(offsetof(FileHeader, phnum) == 56);

/// The ELF64 program header (gABI 5.1 "Program Header").
struct ProgramHeader {
  uint32_t type;
  uint32_t flags;
  uint64_t offset;
  uint64_t vaddr;
  uint64_t paddr;
  uint64_t filesz;
  uint64_t memsz;
  uint64_t align;
};
static_assert(sizeof(ProgramHeader) == 56);
static_assert(offsetof(ProgramHeader, paddr) == 24);

inline constexpr uint8_t kClass64 = 2;          ///< ELFCLASS64
inline constexpr uint8_t kDataLsb = 1;          ///< ELFDATA2LSB
inline constexpr uint16_t kTypeExec = 2;        ///< ET_EXEC
inline constexpr uint16_t kMachineX86_64 = 62;  ///< EM_X86_64
inline constexpr uint32_t kPtLoad = 1;          ///< PT_LOAD
inline constexpr uint32_t kPfExecute = 1;       ///< PF_X

/// Most PT_LOAD segments accepted (hv has two).
inline constexpr size_t kMaxSegments = 8;
/// Most program headers looked through.
inline constexpr uint16_t kMaxProgramHeaders = 64;
/// Largest span from the lowest to the highest segment byte: hv is a few hundred KiB; more is
/// not hv, and would not fit the free memory at 1 MiB anyway.
inline constexpr uint64_t kMaxSpan = 64ull << 20;

/// One PT_LOAD segment: file bytes [offset, offset + filesz) to `paddr`, then zeros to memsz.
struct Segment {
  uint64_t offset = 0;
  uint64_t paddr = 0;
  uint64_t filesz = 0;
  uint64_t memsz = 0;
  bool executable = false;
};

/// What to do with the image: allocate [low, high) (4 KiB aligned, below 4 GiB), write the
/// segments, jump to `entry` in 32-bit protected mode.
struct LoadPlan {
  Segment segments[kMaxSegments] = {};
  size_t segment_count = 0;
  uint64_t low = 0;
  uint64_t high = 0;
  uint32_t entry = 0;
  bool entry_from_header = false;  ///< from the Multiboot2 entry address tag, not e_entry
};

/// Why an image was refused.
enum class Status : uint32_t {
  kOk,
  kNotElf,
  kNotElf64LittleEndian,
  kNotX86_64Executable,
  kProgramHeadersOutside,
  kTooManySegments,
  kNoSegments,
  kSegmentOutsideFile,
  kSegmentFileSizeExceedsMemory,
  kSegmentAbove4GiB,
  kSegmentsOverlap,
  kSpanTooLarge,
  kNoMultiboot2Header,
  kMultiboot2HeaderInvalid,
  kMultiboot2NotI386,
  kMultiboot2RequiredTag,
  kEntryOutsideCode,
};

/// A clear one-line message for `status` (never nullptr).
[[nodiscard]] const char* describe(Status status);

/// Checks the `size` bytes at `file` and plans their loading. On failure `detail` holds the
/// value at fault where there is one (a segment's address, an unsupported tag's type).
[[nodiscard]] Status plan_load(const uint8_t* file, size_t size, LoadPlan& out, uint64_t& detail);

/// Writes the planned image into `dest`, the memory that will be physical [plan.low,
/// plan.high): every segment's file bytes, zeros everywhere else.
void load_segments(const LoadPlan& plan, const uint8_t* file, uint8_t* dest);

}  // namespace rootstock::efi::elf
