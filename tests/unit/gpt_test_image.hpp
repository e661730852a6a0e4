// The small two-partition disk the GPT tests start from, at either sector size: an EFI system
// partition and a data partition that ends where the image does, as rootstock.img will be laid
// out (sizes scaled down so that the power-cut test can copy the disk a few hundred times).
#pragma once

#include <catch2/catch_test_macros.hpp>

#include "fake_disk.hpp"
#include "image/gpt/guid.hpp"
#include "image/gpt/writer.hpp"

namespace rootstock::test {

inline constexpr uint64_t kImageBytes = 1024 * 1024;
inline constexpr uint64_t kPartitionAlignBytes = 64 * 1024;
inline constexpr uint64_t kEspBytes = 256 * 1024;
inline constexpr gpt::Guid kTestDiskGuid = gpt::guid("5A0B31E6-0C9E-4F5B-9B3A-2E7C55D1A001");
inline constexpr gpt::Guid kTestEspGuid = gpt::guid("5A0B31E6-0C9E-4F5B-9B3A-2E7C55D1A002");
inline constexpr gpt::Guid kTestDataGuid = gpt::guid("5A0B31E6-0C9E-4F5B-9B3A-2E7C55D1A003");

/// The image's table on a disk of `image_bytes`: "esp" (number 1) and "data" (number 2), the
/// data partition up to the last usable LBA.
inline gpt::DiskSpec test_spec(uint32_t sector_size, uint64_t image_bytes = kImageBytes) {
  const uint64_t align = kPartitionAlignBytes / sector_size;
  const uint64_t esp_first = align;
  const uint64_t esp_last = esp_first + kEspBytes / sector_size - 1;
  // The last usable LBA of a 128-entry GPT: the backup's 16 KiB of entries and its header
  // take the end of the disk.
  const uint64_t last_usable = image_bytes / sector_size - 1 - 16384 / sector_size - 1;
  return gpt::DiskSpec{
      .disk_guid = kTestDiskGuid,
      .partitions = {{.number = 1,
                      .type = gpt::kEfiSystemPartitionType,
                      .unique = kTestEspGuid,
                      .first_lba = esp_first,
                      .last_lba = esp_last,
                      .name = "esp"},
                     {.number = 2,
                      .type = gpt::kLinuxFilesystemType,
                      .unique = kTestDataGuid,
                      .first_lba = (esp_last + align) / align * align,
                      .last_lba = last_usable,
                      .name = "data"}},
  };
}

/// A disk of `image_bytes` holding test_spec()'s table.
inline FakeDisk test_image(uint32_t sector_size, uint64_t image_bytes = kImageBytes) {
  FakeDisk disk(sector_size, image_bytes / sector_size);
  auto written = gpt::write_gpt(disk, test_spec(sector_size, image_bytes));
  REQUIRE(written);
  return disk;
}

}  // namespace rootstock::test
