// hv's command line from the embedded one and the load options (efi/command_line.hpp): the
// shell's words without the image path, a boot entry's binary data recognised as not text, and
// the joined line bounded.
#include "command_line.hpp"

#include <catch2/catch_test_macros.hpp>
#include <string>
#include <vector>

using namespace rootstock;
using namespace rootstock::efi;

namespace {

struct Converted {
  OptionsStatus status;
  std::string text;
};

Converted convert(const std::u16string& s, size_t capacity = 256, bool nul = true) {
  std::vector<char16_t> units(s.begin(), s.end());
  if (nul) units.push_back(0);
  std::vector<char> out(capacity, 'X');
  size_t length = 99;
  const OptionsStatus st =
      options_to_ascii(units.data(), units.size() * 2, out.data(), out.size(), length);
  if (capacity != 0) REQUIRE(out[length] == '\0');
  return {st, std::string(out.data(), length)};
}

}  // namespace

TEST_CASE("the shell's command line loses the image path and keeps the words") {
  CHECK(convert(u"fs0:\\EFI\\rootstock.efi hv.loglevel=debug rootstock.vm=off").text ==
        "hv.loglevel=debug rootstock.vm=off");
  CHECK(convert(u"\\EFI\\BOOT\\BOOTX64.EFI").text.empty());
  CHECK(convert(u"  rootstock.EFI\thv.loglevel=debug  ").text == "hv.loglevel=debug");
  // Without an image path first, every word is kept.
  CHECK(convert(u"hv.loglevel=debug rootstock.vm=off").text ==
        "hv.loglevel=debug rootstock.vm=off");
  CHECK(convert(u"efi rootstock.selftest=init").text == "efi rootstock.selftest=init");
  // What follows the first NUL is not part of it; no NUL at all is fine too.
  CHECK(convert(std::u16string(u"a.efi one\0two", 13)).text == "one");
  CHECK(convert(u"a.efi one", 256, false).text == "one");
}

TEST_CASE("no load options give no words") {
  char out[8] = "junk";
  size_t length = 3;
  CHECK(options_to_ascii(nullptr, 0, out, sizeof(out), length) == OptionsStatus::kOk);
  CHECK(length == 0);
  CHECK(out[0] == '\0');
  CHECK(convert(u"").text.empty());
}

TEST_CASE("a boot entry's binary data is not taken for words") {
  // OVMF's boot options for removable media carry a GUID-like blob; others carry anything.
  const uint8_t blob[] = {0x4e, 0xac, 0x08, 0x81, 0x11, 0x9f, 0x59, 0x4d,
                          0x85, 0x0e, 0xe2, 0x1a, 0x52, 0x2c, 0x59, 0xb2};
  char out[64];
  size_t length = 5;
  CHECK(options_to_ascii(blob, sizeof(blob), out, sizeof(out), length) == OptionsStatus::kNotText);
  CHECK(length == 0);
  CHECK(options_to_ascii(blob, 15, out, sizeof(out), length) == OptionsStatus::kOddSize);
  CHECK(convert(u"hv.loglevel=d\u00e9bug").status == OptionsStatus::kNotText);
  CHECK(convert(u"line\nbreak").status == OptionsStatus::kNotText);
}

TEST_CASE("options longer than the output are refused, not cut") {
  CHECK(convert(u"abcdefg", 8).status == OptionsStatus::kOk);
  const Converted c = convert(u"abcdefgh", 8);
  CHECK(c.status == OptionsStatus::kTooLong);
  CHECK(c.text.empty());
}

TEST_CASE("the embedded command line and the options join with one space, bounded") {
  char out[16];
  size_t n = 0;
  REQUIRE(join_words("console=ttyS0", "a", out, sizeof(out), n));
  CHECK(std::string(out, n) == "console=ttyS0 a");
  REQUIRE(join_words("", "a b", out, sizeof(out), n));
  CHECK(std::string(out) == "a b");
  REQUIRE(join_words("abc", "", out, sizeof(out), n));
  CHECK(std::string(out) == "abc");
  CHECK_FALSE(join_words("console=ttyS0", "ab", out, sizeof(out), n));
  CHECK_FALSE(join_words("", "", out, 0, n));
}

TEST_CASE("the embedded command line ends at its NUL or its trailing white space") {
  const std::string file = "console=ttyS0 loglevel=5\n";
  const Text t = embedded_text(reinterpret_cast<const uint8_t*>(file.data()), file.size());
  CHECK(std::string(t.data, t.size) == "console=ttyS0 loglevel=5");
  const uint8_t padded[] = {'a', ' ', 'b', 0, 'c', 0, 0};
  const Text p = embedded_text(padded, sizeof(padded));
  CHECK(std::string(p.data, p.size) == "a b");
  CHECK(embedded_text(padded, 0).empty());
}
