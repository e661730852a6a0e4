#include "console.hpp"

namespace rootstock::efi {

Message& Message::text(Text t) {
  for (size_t i = 0; i < t.size && length_ < kCapacity; ++i) buffer_[length_++] = t[i];
  return *this;
}

Message& Message::hex(uint64_t v) {
  char digits[16];
  size_t n = 0;
  do {
    const auto d = static_cast<char>(v & 0xf);
    digits[n++] = static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10);
    v >>= 4;
  } while (v != 0);
  text("0x");
  while (n > 0) text(Text(&digits[--n], 1));
  return *this;
}

Message& Message::dec(uint64_t v) {
  char digits[20];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) text(Text(&digits[--n], 1));
  return *this;
}

void Console::write(Text t) const {
  // OutputString takes NUL-terminated UCS-2: the text goes out in chunks.
  Char16 chunk[64];
  size_t n = 0;
  for (size_t i = 0; i <= t.size; ++i) {
    if (i == t.size || n + 1 == sizeof(chunk) / sizeof(chunk[0])) {
      chunk[n] = 0;
      if (n != 0) out_->output_string(out_, chunk);
      n = 0;
    }
    if (i < t.size) chunk[n++] = static_cast<Char16>(static_cast<uint8_t>(t[i]));
  }
}

void Console::say(const Message& m) const {
  say(m.view());
}

void Console::say(Text t) const {
  if (out_ == nullptr) return;
  write("rootstock.efi: ");
  write(t);
  write("\r\n");
}

}  // namespace rootstock::efi
