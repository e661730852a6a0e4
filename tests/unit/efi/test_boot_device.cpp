// The boot partition from the loaded image's device path (efi/boot_device.hpp): the GPT Hard
// Drive node's GUID in registry form, nothing for MBR partitions or paths without one, and a
// malformed path (a node too short, one reaching past the end) ends the walk.
#include "boot_device.hpp"

#include <string.h>

#include <catch2/catch_test_macros.hpp>
#include <string>
#include <vector>

using namespace rootstock::efi;

namespace {

void append(std::vector<uint8_t>& path, const void* node, size_t size) {
  const auto* b = static_cast<const uint8_t*>(node);
  path.insert(path.end(), b, b + size);
}

// PciRoot(0)/Pci(4,0): what precedes the disk's node in OVMF's paths.
void append_pci(std::vector<uint8_t>& path) {
  const uint8_t acpi[] = {0x02, 0x01, 12, 0, 0xD0, 0x41, 0x03, 0x0A, 0, 0, 0, 0};
  const uint8_t pci[] = {0x01, 0x01, 6, 0, 0, 4};
  append(path, acpi, sizeof(acpi));
  append(path, pci, sizeof(pci));
}

HardDriveNode hard_drive(uint8_t format, uint8_t signature_type) {
  HardDriveNode hd{};
  hd.header = {kMediaDevicePath, kHardDriveSubType, sizeof(HardDriveNode)};
  hd.partition_number = 1;
  hd.partition_start = 2048;
  hd.partition_size = 131072;
  // C12A7328-F81F-11D2-BA4B-00A0C93EC93B as GPT stores it.
  const uint8_t stored[16] = {0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11,
                              0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B};
  memcpy(hd.partition_signature, stored, sizeof(stored));
  hd.partition_format = format;
  hd.signature_type = signature_type;
  return hd;
}

void append_end(std::vector<uint8_t>& path) {
  const uint8_t end[] = {kEndDevicePath, kEndEntireSubType, 4, 0};
  append(path, end, sizeof(end));
}

}  // namespace

TEST_CASE("the GPT partition's GUID is found after the controller's nodes", "[efi][boot_device]") {
  std::vector<uint8_t> path;
  append_pci(path);
  const HardDriveNode hd = hard_drive(kGptPartitionFormat, kGuidSignature);
  append(path, &hd, sizeof(hd));
  append_end(path);
  char out[kGuidTextLength + 1];
  REQUIRE(gpt_partition_guid(path.data(), path.size(), out));
  CHECK(std::string(out) == "c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
}

TEST_CASE("an MBR partition or a path without a hard drive gives no GUID", "[efi][boot_device]") {
  char out[kGuidTextLength + 1];
  std::vector<uint8_t> mbr;
  append_pci(mbr);
  const HardDriveNode hd = hard_drive(0x01, 0x01);
  append(mbr, &hd, sizeof(hd));
  append_end(mbr);
  CHECK_FALSE(gpt_partition_guid(mbr.data(), mbr.size(), out));

  std::vector<uint8_t> no_disk;
  append_pci(no_disk);
  append_end(no_disk);
  CHECK_FALSE(gpt_partition_guid(no_disk.data(), no_disk.size(), out));
  CHECK_FALSE(gpt_partition_guid(nullptr, 100, out));
}

TEST_CASE("a malformed device path ends the walk without reading past it", "[efi][boot_device]") {
  char out[kGuidTextLength + 1];
  const HardDriveNode hd = hard_drive(kGptPartitionFormat, kGuidSignature);

  SECTION("a node shorter than its header") {
    std::vector<uint8_t> path = {0x01, 0x01, 2, 0};
    append(path, &hd, sizeof(hd));
    CHECK_FALSE(gpt_partition_guid(path.data(), path.size(), out));
  }
  SECTION("a node whose length reaches past the limit") {
    std::vector<uint8_t> path;
    append(path, &hd, sizeof(hd));
    CHECK_FALSE(gpt_partition_guid(path.data(), path.size() - 1, out));
  }
  SECTION("a hard drive node too short for its fields") {
    std::vector<uint8_t> path;
    HardDriveNode short_hd = hd;
    short_hd.header.length = 24;
    append(path, &short_hd, 24);
    append_end(path);
    CHECK_FALSE(gpt_partition_guid(path.data(), path.size(), out));
  }
}
