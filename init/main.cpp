// The rootstock binary: PID 1 of the root partition (DESIGN.md §3). Later issues add the VMM
// and the appliance to the same binary; run as anything but PID 1 it only says what it is.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>

#include "console.hpp"
#include "pid_one.hpp"

namespace {

[[noreturn]] void hang_forever() {
  for (;;) ::pause();
}

}  // namespace

int main(int argc, char** argv) {
  if (::getpid() != 1) {
    if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
      std::printf("rootstock %s\n", ROOTSTOCK_VERSION);
      return 0;
    }
    std::fprintf(stderr,
                 "rootstock %s: this is the root partition's init; it runs as PID 1 "
                 "(try --version)\n",
                 ROOTSTOCK_VERSION);
    return 2;
  }
  static rootstock::init::LinuxSystem sys;
  try {
    rootstock::init::PidOne init(sys);
    init.run();
  } catch (const std::exception& e) {
    rootstock::init::say(std::string("fatal: uncaught exception: ") + e.what());
  } catch (...) {
    rootstock::init::say("fatal: uncaught exception");
  }
  // PID 1 must never exit (the kernel would panic): stay, reaping nothing more.
  rootstock::init::say("staying up for diagnosis");
  hang_forever();
}
