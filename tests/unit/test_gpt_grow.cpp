// grow_gpt(): the image flashed onto a larger disk gets its backup copy at the new end and its
// last partition enlarged to fill it, at 512- and 4096-byte sectors; a second call writes
// nothing; the refusals; and a power cut after every single sector the grow writes (cleanly or
// tearing the sector in flight) leaves a GPT that reads as the old table or the new one, which
// the next call finishes.
#include <string.h>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include "gpt_test_image.hpp"
#include "image/gpt/geometry.hpp"
#include "image/gpt/grow.hpp"
#include "image/gpt/layout.hpp"
#include "image/gpt/reader.hpp"
#include "image/gpt/writer.hpp"

using namespace rootstock::gpt;
using rootstock::test::FakeDisk;
using rootstock::test::kImageBytes;
using rootstock::test::test_image;
using rootstock::test::test_spec;

namespace {

constexpr uint64_t kDiskBytes = 2 * kImageBytes;
/// What a disk holds past the flashed image: not zeros, so that nothing relies on them.
constexpr uint8_t kOldContents = 0xA5;

/// The image's partitions after a grow onto `disk`.
std::vector<Partition> grown_partitions(const FakeDisk& disk) {
  auto g = geometry(disk.sector_size(), disk.sector_count(), kMinEntryArrayBytes);
  REQUIRE(g);
  auto partitions = test_spec(disk.sector_size()).partitions;
  partitions[1].last_lba = g->last_usable_lba;
  return partitions;
}

/// A grown disk: both copies valid where the geometry puts them, the same table, the data
/// partition up to the last usable LBA, and the protective MBR over the whole disk.
void check_grown(FakeDisk& disk) {
  const uint64_t last = disk.sector_count() - 1;
  auto g = geometry(disk.sector_size(), disk.sector_count(), kMinEntryArrayBytes);
  REQUIRE(g);
  auto read = read_gpt(disk);
  REQUIRE(read);
  CHECK_FALSE(read->from_backup);
  CHECK(read->primary_problem.empty());
  CHECK(read->backup_problem.empty());
  CHECK(read->protective_mbr);
  CHECK(read->table.alternate_lba == last);
  CHECK(read->table.last_usable_lba == g->last_usable_lba);
  CHECK(read->table.partitions == grown_partitions(disk));
  auto backup = read_copy(disk, last);
  REQUIRE(backup);
  CHECK(backup->entries_lba == g->backup_entries_lba);
  CHECK(same_table(*backup, read->table));
  uint32_t mbr_size;
  memcpy(&mbr_size,
         disk.at(0) + offsetof(ProtectiveMbr, partition_record) +
             offsetof(MbrPartitionRecord, size_in_lba),
         sizeof mbr_size);
  CHECK(mbr_size == last);
}

}  // namespace

TEST_CASE("gpt grow: the last partition fills the larger disk it was flashed onto", "[gpt]") {
  const uint32_t ss = GENERATE(512u, 4096u);
  INFO("sector size " << ss);
  FakeDisk disk = test_image(ss).flashed_onto(kDiskBytes / ss, kOldContents);
  const uint64_t old_last = test_spec(ss).partitions[1].last_lba;
  auto grown = grow_gpt(disk);
  REQUIRE(grown);
  CHECK(grown->number == 2);
  CHECK(grown->old_last_lba == old_last);
  CHECK(grown->new_last_lba == kDiskBytes / ss - 1 - kMinEntryArrayBytes / ss - 1);
  CHECK(grown->grown());
  CHECK_FALSE(grown->repaired_primary);
  check_grown(disk);
  // A flush after every write: each step is on the disk before the next begins.
  CHECK(disk.most_unflushed_writes() == 1);
  // Backup array and header, primary array and header, protective MBR.
  CHECK(disk.sector_writes() == 2 * (kMinEntryArrayBytes / ss + 1) + 1);
}

TEST_CASE("gpt grow: a grown disk, or one that needs nothing, is not written", "[gpt]") {
  FakeDisk disk = test_image(512).flashed_onto(kDiskBytes / 512, kOldContents);
  REQUIRE(grow_gpt(disk));
  const size_t writes = disk.sector_writes();
  auto again = grow_gpt(disk);
  REQUIRE(again);
  CHECK_FALSE(again->grown());
  CHECK(again->number == 2);
  CHECK(again->old_last_lba == again->new_last_lba);
  CHECK(disk.sector_writes() == writes);

  FakeDisk same = test_image(512);
  const size_t image_writes = same.sector_writes();
  auto nothing = grow_gpt(same);
  REQUIRE(nothing);
  CHECK_FALSE(nothing->grown());
  CHECK(same.sector_writes() == image_writes);
}

TEST_CASE("gpt grow: a partition that does not reach the end on a disk of the same size", "[gpt]") {
  FakeDisk disk(512, kImageBytes / 512);
  DiskSpec spec = test_spec(512);
  spec.partitions[1].last_lba = 1500;
  REQUIRE(write_gpt(disk, spec));
  auto grown = grow_gpt(disk, "data");
  REQUIRE(grown);
  CHECK(grown->old_last_lba == 1500);
  CHECK(grown->new_last_lba == 2014);
  check_grown(disk);
}

TEST_CASE("gpt grow: refusals", "[gpt]") {
  FakeDisk disk = test_image(512).flashed_onto(kDiskBytes / 512, kOldContents);
  auto esp = grow_gpt(disk, "esp");
  REQUIRE_FALSE(esp);
  CHECK(esp.error() ==
        "partition 1 \"esp\" is not the last on the disk: partition 2 \"data\" ends after it");
  auto missing = grow_gpt(disk, "nope");
  REQUIRE_FALSE(missing);
  CHECK(missing.error() == "no partition is named \"nope\"");
  CHECK(disk.sector_writes() == 0);

  FakeDisk small = test_image(512).flashed_onto(kImageBytes / 512 / 2, kOldContents);
  auto shrunk = grow_gpt(small);
  REQUIRE_FALSE(shrunk);
  CHECK(shrunk.error() ==
        "no valid GPT: primary GPT header (LBA 1): alternate_lba 2047 is past the end of the "
        "disk (1024 sectors); backup GPT header (LBA 1023): no GPT signature (\"EFI PART\")");

  FakeDisk empty(512, kImageBytes / 512);
  REQUIRE(write_gpt(empty, DiskSpec{.disk_guid = rootstock::test::kTestDiskGuid}));
  auto none = grow_gpt(empty);
  REQUIRE_FALSE(none);
  CHECK(none.error() == "the disk has no partition to grow");
}

TEST_CASE("gpt grow: a primary entry array after the partitions is left alone", "[gpt]") {
  // The primary shares the backup's array at the image's end (found by the gpt fuzzer): the
  // grown partition would cover it, and the new backup's array overwrite it.
  FakeDisk disk = test_image(512).flashed_onto(kDiskBytes / 512, kOldContents);
  auto primary = read_copy(disk, kPrimaryHeaderLba);
  REQUIRE(primary);
  auto backup = read_copy(disk, primary->alternate_lba);
  REQUIRE(backup);
  primary->entries_lba = backup->entries_lba;
  REQUIRE(write_copy(disk, *primary));
  REQUIRE(read_gpt(disk));
  const uint64_t writes = disk.sector_writes();
  auto grown = grow_gpt(disk);
  REQUIRE_FALSE(grown);
  CHECK(grown.error() == "the primary GPT's entry array (LBA " +
                             std::to_string(backup->entries_lba) +
                             ") lies after the partitions: growing the last one would cover it");
  CHECK(disk.sector_writes() == writes);
  CHECK(read_gpt(disk)->table == *primary);
}

TEST_CASE("gpt grow: a primary that fails its checks is rewritten from the backup", "[gpt]") {
  const uint32_t ss = GENERATE(512u, 4096u);
  FakeDisk disk = test_image(ss).flashed_onto(kDiskBytes / ss, kOldContents);
  REQUIRE(grow_gpt(disk));
  disk.at(1)[0] = 'X';  // the primary's signature
  auto again = grow_gpt(disk);
  REQUIRE(again);
  CHECK(again->repaired_primary);
  CHECK_FALSE(again->grown());
  check_grown(disk);
}

TEST_CASE("gpt grow: a power cut after any sector leaves a valid GPT; the next call finishes",
          "[gpt]") {
  const uint32_t ss = GENERATE(512u, 4096u);
  const bool torn = GENERATE(false, true);
  // The larger disk held another GPT before (its backup header valid in the last LBA), or
  // other bytes.
  const bool stale_gpt = GENERATE(false, true);
  INFO("sector size " << ss << (torn ? ", torn sector" : "") << (stale_gpt ? ", stale GPT" : ""));
  const FakeDisk image = test_image(ss);
  FakeDisk before(ss, kDiskBytes / ss, kOldContents);
  if (stale_gpt) {
    DiskSpec other = test_spec(ss, kDiskBytes);
    other.disk_guid.bytes[0] ^= 1;
    REQUIRE(write_gpt(before, other));
  }
  before.flash(image);
  const auto old_partitions = test_spec(ss).partitions;
  const auto new_partitions = grown_partitions(before);

  FakeDisk whole = before;
  REQUIRE(grow_gpt(whole));
  const size_t writes = whole.sector_writes() - before.sector_writes();
  bool saw_backup = false;
  bool saw_old = false;
  bool saw_new = false;
  for (size_t k = 0; k <= writes; ++k) {
    INFO("cut after " << k << " of " << writes << " sector writes");
    FakeDisk disk = before;
    disk.cut_after(k, torn);
    auto cut = grow_gpt(disk);
    CHECK(cut.has_value() == (k == writes));
    disk.power_on();

    auto read = read_gpt(disk);
    REQUIRE(read);
    CHECK(read->table.disk_guid == rootstock::test::kTestDiskGuid);
    const bool is_old = read->table.partitions == old_partitions;
    const bool is_new = read->table.partitions == new_partitions;
    CHECK((is_old || is_new));
    saw_old = saw_old || is_old;
    saw_new = saw_new || is_new;
    saw_backup = saw_backup || read->from_backup;

    auto next = grow_gpt(disk);
    REQUIRE(next);
    CHECK(next->new_last_lba == new_partitions[1].last_lba);
    check_grown(disk);
  }
  // The window in which only the backup is valid was crossed, and so were both tables.
  CHECK(saw_backup);
  CHECK(saw_old);
  CHECK(saw_new);
}
