# The efi part: rootstock.efi, the UEFI application that boots the appliance
# (cmake/toolchain-efi.cmake), from hv.elf and the root's kernel and initramfs the hv and user
# parts built.
include(cmake/warnings.cmake)
add_subdirectory(efi)
