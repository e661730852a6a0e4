// Writes the seed corpus of fuzz_gpt (tests/fuzz/corpus/gpt/, by make-seeds.py): tables that
// write_gpt() wrote, at both sector sizes, and disks that a power cut left with only the backup
// valid, in the input format of gpt_input.hpp. Checks each seed: it lays out as the disk it was
// made from, and read_gpt() reads that disk.
//
//   gpt_seeds OUTDIR
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "image/gpt/geometry.hpp"
#include "image/gpt/grow.hpp"
#include "image/gpt/header.hpp"
#include "image/gpt/reader.hpp"
#include "image/gpt/writer.hpp"
#include "tests/fuzz/gpt_input.hpp"
#include "tests/unit/fake_disk.hpp"

using namespace rootstock::gpt;
using namespace rootstock::fuzz::gpt_input;
using rootstock::test::FakeDisk;

namespace {

constexpr Guid kDiskGuid = guid("9E0C7B52-6F7A-4C35-8D0B-5A2F3C1D0001");
constexpr Guid kEspGuid = guid("9E0C7B52-6F7A-4C35-8D0B-5A2F3C1D0002");
constexpr Guid kDataGuid = guid("9E0C7B52-6F7A-4C35-8D0B-5A2F3C1D0003");
constexpr Guid kSwapGuid = guid("9E0C7B52-6F7A-4C35-8D0B-5A2F3C1D0004");
constexpr Guid kLinuxSwapType = guid("0657FD6D-A4AB-43C4-84E5-0933C84B4F4F");
constexpr uint64_t kLegacyBiosBootable = uint64_t{1} << 2;  // UEFI 2.10, 5.3.3, Table 5.8

// A disk of `bytes` with an ESP and a data partition up to the last usable LBA (rootstock.img's
// layout, scaled down), `entry_count` entries.
FakeDisk esp_data(uint32_t ss, uint64_t bytes, uint32_t entry_count = kDefaultEntryCount) {
  FakeDisk disk(ss, bytes / ss);
  auto g = geometry(ss, disk.sector_count(), uint64_t{entry_count} * kGptEntrySize);
  if (!g) throw std::runtime_error(g.error());
  const uint64_t esp_first = g->first_usable_lba + 2;
  const uint64_t esp_last = esp_first + (g->last_usable_lba - esp_first) / 3;
  DiskSpec spec{.disk_guid = kDiskGuid,
                .partitions = {{.number = 1,
                                .type = kEfiSystemPartitionType,
                                .unique = kEspGuid,
                                .first_lba = esp_first,
                                .last_lba = esp_last,
                                .name = "esp"},
                               {.number = 2,
                                .type = kLinuxFilesystemType,
                                .unique = kDataGuid,
                                .first_lba = esp_last + 4,
                                .last_lba = g->last_usable_lba,
                                .name = "data"}},
                .entry_count = entry_count};
  if (auto r = write_gpt(disk, spec); !r) throw std::runtime_error(r.error());
  return disk;
}

// Three partitions in entries 1, 7 and 128, out of disk order, one name outside the BMP and
// one without a name, attributes set.
FakeDisk three_partitions(uint32_t ss, uint64_t bytes) {
  FakeDisk disk(ss, bytes / ss);
  auto g = geometry(ss, disk.sector_count(), kMinEntryArrayBytes);
  if (!g) throw std::runtime_error(g.error());
  const uint64_t third = (g->last_usable_lba - g->first_usable_lba) / 3;
  const uint64_t a = g->first_usable_lba;
  DiskSpec spec{.disk_guid = kDiskGuid,
                .partitions = {{.number = 1,
                                .type = kEfiSystemPartitionType,
                                .unique = kEspGuid,
                                .first_lba = a,
                                .last_lba = a + third - 1,
                                .attributes = kLegacyBiosBootable,
                                .name = "EFI system"},
                               {.number = 7,
                                .type = kLinuxFilesystemType,
                                .unique = kDataGuid,
                                .first_lba = a + 2 * third,
                                .last_lba = g->last_usable_lba,
                                .name = "données-𝔡"},
                               {.number = 128,
                                .type = kLinuxSwapType,
                                .unique = kSwapGuid,
                                .first_lba = a + third,
                                .last_lba = a + 2 * third - 1}}};
  if (auto r = write_gpt(disk, spec); !r) throw std::runtime_error(r.error());
  return disk;
}

// `image` with its primary's entry array moved onto the backup's, after the partitions (UEFI
// allows it anywhere outside the usable LBAs): the table grow_gpt() once grew into a disk
// without a valid GPT, and now refuses.
FakeDisk primary_entries_at_end(const FakeDisk& image) {
  FakeDisk disk = image;
  GptCopy primary = read_copy(disk, kPrimaryHeaderLba).value();
  primary.entries_lba = read_copy(disk, primary.alternate_lba).value().entries_lba;
  if (auto r = disk.write(kPrimaryHeaderLba, encode_header(primary, disk.sector_size())); !r) {
    throw std::runtime_error(r.error());
  }
  return disk;
}

// `image` flashed onto a disk `extra` sectors larger and grown, the power cut after `writes`
// sector writes, the sector in flight torn.
FakeDisk cut_grow(const FakeDisk& image, uint64_t extra, size_t writes) {
  FakeDisk disk = image.flashed_onto(image.sector_count() + extra, 0);
  disk.cut_after(writes, true);
  (void)grow_gpt(disk);
  disk.power_on();
  return disk;
}

template <typename T>
void append(std::vector<uint8_t>& out, T v) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(&v);
  out.insert(out.end(), bytes, bytes + sizeof v);
}

// `disk` as an input: an extent for each sector that is not zero, without its trailing zeros,
// those in the disk's second half counted from its end.
std::vector<uint8_t> encode(const FakeDisk& disk, uint8_t flags, uint8_t name_index = 0,
                            uint16_t cut = 0) {
  const uint64_t sectors = disk.sector_count();
  const uint32_t ss = disk.sector_size();
  if (sectors * ss > kMaxDiskBytes) throw std::runtime_error("the disk is too large for a seed");
  std::vector<uint8_t> out;
  append(out, flags);
  append(out, name_index);
  append(out, cut);
  append(out, static_cast<uint32_t>(sectors));
  const auto& bytes = disk.bytes();
  for (uint64_t lba = 0; lba < sectors; ++lba) {
    const auto first = bytes.begin() + static_cast<ptrdiff_t>(lba * ss);
    auto end = first + ss;
    while (end != first && *(end - 1) == 0) --end;
    if (end == first) continue;
    append(out, static_cast<uint32_t>(lba >= sectors / 2 ? kFromEnd | (sectors - lba) : lba));
    append(out, static_cast<uint16_t>(end - first));
    out.insert(out.end(), first, end);
  }
  return out;
}

int written = 0;

// Writes `seed`, made from `disk`, whose GPT reads from the backup when `from_backup`.
void write_seed(const std::string& dir, const char* name, const FakeDisk& disk,
                const std::vector<uint8_t>& seed, bool from_backup = false) {
  FakeDisk laid(disk.sector_size(), disk.sector_count());
  lay_out(std::span(seed).subspan(kHeaderBytes), {laid.at(0), laid.bytes().size()},
          disk.sector_size());
  if (laid.bytes() != disk.bytes())
    throw std::runtime_error(std::string(name) + ": lays out wrong");
  auto read = read_gpt(laid);
  if (!read) throw std::runtime_error(std::string(name) + ": " + read.error());
  if (read->from_backup != from_backup) {
    throw std::runtime_error(std::string(name) + ": read from the wrong copy");
  }
  std::ofstream(dir + "/" + name, std::ios::binary)
      .write(reinterpret_cast<const char*>(seed.data()), static_cast<std::streamsize>(seed.size()));
  ++written;
}

constexpr uint8_t grow(unsigned index) {
  return static_cast<uint8_t>(index << kGrowShift);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: gpt_seeds OUTDIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  try {
    const FakeDisk small512 = esp_data(512, 80 * 1024);
    const FakeDisk small4k = esp_data(4096, 96 * 1024);
    write_seed(dir, "esp-data-512", small512, encode(small512, grow(3)));
    write_seed(dir, "esp-data-4096-by-name", small4k,
               encode(small4k, kSector4096 | kGrowFill | kGrowByName | grow(2), 1));
    write_seed(dir, "fix-crcs-cut-512", small512,
               encode(small512, kFixPrimaryCrcs | kFixBackupCrcs | grow(4), 0, 40 | kCutTorn));
    write_seed(dir, "fix-crcs-cut-4096", small4k,
               encode(small4k, kSector4096 | kFixPrimaryCrcs | kFixBackupCrcs | grow(1), 0, 7));

    const FakeDisk three = three_partitions(512, 120 * 1024);
    write_seed(dir, "three-partitions-512", three,
               encode(three, kGrowFill | kGrowByName | grow(5), 1));
    const FakeDisk large_array = esp_data(4096, 120 * 1024, 2 * kDefaultEntryCount);
    write_seed(dir, "256-entries-4096", large_array, encode(large_array, kSector4096 | grow(6)));

    const FakeDisk entries_at_end = primary_entries_at_end(small512);
    write_seed(dir, "primary-entries-at-end-512", entries_at_end, encode(entries_at_end, grow(2)));

    // Only the backup valid: the primary header gone, and grows cut in their step 2 (grow.cpp)
    // with the primary's entry array or its header torn. Grown in place (0 more sectors): the
    // grow repairs the primary.
    FakeDisk backup_only = small512;
    memset(backup_only.at(kPrimaryHeaderLba), 0, 512);
    write_seed(dir, "backup-only-512", backup_only, encode(backup_only, grow(0)), true);
    // Grown by more than a copy's entries and header (33 sectors of 512 bytes, 5 of 4096).
    constexpr uint64_t kMore512 = 60;
    constexpr uint64_t kMore4096 = 8;
    auto g512 = geometry(512, small512.sector_count() + kMore512, kMinEntryArrayBytes);
    const uint64_t step1_512 = g512.value().entry_sectors + 1;
    const FakeDisk torn_entries =
        cut_grow(small512, kMore512, step1_512 + g512.value().entry_sectors / 2);
    write_seed(dir, "torn-primary-entries-512", torn_entries,
               encode(torn_entries, grow(0), 0, 5 | kCutTorn), true);
    auto g4k = geometry(4096, small4k.sector_count() + kMore4096, kMinEntryArrayBytes);
    const FakeDisk torn_header = cut_grow(small4k, kMore4096, 2 * g4k.value().entry_sectors + 1);
    write_seed(dir, "torn-primary-header-4096", torn_header,
               encode(torn_header, kSector4096 | grow(0)), true);

    // A disk grown before: the grow has nothing to do, or one more sector.
    FakeDisk grown = small512.flashed_onto(small512.sector_count() + kMore512, 0);
    if (auto r = grow_gpt(grown); !r) throw std::runtime_error(r.error());
    write_seed(dir, "grown-512", grown, encode(grown, grow(1)));
  } catch (const std::exception& e) {
    fprintf(stderr, "gpt_seeds: %s\n", e.what());
    return 1;
  }
  printf("gpt_seeds: %d seeds in %s\n", written, dir.c_str());
  return 0;
}
