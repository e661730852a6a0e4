// The input format of fuzz_gpt.cpp, which gpt_seeds.cpp writes too: a disk given by its size
// and the extents of it that are not zero, so that a GPT on a disk of a hundred KiB is an input
// of a KiB or two, and the parts at the disk's end (the backup copy) stay there when the fuzzer
// changes the size.
//
//   byte 0      flags (Flag)
//   byte 1      with kGrowByName: the partition (an index into the table read, modulo their
//               count) whose name grow_gpt() is given
//   bytes 2-3   the first grow_gpt() call is cut after this many sector writes (bits 14:0; 0:
//               not cut), the sector in flight torn when kCutTorn is set
//   bytes 4-7   the disk's sector count, at most kMaxDiskBytes of them
//   then extents up to the input's end, each a u32 `where`, a u16 length and that many bytes,
//   written from the start of LBA `where` (with kFromEnd: `where` counted back from the end,
//   1 being the last LBA), cut short at the input's and at the disk's end
//
// All numbers little-endian.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include <algorithm>
#include <array>
#include <span>

namespace rootstock::fuzz::gpt_input {

/// Byte 0.
enum Flag : uint8_t {
  kSector4096 = 1 << 0,      ///< 4096-byte sectors, else 512
  kFixPrimaryCrcs = 1 << 1,  ///< the header at LBA 1 gets the CRC32s of what it covers
  kFixBackupCrcs = 1 << 2,   ///< so do the headers in the last LBA and at LBA 1's alternate
  kGrowFill = 1 << 6,        ///< the grown disk's new sectors hold kOldContents, else zeros
  kGrowByName = 1 << 7,      ///< grow_gpt() gets a partition's name (byte 1)
};
/// Bits 5:3 of the flags index kGrowSectors.
inline constexpr unsigned kGrowShift = 3;
inline constexpr unsigned kGrowMask = 7;

/// The sectors the grown disk has beyond the input's disk: none (a disk grown before, or a
/// grow cut short), a few (the new backup overlaps the old one: its 16 KiB of entries take 32
/// sectors of 512 bytes and 4 of 4096, with its header 33 and 5), and more.
inline constexpr std::array<uint64_t, 8> kGrowSectors = {0, 1, 3, 9, 33, 34, 65, 200};
/// What a disk holds past the flashed image when not zeros (as in tests/unit/test_gpt_grow.cpp).
inline constexpr uint8_t kOldContents = 0xA5;

/// Bytes 2-3: the sector writes before the cut, and whether the next one is torn.
inline constexpr uint16_t kCutWrites = 0x7FFF;
inline constexpr uint16_t kCutTorn = 0x8000;
inline constexpr uint32_t kFromEnd = 0x80000000;

/// The input disk's bound, 512 sectors of 512 bytes or 64 of 4096: larger disks have nothing
/// new to show the GPT code, and each run allocates and fills its disks.
inline constexpr uint64_t kMaxDiskBytes = 256 * 1024;

inline constexpr size_t kHeaderBytes = 8;
inline constexpr size_t kNameByte = 1;
inline constexpr size_t kCutOffset = 2;
inline constexpr size_t kSectorsOffset = 4;
inline constexpr size_t kExtentHeaderBytes = 6;  ///< u32 where, u16 length

template <typename T>
T load(const uint8_t* at) {
  T v;
  memcpy(&v, at, sizeof v);
  return v;
}

/// Writes the extents (the input past its kHeaderBytes) onto `disk`, of `sector_size` sectors.
inline void lay_out(std::span<const uint8_t> extents, std::span<uint8_t> disk,
                    uint32_t sector_size) {
  const uint64_t sectors = disk.size() / sector_size;
  while (extents.size() >= kExtentHeaderBytes) {
    const uint32_t where = load<uint32_t>(extents.data());
    const size_t length =
        std::min<size_t>(load<uint16_t>(extents.data() + 4), extents.size() - kExtentHeaderBytes);
    extents = extents.subspan(kExtentHeaderBytes);
    const uint64_t back = where & ~kFromEnd;
    const uint64_t lba = (where & kFromEnd) == 0 ? where : sectors - std::min(back, sectors);
    if (lba < sectors) {
      const uint64_t at = lba * sector_size;
      memcpy(disk.data() + at, extents.data(), std::min<uint64_t>(length, disk.size() - at));
    }
    extents = extents.subspan(length);
  }
}

}  // namespace rootstock::fuzz::gpt_input
