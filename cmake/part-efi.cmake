# The efi part: rootstock.efi, the UEFI application that boots the appliance
# (cmake/toolchain-efi.cmake), from hv.elf and the root's kernel and initramfs the hv and user
# parts built.
include(cmake/warnings.cmake)
# CMake takes clang targeting Windows for an MSVC look-alike and, on a Generic system, gives it
# no header dependency tracking: without this a changed header rebuilds nothing.
foreach(lang C CXX ASM)
  set(CMAKE_DEPFILE_FLAGS_${lang} "-MD -MT <DEP_TARGET> -MF <DEP_FILE>")
  set(CMAKE_${lang}_DEPFILE_FORMAT gcc)
  set(CMAKE_${lang}_DEPENDS_USE_COMPILER TRUE)
endforeach()
add_subdirectory(efi)
