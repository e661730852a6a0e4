// The loader's console lines (efi/console.hpp): numbers formatted, long messages cut rather
// than overflowing, and each line reaching ConOut as "rootstock.efi: ...\r\n" in UCS-2 through
// the firmware's calling convention.
#include "console.hpp"

#include <catch2/catch_test_macros.hpp>
#include <string>

using namespace rootstock;
using namespace rootstock::efi;

namespace {

struct FakeConOut {
  SimpleTextOutput protocol{};
  std::u16string written;
  int calls = 0;
};
FakeConOut* g_fake = nullptr;

Status ROOTSTOCK_EFIAPI output_string(SimpleTextOutput*, const Char16* s) {
  ++g_fake->calls;
  g_fake->written += s;
  return Status::kSuccess;
}

std::string view(const Message& m) {
  return {m.view().data, m.view().size};
}

}  // namespace

TEST_CASE("messages format numbers and stop at their capacity") {
  CHECK(view(Message().text("at ").hex(0x100000).text(", ").dec(1017).text(" MiB")) ==
        "at 0x100000, 1017 MiB");
  CHECK(view(Message().hex(0).text(" ").dec(0)) == "0x0 0");
  CHECK(view(Message().hex(~uint64_t{0})) == "0xffffffffffffffff");
  CHECK(view(Message().dec(~uint64_t{0})) == "18446744073709551615");
  Message long_one;
  for (int i = 0; i < 100; ++i) long_one.text("0123456789");
  CHECK(view(long_one).size() == 320);
}

TEST_CASE("a line reaches ConOut in UCS-2 with the loader's prefix and a CR LF") {
  FakeConOut fake;
  fake.protocol.output_string = output_string;
  g_fake = &fake;
  const Console console(&fake.protocol);
  const std::string words(150, 'w');
  console.say(Message().text(words.c_str()));
  CHECK(fake.written == u"rootstock.efi: " + std::u16string(150, u'w') + u"\r\n");
  CHECK(fake.calls >= 4);  // the text went out in NUL-terminated chunks
  g_fake = nullptr;
  // Without a console (a headless firmware) nothing is written and nothing fails.
  Console(nullptr).say("nowhere");
}
