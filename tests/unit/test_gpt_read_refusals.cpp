// read_gpt() checks each copy as UEFI 2.10 5.3.2 lists (signature, header CRC32, my_lba,
// alternate_lba, entry array CRC32, partitions inside the usable LBAs and apart), falls back to
// the backup in the last LBA when the primary fails and says why, and names both reasons when
// neither copy is valid.
#include <string.h>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "gpt_test_image.hpp"
#include "image/gpt/crc32.hpp"
#include "image/gpt/entries.hpp"
#include "image/gpt/header.hpp"
#include "image/gpt/layout.hpp"
#include "image/gpt/reader.hpp"

using namespace rootstock::gpt;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::StartsWith;
using rootstock::test::FakeDisk;
using rootstock::test::test_image;

namespace {

constexpr uint64_t kLast = rootstock::test::kImageBytes / 512 - 1;  // the backup header

// Changes the header at `lba` and gives it a correct CRC32 again, so that only the change is
// wrong.
template <typename Change>
void rewrite_header(FakeDisk& disk, uint64_t lba, Change change) {
  GptHeader h;
  memcpy(&h, disk.at(lba), sizeof h);
  change(h);
  h.header_crc32 = 0;
  memcpy(disk.at(lba), &h, sizeof h);
  uint32_t size = std::min(h.header_size, disk.sector_size());
  h.header_crc32 = crc32({disk.at(lba), size});
  memcpy(disk.at(lba), &h, sizeof h);
}

// The primary copy with one partition changed, CRC32s correct.
template <typename Change>
void rewrite_partition(FakeDisk& disk, uint32_t number, Change change) {
  auto copy = read_copy(disk, 1);
  REQUIRE(copy);
  Partition p = copy->partitions[number - 1];
  change(p);
  REQUIRE(encode_entry(p, copy->entries, copy->entry_size));
  memcpy(disk.at(copy->entries_lba), copy->entries.data(), copy->entries.size());
  rewrite_header(disk, 1,
                 [&](GptHeader& h) { h.partition_entry_array_crc32 = crc32(copy->entries); });
}

// read_gpt() must take the backup and report `problem` for the primary.
void check_falls_back(FakeDisk& disk, const std::string& problem) {
  auto read = read_gpt(disk);
  REQUIRE(read);
  CHECK(read->from_backup);
  CHECK(read->primary_problem == "primary GPT header (LBA 1): " + problem);
  CHECK(read->backup_problem.empty());
  CHECK(read->table.my_lba == kLast);
  CHECK(read->table.partitions == rootstock::test::test_spec(512).partitions);
}

}  // namespace

TEST_CASE("gpt refusals: a primary header's wrong field sends the reader to the backup", "[gpt]") {
  struct Case {
    const char* what;
    void (*change)(GptHeader&);
    const char* problem;
  };
  const Case cases[] = {
      {"signature", [](GptHeader& h) { h.signature = 0; }, "no GPT signature (\"EFI PART\")"},
      {"revision", [](GptHeader& h) { h.revision = 0x00020000; }, "revision 0x00020000 is not 1.x"},
      {"header size", [](GptHeader& h) { h.header_size = 91; }, "header size 91 is not 92 to 512"},
      {"header size past the sector", [](GptHeader& h) { h.header_size = 513; },
       "header size 513 is not 92 to 512"},
      {"my_lba", [](GptHeader& h) { h.my_lba = 5; }, "my_lba is 5, not the LBA it was read from"},
      {"alternate_lba past the end", [](GptHeader& h) { h.alternate_lba = 2048; },
       "alternate_lba 2048 is past the end of the disk (2048 sectors)"},
      {"alternate_lba its own", [](GptHeader& h) { h.alternate_lba = 1; },
       "alternate_lba is its own LBA"},
      {"alternate_lba in the usable LBAs", [](GptHeader& h) { h.alternate_lba = 1000; },
       "a header LBA lies inside the usable LBAs"},
      {"entry size not 128 × 2^n", [](GptHeader& h) { h.size_of_partition_entry = 100; },
       "entry size 100 is not 128 × 2^n"},
      {"entry size 3 × 128", [](GptHeader& h) { h.size_of_partition_entry = 384; },
       "entry size 384 is not 128 × 2^n"},
      {"no entries", [](GptHeader& h) { h.number_of_partition_entries = 0; },
       "0 entries of 128 bytes are not 1 to 1048576 bytes"},
      {"a huge entry array", [](GptHeader& h) { h.number_of_partition_entries = 8193; },
       "8193 entries of 128 bytes are not 1 to 1048576 bytes"},
      {"first usable LBA on the header", [](GptHeader& h) { h.first_usable_lba = 1; },
       "usable LBAs 1-2014 are not inside the disk (2048 sectors) past the primary header"},
      {"last usable LBA past the end", [](GptHeader& h) { h.last_usable_lba = 2048; },
       "usable LBAs 34-2048 are not inside the disk (2048 sectors) past the primary header"},
      {"usable LBAs reversed", [](GptHeader& h) { h.first_usable_lba = 2015; },
       "usable LBAs 2015-2014 are not inside the disk (2048 sectors) past the primary header"},
      {"entry array in the usable LBAs", [](GptHeader& h) { h.partition_entry_lba = 40; },
       "entry array LBAs 40-71 are not inside the disk outside the headers and usable LBAs"},
      {"entry array on the header", [](GptHeader& h) { h.partition_entry_lba = 1; },
       "entry array LBAs 1-32 are not inside the disk outside the headers and usable LBAs"},
      {"entry array on the MBR", [](GptHeader& h) { h.partition_entry_lba = 0; },
       "entry array LBAs 0-31 are not inside the disk outside the headers and usable LBAs"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    FakeDisk disk = test_image(512);
    rewrite_header(disk, 1, c.change);
    auto read = read_gpt(disk);
    REQUIRE(read);
    CHECK(read->from_backup);
    CHECK_THAT(read->primary_problem,
               StartsWith(std::string("primary GPT header (LBA 1): ") + c.problem));
    CHECK(read->table.partitions == rootstock::test::test_spec(512).partitions);
  }
}

TEST_CASE("gpt refusals: CRC32 mismatches of the header and of the entry array", "[gpt]") {
  FakeDisk disk = test_image(512);
  disk.at(1)[56] ^= 1;  // a bit of the disk GUID, CRC32 left as it was
  auto read = read_gpt(disk);
  REQUIRE(read);
  CHECK(read->from_backup);
  CHECK_THAT(read->primary_problem, StartsWith("primary GPT header (LBA 1): header CRC32 0x"));
  CHECK_THAT(read->primary_problem, ContainsSubstring(" does not match its contents (0x"));

  FakeDisk entries = test_image(512);
  entries.at(2)[kGptEntrySize + 40] ^= 1;  // the data partition's ending LBA
  check_falls_back(
      entries, "partition entry array CRC32 " + hex32(crc32({test_image(512).at(2), 16384})) +
                   " does not match its contents (" + hex32(crc32({entries.at(2), 16384})) + ")");
}

TEST_CASE("gpt refusals: partitions that overlap or leave the usable LBAs", "[gpt]") {
  FakeDisk overlap = test_image(512);
  rewrite_partition(overlap, 2, [](Partition& p) { p.first_lba = 600; });
  check_falls_back(overlap,
                   "partition 2 \"data\" at LBAs 600-2014 overlaps partition 1 \"esp\" at LBAs "
                   "128-639");

  FakeDisk past = test_image(512);
  rewrite_partition(past, 2, [](Partition& p) { p.last_lba = 2015; });
  check_falls_back(past, "partition 2 \"data\": LBAs 640-2015 are outside the usable LBAs 34-2014");

  FakeDisk before = test_image(512);
  rewrite_partition(before, 1, [](Partition& p) { p.first_lba = 33; });
  check_falls_back(before, "partition 1 \"esp\": LBAs 33-639 are outside the usable LBAs 34-2014");

  FakeDisk reversed = test_image(512);
  rewrite_partition(reversed, 1, [](Partition& p) { p.last_lba = 100; });
  check_falls_back(reversed, "partition 1 \"esp\": starts at LBA 128, after its last LBA 100");
}

TEST_CASE("gpt refusals: a bad backup is reported beside a good primary", "[gpt]") {
  FakeDisk disk = test_image(512);
  rewrite_header(disk, kLast, [](GptHeader& h) { h.alternate_lba = 5; });
  auto read = read_gpt(disk);
  REQUIRE(read);
  CHECK_FALSE(read->from_backup);
  CHECK(read->primary_problem.empty());
  CHECK(read->backup_problem ==
        "backup GPT header (LBA 2047): alternate_lba 5 of a backup header is not the primary's "
        "LBA 1");

  FakeDisk differs = test_image(512);
  rewrite_header(differs, kLast, [](GptHeader& h) { h.disk_guid.bytes[0] ^= 1; });
  read = read_gpt(differs);
  REQUIRE(read);
  CHECK(read->backup_problem == "backup GPT header (LBA 2047): differs from the primary");

  FakeDisk torn = test_image(512);
  torn.at(kLast - 1)[0] ^= 1;  // the backup's entry array (an unused entry)
  read = read_gpt(torn);
  REQUIRE(read);
  CHECK_THAT(read->backup_problem,
             StartsWith("backup GPT header (LBA 2047): partition entry array CRC32 0x"));
}

TEST_CASE("gpt refusals: no valid copy at all", "[gpt]") {
  FakeDisk blank(512, 2048);
  auto read = read_gpt(blank);
  REQUIRE_FALSE(read);
  CHECK(read.error() ==
        "no valid GPT: primary GPT header (LBA 1): no GPT signature (\"EFI PART\"); backup GPT "
        "header (LBA 2047): no GPT signature (\"EFI PART\")");

  // The image cut short: flashed onto a disk smaller than itself.
  FakeDisk small = test_image(512).flashed_onto(1024, 0);
  read = read_gpt(small);
  REQUIRE_FALSE(read);
  CHECK(read.error() ==
        "no valid GPT: primary GPT header (LBA 1): alternate_lba 2047 is past the end of the "
        "disk (1024 sectors); backup GPT header (LBA 1023): no GPT signature (\"EFI PART\")");

  FakeDisk dying = test_image(512);
  dying.fail_reads();
  read = read_gpt(dying);
  REQUIRE_FALSE(read);
  CHECK(read.error() == "I/O error");
}

TEST_CASE("gpt refusals: a disk without a protective MBR still reads, and says so", "[gpt]") {
  FakeDisk disk = test_image(4096);
  memset(disk.at(0), 0, 4096);
  auto read = read_gpt(disk);
  REQUIRE(read);
  CHECK_FALSE(read->protective_mbr);
  CHECK_FALSE(read->from_backup);
}
