// PID 1's state on the boot disk (init/boot_disk.hpp, data_partition.hpp, esp_config.hpp): the
// boot and data partitions found in a table, partition device names from sysfs, the ext4
// superblock's geometry, the boot counter, the configuration file's outcomes, and the options
// that steer them.
#include <stdlib.h>
#include <string.h>

#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <fstream>
#include <vector>

#include "appliance/whole_file.hpp"
#include "boot_disk.hpp"
#include "data_partition.hpp"
#include "esp_config.hpp"
#include "options.hpp"

using namespace rootstock;
using namespace rootstock::init;
using rootstock::appliance::Existing;
using rootstock::appliance::sync_folder;
using rootstock::appliance::write_whole_file;

namespace {

constexpr gpt::Guid kEsp = gpt::guid("6A2B1B1C-3F4E-4D5A-8B9C-0D1E2F304050");

gpt::Partition partition(uint32_t number, gpt::Guid type, const char* unique, const char* name) {
  gpt::Partition p;
  p.number = number;
  p.type = type;
  p.unique = *gpt::parse_guid(unique);
  p.first_lba = 2048 * number;
  p.last_lba = 2048 * number + 2047;
  p.name = name;
  return p;
}

gpt::GptCopy table_with(std::vector<gpt::Partition> partitions) {
  gpt::GptCopy t;
  t.partitions = std::move(partitions);
  return t;
}

}  // namespace

TEST_CASE("boot disk: the ESP by its GUID, the data partition beside it", "[init][state]") {
  const auto esp = partition(1, gpt::kEfiSystemPartitionType,
                             "6a2b1b1c-3f4e-4d5a-8b9c-0d1e2f304050", "rootstock-esp");
  const auto data = partition(2, gpt::kLinuxFilesystemType, "11111111-2222-3333-4444-555555555555",
                              "rootstock-data");
  const auto found = locate_partitions(table_with({data, esp}), kEsp);
  REQUIRE(found);
  CHECK(found->esp == esp);
  REQUIRE(found->data);
  CHECK(*found->data == data);

  SECTION("another disk's table is not the boot disk") {
    CHECK_FALSE(locate_partitions(table_with({data}), kEsp));
  }
  SECTION("a partition of that name but another type is not the data partition") {
    auto swap = data;
    swap.type = *gpt::parse_guid("0657FD6D-A4AB-43C4-84E5-0933C84B4F4F");
    const auto f = locate_partitions(table_with({esp, swap}), kEsp);
    REQUIRE(f);
    CHECK_FALSE(f->data);
  }
  SECTION("a disk without a data partition still boots") {
    const auto f = locate_partitions(table_with({esp}), kEsp);
    REQUIRE(f);
    CHECK_FALSE(f->data);
  }
}

TEST_CASE("boot disk: partition device names come from sysfs", "[init][state]") {
  char pattern[] = "/tmp/rootstock-sysblock-XXXXXX";
  REQUIRE(mkdtemp(pattern) != nullptr);
  const std::filesystem::path root(pattern);
  auto add = [&](const std::string& disk, const std::string& part, int number) {
    std::filesystem::create_directories(root / disk / part);
    std::ofstream(root / disk / part / "partition") << number << "\n";
  };
  add("nvme0n1", "nvme0n1p1", 1);
  add("nvme0n1", "nvme0n1p2", 2);
  std::filesystem::create_directories(root / "nvme0n1" / "queue");
  add("sda", "sda2", 2);
  CHECK(partition_device(root, "nvme0n1", 2) == "/dev/nvme0n1p2");
  CHECK(partition_device(root, "nvme0n1", 1) == "/dev/nvme0n1p1");
  CHECK(partition_device(root, "sda", 2) == "/dev/sda2");
  CHECK(partition_device(root, "nvme0n1", 3).empty());
  CHECK(partition_device(root, "vdb", 1).empty());
  std::filesystem::remove_all(root);
}

TEST_CASE("data partition: the ext4 superblock's size", "[init][state]") {
  std::vector<uint8_t> sb(kExt4SuperblockSize);
  auto put32 = [&](size_t at, uint32_t v) { memcpy(sb.data() + at, &v, 4); };
  const uint16_t magic = 0xEF53;
  memcpy(sb.data() + 0x38, &magic, 2);
  put32(0x04, 16384);
  put32(0x18, 2);  // 4 KiB blocks
  const auto g = parse_ext4_superblock(sb);
  REQUIRE(g);
  CHECK(g->blocks == 16384);
  CHECK(g->block_size == 4096);

  SECTION("the high half counts with the 64bit feature only") {
    put32(0x150, 1);
    CHECK(parse_ext4_superblock(sb)->blocks == 16384);
    put32(0x60, 0x80);
    CHECK(parse_ext4_superblock(sb)->blocks == (uint64_t{1} << 32) + 16384);
  }
  SECTION("refused: no magic, an absurd block size, no blocks, too short") {
    auto bad = sb;
    bad[0x38] = 0;
    CHECK_FALSE(parse_ext4_superblock(bad));
    bad = sb;
    memset(bad.data() + 0x18, 0, 4);
    bad[0x18] = 7;
    CHECK_FALSE(parse_ext4_superblock(bad));
    bad = sb;
    memset(bad.data() + 0x04, 0, 4);
    CHECK_FALSE(parse_ext4_superblock(bad));
    CHECK_FALSE(parse_ext4_superblock(std::span(sb).first(512)));
  }
}

TEST_CASE("data partition: the boot counter's text", "[init][state]") {
  CHECK(parse_boot_count("1\n") == 1u);
  CHECK(parse_boot_count("41") == 41u);
  CHECK_FALSE(parse_boot_count(""));
  CHECK_FALSE(parse_boot_count("\n"));
  CHECK_FALSE(parse_boot_count("12x\n"));
  CHECK_FALSE(parse_boot_count("-3\n"));
  CHECK_FALSE(parse_boot_count("99999999999999999999999\n"));
}

TEST_CASE("configuration: accepted, or the defaults with the refused key", "[init][state]") {
  const EspConfig ok = config_from_text(R"({"hostname": "edge-7"})");
  CHECK(ok.from_file);
  CHECK(ok.problem.empty());
  CHECK(ok.config.hostname == "edge-7");

  const EspConfig bad = config_from_text(R"({"hostname": "edge-7", "api": {"token": "short"}})");
  CHECK_FALSE(bad.from_file);
  CHECK(bad.refused_key == "api.token");
  CHECK(bad.problem.starts_with("api.token: "));
  CHECK(bad.config == appliance::ApplianceConfig{});

  const EspConfig broken = config_from_text("{\"hostname\": ");
  CHECK_FALSE(broken.from_file);
  CHECK_FALSE(broken.problem.empty());
  CHECK(broken.config.hostname == "rootstock");
}

TEST_CASE("init options: boot partition, disk wait and host name", "[init][state]") {
  const Options d = parse_options("");
  CHECK_FALSE(d.esp);
  CHECK(d.data_wait_s == 30);
  CHECK_FALSE(d.hostname);

  const Options o = parse_options(
      "rootstock.esp=6a2b1b1c-3f4e-4d5a-8b9c-0d1e2f304050 rootstock.data_wait=0 "
      "rootstock.hostname=lab-2");
  CHECK(o.problems.empty());
  CHECK(o.esp == kEsp);
  CHECK(o.data_wait_s == 0);
  CHECK(o.hostname == "lab-2");

  const Options bad = parse_options(
      "rootstock.esp=6a2b1b1c rootstock.data_wait=601 rootstock.hostname=-lab rootstock.hostname=");
  CHECK(bad.problems.size() == 4);
  CHECK_FALSE(bad.esp);
  CHECK(bad.data_wait_s == 30);
  CHECK_FALSE(bad.hostname);
}

TEST_CASE("configuration: the boot tests' files parse as those tests expect", "[init][state]") {
  auto read = [](const char* name) {
    std::ifstream in(std::string(ROOTSTOCK_BOOT_TEST_CONFIGS) + "/" + name);
    REQUIRE(in);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const EspConfig edge = config_from_text(read("edge-7.json"));
  REQUIRE(edge.from_file);
  CHECK(edge.config.hostname == "edge-7");
  CHECK(edge.config.api.has_value());
  CHECK(edge.config.vms.size() == 1);
  CHECK(edge.config.network.vm_network == appliance::VmNetwork::kIsolated);
  const EspConfig bad = config_from_text(read("bad-token.json"));
  CHECK_FALSE(bad.from_file);
  CHECK(bad.refused_key == "api.token");
}

TEST_CASE("whole files: replaced, or refused when they must be new", "[init][state]") {
  char pattern[] = "/tmp/rootstock-whole-XXXXXX";
  REQUIRE(mkdtemp(pattern) != nullptr);
  const std::string path = std::string(pattern) + "/f";
  auto read = [&] {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  REQUIRE(write_whole_file(path, "one\n", 0644, Existing::kReplace, true));
  REQUIRE(write_whole_file(path, "two\n", 0644, Existing::kReplace, false));
  CHECK(read() == "two\n");
  auto again = write_whole_file(path, "three\n", 0644, Existing::kRefuse, true);
  REQUIRE_FALSE(again);
  CHECK(again.error() == "cannot write " + path + ": File exists");
  CHECK(read() == "two\n");
  CHECK(sync_folder(pattern));
  CHECK(sync_folder(path + "/nope").error().starts_with("cannot flush " + path + "/nope: "));
  std::filesystem::remove_all(pattern);
}
