// The appliance console in raw mode while VMs take its input: each key goes to the VM as it is
// typed, unechoed (the VM's shell echoes), Ctrl-C and Ctrl-] included; restored at the end.
#pragma once

#include <termios.h>

namespace rootstock::init {

class RawTerminal {
 public:
  /// Puts standard input in raw mode, if it is a terminal.
  RawTerminal();
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

}  // namespace rootstock::init
