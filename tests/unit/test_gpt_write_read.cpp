// A fresh GPT as write_gpt() lays it down, byte for byte where it matters, read back by
// read_gpt(), at 512- and 4096-byte sectors; and every spec write_gpt() refuses, with nothing
// written.
#include <string.h>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include "gpt_test_image.hpp"
#include "image/gpt/crc32.hpp"
#include "image/gpt/layout.hpp"
#include "image/gpt/reader.hpp"

using namespace rootstock::gpt;
using rootstock::test::FakeDisk;
using rootstock::test::kImageBytes;
using rootstock::test::test_image;
using rootstock::test::test_spec;

namespace {

GptHeader header_at(FakeDisk& disk, uint64_t lba) {
  GptHeader h;
  memcpy(&h, disk.at(lba), sizeof h);
  return h;
}

}  // namespace

TEST_CASE("gpt: write_gpt lays down both copies as UEFI 2.10 5.3 describes", "[gpt]") {
  const uint32_t ss = GENERATE(512u, 4096u);
  INFO("sector size " << ss);
  FakeDisk disk = test_image(ss);
  const uint64_t last = kImageBytes / ss - 1;
  const uint64_t entry_sectors = 16384 / ss;

  CHECK(memcmp(disk.at(1), "EFI PART", 8) == 0);
  GptHeader p = header_at(disk, 1);
  CHECK(p.revision == 0x00010000);
  CHECK(p.header_size == 92);
  CHECK(p.reserved == 0);
  CHECK(p.my_lba == 1);
  CHECK(p.alternate_lba == last);
  CHECK(p.first_usable_lba == 2 + entry_sectors);
  CHECK(p.last_usable_lba == last - entry_sectors - 1);
  CHECK(p.disk_guid == rootstock::test::kTestDiskGuid);
  CHECK(p.partition_entry_lba == 2);
  CHECK(p.number_of_partition_entries == 128);
  CHECK(p.size_of_partition_entry == 128);
  CHECK(p.partition_entry_array_crc32 == crc32({disk.at(2), 16384}));
  // The header's CRC32 covers its 92 bytes with the CRC field zero; the rest is zero.
  GptHeader zeroed = p;
  zeroed.header_crc32 = 0;
  CHECK(p.header_crc32 == crc32({reinterpret_cast<const uint8_t*>(&zeroed), sizeof zeroed}));
  CHECK(std::all_of(disk.at(1) + 92, disk.at(2), [](uint8_t b) { return b == 0; }));

  GptHeader b = header_at(disk, last);
  CHECK(b.my_lba == last);
  CHECK(b.alternate_lba == 1);
  CHECK(b.partition_entry_lba == last - entry_sectors);
  CHECK(b.first_usable_lba == p.first_usable_lba);
  CHECK(b.last_usable_lba == p.last_usable_lba);
  CHECK(b.partition_entry_array_crc32 == p.partition_entry_array_crc32);
  CHECK(memcmp(disk.at(2), disk.at(last - entry_sectors), 16384) == 0);

  // The data partition's entry (number 2) in the array.
  GptEntry e;
  memcpy(&e, disk.at(2) + kGptEntrySize, sizeof e);
  CHECK(e.partition_type_guid == kLinuxFilesystemType);
  CHECK(e.unique_partition_guid == rootstock::test::kTestDataGuid);
  CHECK(e.ending_lba == p.last_usable_lba);
  CHECK((e.partition_name[0] == u'd' && e.partition_name[3] == u'a' && e.partition_name[4] == 0));
  CHECK(memcmp(disk.at(2) + 2 * kGptEntrySize, std::vector<uint8_t>(kGptEntrySize, 0).data(),
               kGptEntrySize) == 0);

  CHECK(disk.at(0)[450] == 0xEE);
}

TEST_CASE("gpt: read_gpt reads back what write_gpt wrote", "[gpt]") {
  const uint32_t ss = GENERATE(512u, 4096u);
  INFO("sector size " << ss);
  FakeDisk disk = test_image(ss);
  auto read = read_gpt(disk);
  REQUIRE(read);
  CHECK_FALSE(read->from_backup);
  CHECK(read->primary_problem.empty());
  CHECK(read->backup_problem.empty());
  CHECK(read->protective_mbr);
  const DiskSpec spec = test_spec(ss);
  CHECK(read->table.disk_guid == spec.disk_guid);
  CHECK(read->table.partitions == spec.partitions);
  auto backup = read_copy(disk, kImageBytes / ss - 1);
  REQUIRE(backup);
  CHECK(same_table(*backup, read->table));
}

TEST_CASE("gpt: entries keep their numbers, attributes and names", "[gpt]") {
  FakeDisk disk(512, 2048);
  DiskSpec spec{.disk_guid = rootstock::test::kTestDiskGuid,
                .partitions = {{.number = 7,
                                .type = kLinuxFilesystemType,
                                .unique = rootstock::test::kTestDataGuid,
                                .first_lba = 100,
                                .last_lba = 199,
                                .attributes = uint64_t{1} << 60,  // read-only (basic data)
                                .name = "D\xC3\xA4ta \xF0\x9D\x84\x9E"},
                               {.number = 3,
                                .type = kEfiSystemPartitionType,
                                .unique = rootstock::test::kTestEspGuid,
                                .first_lba = 66,
                                .last_lba = 66}},
                .entry_count = 256};
  REQUIRE(write_gpt(disk, spec));
  auto read = read_gpt(disk);
  REQUIRE(read);
  CHECK(read->table.entry_count == 256);
  CHECK(read->table.first_usable_lba == 2 + 256 * 128 / 512);
  REQUIRE(read->table.partitions.size() == 2);
  CHECK(read->table.partitions[0] == spec.partitions[1]);  // by number: 3, then 7
  CHECK(read->table.partitions[1] == spec.partitions[0]);
}

TEST_CASE("gpt: write_gpt refuses a bad spec and writes nothing", "[gpt]") {
  struct Case {
    const char* what;
    void (*change)(DiskSpec&);
    const char* error;
  };
  const Case cases[] = {
      {"nil disk GUID", [](DiskSpec& s) { s.disk_guid = Guid{}; }, "the disk GUID is nil"},
      {"nil type", [](DiskSpec& s) { s.partitions[0].type = Guid{}; },
       "partition 1 \"esp\": the type GUID is nil"},
      {"nil unique", [](DiskSpec& s) { s.partitions[1].unique = Guid{}; },
       "partition 2 \"data\": the unique GUID is nil"},
      {"repeated unique", [](DiskSpec& s) { s.partitions[1].unique = s.partitions[0].unique; },
       "partition 2 \"data\": the unique GUID 5A0B31E6-0C9E-4F5B-9B3A-2E7C55D1A002 is used twice"},
      {"repeated number", [](DiskSpec& s) { s.partitions[1].number = 1; },
       "partition 1 \"data\": the number is used twice"},
      {"number 0", [](DiskSpec& s) { s.partitions[1].number = 0; },
       "partition 0 \"data\": the number must be from 1 to 128 (the entry array's size)"},
      {"number past the array", [](DiskSpec& s) { s.partitions[1].number = 129; },
       "partition 129 \"data\": the number must be from 1 to 128 (the entry array's size)"},
      {"long name", [](DiskSpec& s) { s.partitions[0].name = std::string(37, 'n'); },
       "partition 1 \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\": the name must be valid UTF-8 of "
       "at most 36 UTF-16 code units"},
      {"overlap", [](DiskSpec& s) { s.partitions[1].first_lba = s.partitions[0].last_lba; },
       "partition 2 \"data\" at LBAs 639-2014 overlaps partition 1 \"esp\" at LBAs 128-639"},
      {"before the first usable LBA", [](DiskSpec& s) { s.partitions[0].first_lba = 33; },
       "partition 1 \"esp\": LBAs 33-639 are outside the usable LBAs 34-2014"},
      {"past the last usable LBA", [](DiskSpec& s) { s.partitions[1].last_lba = 2015; },
       "partition 2 \"data\": LBAs 640-2015 are outside the usable LBAs 34-2014"},
      {"ends before it starts", [](DiskSpec& s) { s.partitions[0].last_lba = 127; },
       "partition 1 \"esp\": starts at LBA 128, after its last LBA 127"},
      {"too few entries", [](DiskSpec& s) { s.entry_count = 127; },
       "127 entries are not 16384 to 1048576 bytes (UEFI 2.10, 5.3.2)"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    FakeDisk disk(512, kImageBytes / 512);
    DiskSpec spec = test_spec(512);
    c.change(spec);
    auto r = write_gpt(disk, spec);
    REQUIRE_FALSE(r);
    CHECK(r.error() == c.error);
    CHECK(disk.sector_writes() == 0);
  }
  FakeDisk tiny(512, 60);
  auto r = write_gpt(tiny, DiskSpec{.disk_guid = rootstock::test::kTestDiskGuid});
  REQUIRE_FALSE(r);
  CHECK(r.error() == "a disk of 60 sectors is too small for a GPT (it needs at least 68)");
}
