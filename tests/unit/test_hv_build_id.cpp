// hv's short build id (hv-ready `build=`): read from the GNU build ID note ld.lld writes, and
// "none" for any note that is not one, so a damaged image still reaches hv-ready.
#include <catch2/catch_test_macros.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "boot/build_id.hpp"

namespace {

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// A note as ld.lld lays it out: namesz, descsz, type, "GNU\0", the id.
std::vector<uint8_t> note(uint32_t type, std::string owner, std::vector<uint8_t> desc) {
  std::vector<uint8_t> n;
  put_u32(n, static_cast<uint32_t>(owner.size() + 1));
  put_u32(n, static_cast<uint32_t>(desc.size()));
  put_u32(n, type);
  for (char c : owner) n.push_back(static_cast<uint8_t>(c));
  n.push_back(0);
  while (n.size() % 4 != 0) n.push_back(0);
  n.insert(n.end(), desc.begin(), desc.end());
  return n;
}

std::string id_of(const std::vector<uint8_t>& n) {
  return hv::short_build_id(n.data(), n.size()).text;
}

const std::vector<uint8_t> kSha1 = {0x8d, 0xef, 0x16, 0x86, 0x1c, 0x1c, 0x42, 0xb9, 0x2c, 0xf8,
                                    0xc1, 0x70, 0xe8, 0xab, 0x20, 0x56, 0x23, 0xf6, 0xff, 0x95};

}  // namespace

TEST_CASE("hv build id: the first six bytes of a GNU build ID note as hex", "[hv][build_id]") {
  CHECK(id_of(note(3, "GNU", kSha1)) == "8def16861c1c");
  CHECK(id_of(note(3, "GNU", {0, 1, 2, 0xa, 0xb, 0xff})) == "0001020a0bff");
}

TEST_CASE("hv build id: anything but a whole GNU build ID note gives none", "[hv][build_id]") {
  CHECK(std::string(hv::short_build_id(nullptr, 0).text) == "none");
  CHECK(id_of({}) == "none");
  CHECK(id_of(note(1, "GNU", kSha1)) == "none");            // NT_GNU_ABI_TAG, not a build ID
  CHECK(id_of(note(3, "Xen", kSha1)) == "none");            // another owner
  CHECK(id_of(note(3, "GNU", {1, 2, 3, 4, 5})) == "none");  // shorter than what is printed
  auto cut = note(3, "GNU", kSha1);
  cut.resize(cut.size() - 15);  // descsz says 20, 5 are there
  CHECK(id_of(cut) == "none");
  auto huge = note(3, "GNU", kSha1);
  huge[4] = 0xff, huge[5] = 0xff, huge[6] = 0xff, huge[7] = 0xff;  // descsz near 4 GiB
  CHECK(id_of(huge) == "none");
}
