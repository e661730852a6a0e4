// The loader's messages on the firmware's console (ConOut, UEFI 2.10 12.4), which OVMF and most
// firmware also copy to the serial port: one line each, "rootstock.efi: " first. Usable until
// ExitBootServices; after that nothing may call the firmware.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <rootstock/text.hpp>

#include "uefi_tables.hpp"

namespace rootstock::efi {

/// One line being put together: text and numbers, cut at its capacity (never overflowing).
class Message {
 public:
  Message& text(Text t);
  Message& hex(uint64_t v);  ///< 0x...
  Message& dec(uint64_t v);
  [[nodiscard]] Text view() const { return {buffer_, length_}; }

 private:
  static constexpr size_t kCapacity = 320;
  char buffer_[kCapacity] = {};
  size_t length_ = 0;
};

/// The firmware's text output; with none (a headless firmware may give none) lines go nowhere.
class Console {
 public:
  explicit Console(SimpleTextOutput* out) : out_(out) {}
  /// Writes "rootstock.efi: ", the message and a line end.
  void say(const Message& m) const;
  void say(Text t) const;

 private:
  void write(Text t) const;
  SimpleTextOutput* out_;
};

}  // namespace rootstock::efi
