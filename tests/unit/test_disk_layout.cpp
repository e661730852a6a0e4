// rootstock.img's layout (image/disk/disk_layout.hpp): where lay_out() puts partitions and how
// large it makes the disk, what it refuses, the lines make-disk-image.sh reads, and the
// configuration file the image carries.
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "appliance/appliance_config.hpp"
#include "fake_disk.hpp"
#include "image/disk/disk_layout.hpp"
#include "image/gpt/reader.hpp"

using namespace rootstock::disk;
namespace gpt = rootstock::gpt;

namespace {

constexpr gpt::Guid kGuid1 = gpt::guid("00000000-0000-4000-8000-000000000001");
constexpr gpt::Guid kGuid2 = gpt::guid("00000000-0000-4000-8000-000000000002");

PartitionRequest request(uint32_t number, uint64_t bytes) {
  return {.number = number,
          .type = gpt::kLinuxFilesystemType,
          .unique = number == 1 ? kGuid1 : kGuid2,
          .name = "p" + std::to_string(number),
          .bytes = bytes};
}

std::string refusal(uint32_t sector_size, uint64_t alignment,
                    const std::vector<PartitionRequest>& parts) {
  auto r = lay_out(sector_size, alignment, parts, kDiskGuid);
  REQUIRE_FALSE(r);
  return r.error();
}

}  // namespace

TEST_CASE("disk image: the ESP at 1 MiB, the data partition after it and last, 130 MiB", "[disk]") {
  auto layout = rootstock_layout();
  REQUIRE(layout);
  CHECK(layout->sector_size == 512);
  CHECK(layout->bytes() == 130 * kMiB);
  CHECK(layout->spec.disk_guid == kDiskGuid);
  REQUIRE(layout->spec.partitions.size() == 2);
  const gpt::Partition& esp = layout->spec.partitions[0];
  const gpt::Partition& data = layout->spec.partitions[1];
  CHECK(esp.number == 1);
  CHECK(esp.type == gpt::kEfiSystemPartitionType);
  CHECK(esp.unique == kEspGuid);
  CHECK(esp.name == "rootstock-esp");
  CHECK(esp.first_lba == 2048);
  CHECK(esp.last_lba == 2048 + 64 * 2048 - 1);
  CHECK(data.number == 2);
  CHECK(data.type == gpt::kLinuxFilesystemType);
  CHECK(data.unique == kDataGuid);
  CHECK(data.name == "rootstock-data");
  CHECK(data.first_lba == 65 * 2048);
  CHECK(data.last_lba == 129 * 2048 - 1);
  // The last MiB holds the backup GPT (its 32 sectors of entries and its header) and nothing
  // else: the data partition is the last, and the first boot grows it over the rest.
  CHECK(layout->sector_count == 130 * 2048);
  CHECK(kDiskGuid != kEspGuid);
  CHECK(kEspGuid != kDataGuid);
}

TEST_CASE("disk image: the layout is one write_gpt writes and read_gpt reads back", "[disk]") {
  auto layout = rootstock_layout();
  REQUIRE(layout);
  rootstock::test::FakeDisk disk(layout->sector_size, layout->sector_count);
  auto written = gpt::write_gpt(disk, layout->spec);
  INFO((written ? std::string() : written.error()));
  REQUIRE(written);
  auto back = gpt::read_gpt(disk);
  INFO((back ? std::string() : back.error()));
  REQUIRE(back);
  CHECK(back->protective_mbr);
  CHECK_FALSE(back->from_backup);
  CHECK(back->backup_problem.empty());
  CHECK(back->table.partitions == layout->spec.partitions);
  CHECK(back->table.last_usable_lba == layout->sector_count - 34);
}

TEST_CASE("disk image: lay_out aligns every partition and the disk's end", "[disk]") {
  const uint32_t ss = GENERATE(512u, 4096u);
  INFO("sector size " << ss);
  auto layout = lay_out(ss, kMiB, {request(1, 3 * kMiB), request(2, 2 * kMiB)}, kDiskGuid);
  REQUIRE(layout);
  const uint64_t mib = kMiB / ss;
  REQUIRE(layout->spec.partitions.size() == 2);
  CHECK(layout->spec.partitions[0].first_lba == mib);
  CHECK(layout->spec.partitions[0].last_lba == 4 * mib - 1);
  CHECK(layout->spec.partitions[1].first_lba == 4 * mib);
  CHECK(layout->spec.partitions[1].last_lba == 6 * mib - 1);
  CHECK(layout->sector_count == 7 * mib);
  CHECK(layout->bytes() == 7 * kMiB);
}

TEST_CASE("disk image: a small alignment packs partitions after the primary GPT", "[disk]") {
  // 512-byte sectors: the protective MBR, the header and 32 sectors of entries take LBAs 0-33;
  // the first 4 KiB boundary after them is LBA 40.
  auto layout = lay_out(512, 4096, {request(1, 8192), request(2, 4096)}, kDiskGuid);
  REQUIRE(layout);
  CHECK(layout->spec.partitions[0].first_lba == 40);
  CHECK(layout->spec.partitions[0].last_lba == 55);
  CHECK(layout->spec.partitions[1].first_lba == 56);
  CHECK(layout->spec.partitions[1].last_lba == 63);
  // 64 + 32 + 1 = 97 sectors, up to the next 4 KiB: 104.
  CHECK(layout->sector_count == 104);
  // No partitions: the two copies of the table alone.
  auto empty = lay_out(512, 4096, {}, kDiskGuid);
  REQUIRE(empty);
  CHECK(empty->sector_count == 72);
}

TEST_CASE("disk image: lay_out refuses what it cannot place", "[disk]") {
  CHECK(refusal(1000, kMiB, {request(1, kMiB)}) ==
        "sector size 1000 is not a power of two from 512 to 65536");
  CHECK(refusal(256, kMiB, {request(1, kMiB)}).starts_with("sector size 256 "));
  CHECK(refusal(4096, 2048, {request(1, kMiB)}) ==
        "an alignment of 2048 bytes is not a whole number of 4096-byte sectors");
  CHECK(refusal(512, 0, {request(1, kMiB)}).starts_with("an alignment of 0 bytes "));
  CHECK(refusal(512, kMiB, {request(1, kMiB), request(2, 0)}) == "partition 2 \"p2\" is empty");
  CHECK(refusal(512, kMiB, {request(1, kMiB + 512)}) ==
        "partition 1 \"p1\": 1049088 bytes are not a whole number of 1048576-byte alignment "
        "units");
  const uint64_t huge = (uint64_t{1} << 63) / kMiB * kMiB;
  CHECK(refusal(512, kMiB, {request(1, huge), request(2, huge)}) ==
        "the disk would be larger than 2^64 bytes");
  // One partition of 2^64 - 1 MiB: its sectors count, the disk's bytes do not.
  const uint64_t largest = UINT64_MAX / kMiB * kMiB;
  CHECK(refusal(512, kMiB, {request(1, largest)}) == "the disk would be larger than 2^64 bytes");
}

TEST_CASE("disk image: the layout's lines for make-disk-image.sh", "[disk]") {
  auto layout = rootstock_layout();
  REQUIRE(layout);
  const std::string text = layout_variables(*layout);
  std::istringstream lines(text);
  std::map<std::string, std::string> vars;
  for (std::string line; std::getline(lines, line);) {
    const size_t eq = line.find('=');
    REQUIRE(eq != std::string::npos);
    // The script reads them as they are: no quoting, no white space.
    CHECK(line.find_first_of(" \t'\"$`\\") == std::string::npos);
    vars[line.substr(0, eq)] = line.substr(eq + 1);
  }
  CHECK(vars["sector_size"] == "512");
  CHECK(vars["disk_bytes"] == std::to_string(130 * kMiB));
  CHECK(vars["disk_guid"] == "9485B1B2-FAB1-4CF9-8FE6-667B10852C3F");
  CHECK(vars["esp_first_lba"] == "2048");
  CHECK(vars["esp_bytes"] == std::to_string(64 * kMiB));
  CHECK(vars["esp_name"] == "rootstock-esp");
  CHECK(vars["esp_volume_id"] == "763000C0");
  CHECK(vars["esp_volume_label"] == "ROOTSTOCK");
  CHECK(vars["data_first_lba"] == std::to_string(65 * 2048));
  CHECK(vars["data_bytes"] == std::to_string(64 * kMiB));
  CHECK(vars["data_name"] == "rootstock-data");
  CHECK(vars["data_fs_label"] == "rootstock-data");
  CHECK(vars["data_fs_uuid"] == kDataFsUuid);
  CHECK(vars["data_fs_hash_seed"] == kDataFsHashSeed);
  // What mkfs.fat and mke2fs take: an 11-character FAT label, a 16-byte ext4 label.
  CHECK(kEspVolumeLabel.size() <= 11);
  CHECK(kDataFsLabel.size() <= 16);
}

TEST_CASE("disk image: its configuration file is the defaults, without an API token", "[disk]") {
  std::ifstream file(ROOTSTOCK_IMAGE_CONFIG);
  REQUIRE(file);
  std::stringstream text;
  text << file.rdbuf();
  auto config = rootstock::appliance::parse_appliance_config(text.str());
  INFO((config ? std::string() : config.error().text()));
  REQUIRE(config);
  // No API: a token in the image would be the same on every appliance flashed with it.
  CHECK_FALSE(config->api);
  CHECK(config->vms.empty());
  CHECK(*config == rootstock::appliance::ApplianceConfig{});
}
