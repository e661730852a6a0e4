// Fuzzes the GPT reader PID 1 runs over every disk a user plugs in (image/gpt/reader.hpp) and
// the grow it runs over its own disk at first boot (image/gpt/grow.hpp), over an in-memory disk
// (tests/unit/fake_disk.hpp) of 512- or 4096-byte sectors.
//
// Input: gpt_input.hpp. Before reading, the harness can give the headers the CRC32s of what they
// cover (flags), so that mutated headers and entries get past the checksums to the checks
// behind them.
// Checked: nothing is read outside the disk (ASan) and read_gpt() writes nothing. When it
// succeeds: the copy it returns is the primary at LBA 1 or the backup in the last LBA, as it
// says; every partition lies within first_usable_lba..last_usable_lba, no two overlap, the
// numbers rise and are at most entry_count, and every name encodes again (a grow rewrites it).
// Then grow_gpt() on the disk flashed onto one with kGrowSectors more sectors, optionally cut
// by a power cut after some sector writes: after the cut the disk reads as the old table or the
// grown one, and a second call finishes; a grow that succeeds leaves a disk that reads from the
// primary with a matching backup in the last LBA and a protective MBR, every partition as it
// was but the one that ended last, which now ends at the new last usable LBA; and a further
// call writes nothing.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <string>
#include <vector>

#include "image/gpt/crc32.hpp"
#include "image/gpt/geometry.hpp"
#include "image/gpt/grow.hpp"
#include "image/gpt/layout.hpp"
#include "image/gpt/partition_name.hpp"
#include "image/gpt/reader.hpp"
#include "tests/fuzz/gpt_input.hpp"
#include "tests/unit/fake_disk.hpp"

using namespace rootstock::gpt;
using namespace rootstock::fuzz::gpt_input;
using rootstock::test::FakeDisk;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Gives the header at `lba`, whatever else it holds, the CRC32 of the entry array it names
// (when that is inside the disk) and then its own.
void fix_crcs(FakeDisk& disk, uint64_t lba) {
  const uint64_t sectors = disk.sector_count();
  const uint32_t ss = disk.sector_size();
  if (lba >= sectors) return;
  uint8_t* sector = disk.at(lba);
  GptHeader h = load<GptHeader>(sector);
  const uint64_t bytes = uint64_t{h.number_of_partition_entries} * h.size_of_partition_entry;
  if (bytes <= kMaxEntryArrayBytes && h.partition_entry_lba < sectors &&
      bytes <= (sectors - h.partition_entry_lba) * ss) {
    h.partition_entry_array_crc32 = crc32({disk.at(h.partition_entry_lba), bytes});
  }
  h.header_crc32 = 0;
  memcpy(sector, &h, sizeof h);
  if (h.header_size >= kGptHeaderSize && h.header_size <= ss) {
    h.header_crc32 = crc32({sector, h.header_size});
    memcpy(sector, &h, sizeof h);
  }
}

// The checks every table read_gpt() returns passes.
void check_read(const GptDisk& d, FakeDisk& disk) {
  const GptCopy& t = d.table;
  const uint64_t last = disk.sector_count() - 1;
  check(d.from_backup ? t.my_lba == last && t.alternate_lba == kPrimaryHeaderLba
                      : t.my_lba == kPrimaryHeaderLba);
  check(d.primary_problem.empty() == !d.from_backup);
  check(!d.from_backup || d.backup_problem.empty());
  check(t.first_usable_lba > kPrimaryHeaderLba && t.first_usable_lba <= t.last_usable_lba &&
        t.last_usable_lba <= last);
  check(t.entries.size() == uint64_t{t.entry_count} * t.entry_size);
  uint32_t number = 0;
  for (const Partition& p : t.partitions) {
    check(p.number > number && p.number <= t.entry_count);
    number = p.number;
    check(!p.type.is_nil());
    check(t.first_usable_lba <= p.first_lba && p.first_lba <= p.last_lba &&
          p.last_lba <= t.last_usable_lba);
    auto units = encode_partition_name(p.name);
    check(units.has_value() && decode_partition_name(*units) == p.name);
  }
  std::vector<Partition> by_start = t.partitions;
  std::ranges::sort(by_start, {}, &Partition::first_lba);
  for (size_t i = 1; i < by_start.size(); ++i) {
    check(by_start[i - 1].last_lba < by_start[i].first_lba);
  }
  if (!d.from_backup && d.backup_problem.empty()) {
    auto backup = read_copy(disk, t.alternate_lba);
    check(backup.has_value() && same_table(*backup, t));
  }
}

// Whether `now` is `before` with partition `number` ending at `new_last` instead.
bool grown_from(const std::vector<Partition>& now, const std::vector<Partition>& before,
                uint32_t number, uint64_t new_last) {
  if (now.size() != before.size()) return false;
  for (size_t i = 0; i < now.size(); ++i) {
    Partition expected = before[i];
    if (expected.number == number) expected.last_lba = new_last;
    if (now[i] != expected) return false;
  }
  return true;
}

// The disk after a grow that said it made partition `number` end at `new_last`.
void check_grown(FakeDisk& disk, const GptCopy& before, uint32_t number, uint64_t new_last) {
  auto read = read_gpt(disk);
  check(read.has_value());
  check(!read->from_backup && read->backup_problem.empty() && read->protective_mbr);
  check_read(*read, disk);
  const GptCopy& t = read->table;
  check(t.alternate_lba == disk.sector_count() - 1);
  auto g = geometry(disk.sector_size(), disk.sector_count(), t.entries.size());
  check(g.has_value() && t.last_usable_lba == g->last_usable_lba && new_last == t.last_usable_lba);
  check(t.disk_guid == before.disk_guid && t.first_usable_lba == before.first_usable_lba &&
        t.entry_count == before.entry_count && t.entry_size == before.entry_size);
  auto grown = std::ranges::find(before.partitions, number, &Partition::number);
  check(grown != before.partitions.end());
  for (const Partition& p : before.partitions) check(p.last_lba <= grown->last_lba);
  check(grown_from(t.partitions, before.partitions, number, new_last));
}

void fuzz_grow(const FakeDisk& disk, const uint8_t* header) {
  const uint8_t flags = header[0];
  const uint64_t extra = kGrowSectors[(flags >> kGrowShift) & kGrowMask];
  FakeDisk big =
      disk.flashed_onto(disk.sector_count() + extra, (flags & kGrowFill) != 0 ? kOldContents : 0);
  auto before = read_gpt(big);
  if (!before) return;
  const std::vector<Partition>& old = before->table.partitions;
  std::string name;
  if ((flags & kGrowByName) != 0 && !old.empty()) name = old[header[kNameByte] % old.size()].name;

  const uint16_t cut = load<uint16_t>(header + kCutOffset);
  const size_t cut_after = cut & kCutWrites;
  std::vector<Partition> after_cut = old;
  if (cut_after != 0) {
    big.cut_after(cut_after, (cut & kCutTorn) != 0);
    auto first = grow_gpt(big, name);
    big.power_on();
    auto mid = read_gpt(big);
    check(mid.has_value());
    check_read(*mid, big);
    after_cut = mid->table.partitions;
  }
  auto grown = grow_gpt(big, name);
  if (!grown) {
    check(after_cut == old);  // a refusal comes before the first write
    return;
  }
  check(after_cut == old || grown_from(after_cut, old, grown->number, grown->new_last_lba));
  if (cut_after == 0) {
    auto was = std::ranges::find(old, grown->number, &Partition::number);
    check(was != old.end() && was->last_lba == grown->old_last_lba);
  }
  check_grown(big, before->table, grown->number, grown->new_last_lba);

  const size_t writes = big.sector_writes();
  auto again = grow_gpt(big, name);
  check(again.has_value() && again->number == grown->number && !again->grown() &&
        !again->repaired_primary && again->new_last_lba == grown->new_last_lba);
  check(big.sector_writes() == writes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeaderBytes) return 0;
  const uint8_t flags = data[0];
  const uint32_t ss = (flags & kSector4096) != 0 ? 4096 : kMinSectorSize;
  const uint64_t sectors =
      std::min<uint64_t>(load<uint32_t>(data + kSectorsOffset), kMaxDiskBytes / ss);
  FakeDisk disk(ss, sectors);
  lay_out({data + kHeaderBytes, size - kHeaderBytes}, {disk.at(0), disk.bytes().size()}, ss);
  if (sectors > kPrimaryHeaderLba) {
    if ((flags & kFixBackupCrcs) != 0) {
      fix_crcs(disk, sectors - 1);
      fix_crcs(disk, load<GptHeader>(disk.at(kPrimaryHeaderLba)).alternate_lba);
    }
    if ((flags & kFixPrimaryCrcs) != 0) fix_crcs(disk, kPrimaryHeaderLba);
  }

  auto read = read_gpt(disk);
  check(disk.sector_writes() == 0);
  if (!read) {
    check(!read.error().empty());
    return 0;
  }
  check_read(*read, disk);
  fuzz_grow(disk, data);
  return 0;
}
