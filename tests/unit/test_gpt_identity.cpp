// set_identifiers(): fresh disk and partition GUIDs in both copies with everything else kept;
// nothing written when nothing changes or the request is refused; a power cut after any sector
// leaves the old identifiers or the new ones, and the next call finishes; random_guid()'s
// version and variant bits.
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include "gpt_test_image.hpp"
#include "image/gpt/identity.hpp"
#include "image/gpt/reader.hpp"

using namespace rootstock::gpt;
using rootstock::test::FakeDisk;
using rootstock::test::test_image;

namespace {

constexpr Guid kNewDisk = guid("7C1D2E3F-4A5B-4C6D-8E9F-0A1B2C3D4E01");
constexpr Guid kNewEsp = guid("7C1D2E3F-4A5B-4C6D-8E9F-0A1B2C3D4E02");
constexpr Guid kNewData = guid("7C1D2E3F-4A5B-4C6D-8E9F-0A1B2C3D4E03");

Identifiers fresh() {
  return {.disk = kNewDisk, .partitions = {{1, kNewEsp}, {2, kNewData}}};
}

// Both copies valid and alike, with the new identifiers and the old layout.
void check_renewed(FakeDisk& disk, const GptCopy& before) {
  auto read = read_gpt(disk);
  REQUIRE(read);
  CHECK_FALSE(read->from_backup);
  CHECK(read->backup_problem.empty());
  const GptCopy& t = read->table;
  CHECK(t.disk_guid == kNewDisk);
  REQUIRE(t.partitions.size() == 2);
  CHECK(t.partitions[0].unique == kNewEsp);
  CHECK(t.partitions[1].unique == kNewData);
  for (size_t i = 0; i < 2; ++i) {
    Partition p = t.partitions[i];
    p.unique = before.partitions[i].unique;
    CHECK(p == before.partitions[i]);
  }
  CHECK(t.last_usable_lba == before.last_usable_lba);
  CHECK(t.alternate_lba == before.alternate_lba);
}

}  // namespace

TEST_CASE("gpt identity: fresh GUIDs in both copies, the rest kept", "[gpt]") {
  const uint32_t ss = GENERATE(512u, 4096u);
  FakeDisk disk = test_image(ss);
  const GptCopy before = read_gpt(disk)->table;
  auto wrote = set_identifiers(disk, fresh());
  REQUIRE(wrote);
  CHECK(*wrote);
  check_renewed(disk, before);

  const size_t writes = disk.sector_writes();
  auto again = set_identifiers(disk, fresh());
  REQUIRE(again);
  CHECK_FALSE(*again);
  CHECK(disk.sector_writes() == writes);
}

TEST_CASE("gpt identity: refusals write nothing", "[gpt]") {
  FakeDisk disk = test_image(512);
  const size_t writes = disk.sector_writes();
  Identifiers nil_disk = fresh();
  nil_disk.disk = Guid{};
  CHECK(set_identifiers(disk, nil_disk).error() == "the disk GUID is nil");
  Identifiers nil_part = fresh();
  nil_part.partitions[2] = Guid{};
  CHECK(set_identifiers(disk, nil_part).error() == "the GUID for partition 2 \"data\" is nil");
  Identifiers missing = fresh();
  missing.partitions[3] = kNewData;
  CHECK(set_identifiers(disk, missing).error() == "there is no partition 3");
  Identifiers repeat = fresh();
  repeat.partitions[2] = kNewEsp;
  CHECK(set_identifiers(disk, repeat).error() ==
        "the GUID of partition 2 \"data\" would repeat on the disk");
  // Only the ESP renewed, and to the data partition's GUID.
  Identifiers clash = {.disk = kNewDisk, .partitions = {{1, rootstock::test::kTestDataGuid}}};
  CHECK(set_identifiers(disk, clash).error() ==
        "the GUID of partition 2 \"data\" would repeat on the disk");
  CHECK(disk.sector_writes() == writes);
}

TEST_CASE("gpt identity: a primary that is not valid is rewritten from the backup", "[gpt]") {
  FakeDisk disk = test_image(512);
  const GptCopy before = read_gpt(disk)->table;
  disk.at(1)[0] = 'X';  // the primary's signature
  auto wrote = set_identifiers(disk, fresh());
  REQUIRE(wrote);
  CHECK(*wrote);
  check_renewed(disk, before);
}

TEST_CASE("gpt identity: a power cut after any sector leaves old or new; the next call finishes",
          "[gpt]") {
  const uint32_t ss = GENERATE(512u, 4096u);
  const bool torn = GENERATE(false, true);
  INFO("sector size " << ss << (torn ? ", torn sector" : ""));
  const FakeDisk before = test_image(ss);
  FakeDisk copy = before;
  const GptCopy old_table = read_gpt(copy)->table;
  FakeDisk whole = before;
  REQUIRE(set_identifiers(whole, fresh()));
  const size_t writes = whole.sector_writes() - before.sector_writes();
  bool saw_old = false;
  bool saw_new = false;
  for (size_t k = 0; k <= writes; ++k) {
    INFO("cut after " << k << " of " << writes << " sector writes");
    FakeDisk disk = before;
    disk.cut_after(k, torn);
    (void)set_identifiers(disk, fresh());
    disk.power_on();
    auto read = read_gpt(disk);
    REQUIRE(read);
    const bool is_old = read->table.disk_guid == old_table.disk_guid &&
                        read->table.partitions == old_table.partitions;
    const bool is_new = read->table.disk_guid == kNewDisk;
    CHECK((is_old || is_new));
    saw_old = saw_old || is_old;
    saw_new = saw_new || is_new;
    auto next = set_identifiers(disk, fresh());
    REQUIRE(next);
    check_renewed(disk, old_table);
  }
  CHECK(saw_old);
  CHECK(saw_new);
}

TEST_CASE("gpt identity: random GUIDs are version 4, RFC variant, and differ", "[gpt]") {
  auto a = random_guid();
  auto b = random_guid();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a != *b);
  const std::string text = a->text();
  CHECK(text[14] == '4');
  CHECK((text[19] == '8' || text[19] == '9' || text[19] == 'A' || text[19] == 'B'));
}
