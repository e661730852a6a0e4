# The root kernel's default command line: embedded in rootstock.elf (hv/) and carried by
# rootstock.efi (efi/), which must agree.
set(ROOTSTOCK_ROOT_CMDLINE "console=ttyS0 loglevel=5" CACHE STRING
    "the root kernel's default command line, embedded in rootstock.elf and rootstock.efi")
