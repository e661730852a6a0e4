// GPT's building blocks: the CRC32 GPT uses, GUIDs in their stored byte order and text form,
// partition names between UTF-8 and UTF-16, the protective MBR's bytes, and where a table's
// parts lie at 512- and 4096-byte sectors.
#include <catch2/catch_test_macros.hpp>
#include <string>
#include <vector>

#include "image/gpt/crc32.hpp"
#include "image/gpt/geometry.hpp"
#include "image/gpt/guid.hpp"
#include "image/gpt/partition_name.hpp"
#include "image/gpt/protective_mbr.hpp"

using namespace rootstock::gpt;

namespace {

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

uint32_t le32(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t{b[at]} | uint32_t{b[at + 1]} << 8 | uint32_t{b[at + 2]} << 16 |
         uint32_t{b[at + 3]} << 24;
}

}  // namespace

TEST_CASE("gpt: CRC32 is IEEE 802.3's (zlib's, the firmware's CalculateCrc32)", "[gpt]") {
  CHECK(crc32(bytes_of("123456789")) == 0xCBF43926);  // the standard check value
  CHECK(crc32({}) == 0);
  CHECK(crc32(bytes_of("The quick brown fox jumps over the lazy dog")) == 0x414FA339);
  std::vector<uint8_t> zeros(92, 0);
  CHECK(crc32(zeros) != crc32(std::span(zeros).first(91)));
}

TEST_CASE("gpt: a GUID's text form and its stored bytes (UEFI Appendix A)", "[gpt]") {
  // The EFI system partition's type as every GPT stores it.
  const std::array<uint8_t, 16> stored = {0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11,
                                          0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B};
  CHECK(kEfiSystemPartitionType.bytes == stored);
  CHECK(kEfiSystemPartitionType.text() == "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
  auto lower = parse_guid("c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
  REQUIRE(lower);
  CHECK(*lower == kEfiSystemPartitionType);
  CHECK(kLinuxFilesystemType.text() == "0FC63DAF-8483-4772-8E79-3D69D8477DE4");
  CHECK(Guid{}.is_nil());
  CHECK_FALSE(kLinuxFilesystemType.is_nil());
  CHECK(Guid{}.text() == "00000000-0000-0000-0000-000000000000");
}

TEST_CASE("gpt: malformed GUID text is refused", "[gpt]") {
  for (const char* bad :
       {"", "C12A7328-F81F-11D2-BA4B-00A0C93EC93", "C12A7328-F81F-11D2-BA4B-00A0C93EC93BB",
        "{C12A7328-F81F-11D2-BA4B-00A0C93EC9}", "C12A7328F-81F-11D2-BA4B-00A0C93EC93B",
        "C12A7328-F81F-11D2-BA4B-00A0C93EC93G", "C12A7328 F81F 11D2 BA4B 00A0C93EC93B",
        "C12A7328-F81F-11D2-BA4B--0A0C93EC93B"}) {
    INFO(bad);
    CHECK_FALSE(parse_guid(bad));
  }
}

TEST_CASE("gpt: partition names are UTF-8 here and 36 UTF-16 units on disk", "[gpt]") {
  auto ascii = encode_partition_name("data");
  REQUIRE(ascii);
  CHECK((*ascii)[0] == u'd');
  CHECK((*ascii)[3] == u'a');
  CHECK((*ascii)[4] == 0);
  CHECK(decode_partition_name(*ascii) == "data");
  // Two-byte and three-byte UTF-8 stay one unit; a character past U+FFFF takes a pair.
  for (const char* name : {"Daten \xC3\xA4", "\xE2\x82\xAC uro", "clef \xF0\x9D\x84\x9E"}) {
    auto units = encode_partition_name(name);
    REQUIRE(units);
    CHECK(decode_partition_name(*units) == name);
  }
  auto clef = encode_partition_name("\xF0\x9D\x84\x9E");
  REQUIRE(clef);
  CHECK((*clef)[0] == 0xD834);
  CHECK((*clef)[1] == 0xDD1E);
  CHECK(encode_partition_name(std::string(36, 'x')));
  CHECK_FALSE(encode_partition_name(std::string(37, 'x')));
  CHECK_FALSE(encode_partition_name(std::string(35, 'x') + "\xF0\x9D\x84\x9E"));
  // Not UTF-8: overlong, a lone continuation byte, an encoded surrogate, cut short; and NUL.
  for (std::string bad :
       {std::string("\xC0\x80"), std::string("\x80"), std::string("\xED\xA0\x80"),
        std::string("\xE2\x82"), std::string("a\0b", 3), std::string("\xF4\x90\x80\x80")}) {
    CHECK_FALSE(encode_partition_name(bad));
  }
  // A foreign disk's unpaired surrogate reads as U+FFFD.
  PartitionNameUnits odd{};
  odd[0] = u'a';
  odd[1] = 0xD800;
  odd[2] = u'b';
  CHECK(decode_partition_name(odd) ==
        "a\xEF\xBF\xBD"
        "b");
}

TEST_CASE("gpt: the protective MBR covers the disk (UEFI 2.10, 5.2.3)", "[gpt]") {
  const uint64_t sectors = 4096;
  auto mbr = encode_protective_mbr(sectors, 512);
  REQUIRE(mbr.size() == 512);
  CHECK(mbr[446] == 0x00);                                            // not bootable
  CHECK((mbr[447] == 0x00 && mbr[448] == 0x02 && mbr[449] == 0x00));  // CHS of LBA 1
  CHECK(mbr[450] == 0xEE);
  // LBA 4095 at 255 heads × 63 sectors: cylinder 0, head 65, sector 1.
  CHECK((mbr[451] == 65 && mbr[452] == 1 && mbr[453] == 0));
  CHECK(le32(mbr, 454) == 1);
  CHECK(le32(mbr, 458) == sectors - 1);
  CHECK((mbr[510] == 0x55 && mbr[511] == 0xAA));
  CHECK(is_protective_mbr(mbr));

  // Past 2 TiB of 512-byte sectors the size and the CHS say "too large".
  auto huge = encode_protective_mbr(uint64_t{1} << 33, 512);
  CHECK(le32(huge, 458) == 0xFFFFFFFF);
  CHECK((huge[451] == 0xFF && huge[452] == 0xFF && huge[453] == 0xFF));

  // A 4 KiB sector holds the same 512 bytes, then zeros.
  auto big = encode_protective_mbr(sectors, 4096);
  REQUIRE(big.size() == 4096);
  CHECK(std::vector(big.begin(), big.begin() + 446) == std::vector<uint8_t>(446, 0));
  CHECK(big[450] == 0xEE);
  CHECK((big[510] == 0x55 && big[511] == 0xAA));
  CHECK(std::vector(big.begin() + 512, big.end()) == std::vector<uint8_t>(4096 - 512, 0));

  std::vector<uint8_t> blank(512, 0);
  CHECK_FALSE(is_protective_mbr(blank));
  mbr[450] = 0x83;  // a Linux MBR partition instead
  CHECK_FALSE(is_protective_mbr(mbr));
}

TEST_CASE("gpt: geometry at 512- and 4096-byte sectors", "[gpt]") {
  auto g512 = geometry(512, 2048, 16384);
  REQUIRE(g512);
  CHECK(g512->entry_sectors == 32);
  CHECK(g512->primary_entries_lba == 2);
  CHECK(g512->first_usable_lba == 34);
  CHECK(g512->backup_header_lba == 2047);
  CHECK(g512->backup_entries_lba == 2015);
  CHECK(g512->last_usable_lba == 2014);

  auto g4k = geometry(4096, 256, 16384);
  REQUIRE(g4k);
  CHECK(g4k->entry_sectors == 4);
  CHECK(g4k->first_usable_lba == 6);
  CHECK(g4k->backup_entries_lba == 251);
  CHECK(g4k->last_usable_lba == 250);

  CHECK(sectors_for(100 * 128, 512) == 25);
  CHECK(sectors_for(100 * 128, 4096) == 4);  // the last sector partly filled

  auto small = geometry(512, 67, 16384);
  REQUIRE_FALSE(small);
  CHECK(small.error() == "a disk of 67 sectors is too small for a GPT (it needs at least 68)");
  CHECK(geometry(512, 68, 16384));
  for (uint32_t bad : {0u, 256u, 1000u, 131072u}) {
    auto g = geometry(bad, 4096, 16384);
    REQUIRE_FALSE(g);
    CHECK(g.error() ==
          "sector size " + std::to_string(bad) + " is not a power of two from 512 to 65536");
  }
}
