# The root kernel's default command line: embedded in rootstock.elf (hv/) and carried by
# rootstock.efi (efi/), which must agree. The kernel's messages go to the screen (tty0, drawn by
# fbcon on the boot loader's framebuffer, where there is one) and the serial port; the last
# console= is /dev/console, PID 1's, which mirrors itself on the screen (init/console.hpp).
set(ROOTSTOCK_ROOT_CMDLINE "console=tty0 console=ttyS0 loglevel=5" CACHE STRING
    "the root kernel's default command line, embedded in rootstock.elf and rootstock.efi")
