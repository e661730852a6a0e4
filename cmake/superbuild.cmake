# The superbuild: makes the cached musl + libc++ sysroot, then builds the parts in order and
# gathers their tests. Artifacts land in the top build folder (DESIGN.md §8): build/hv/hv.elf,
# build/root/…, build/linux/…, build/tests/….
include(ExternalProject)

set(ROOTSTOCK_CACHE "$ENV{HOME}/.cache/rootstock" CACHE PATH "cache for heavy, slow-changing builds")

# The sysroot is keyed by versions and cached; on a warm cache this returns at once.
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env ROOTSTOCK_CACHE=${ROOTSTOCK_CACHE}
          ${CMAKE_SOURCE_DIR}/tools/build-sysroot.sh
  OUTPUT_VARIABLE ROOTSTOCK_SYSROOT OUTPUT_STRIP_TRAILING_WHITESPACE
  RESULT_VARIABLE sysroot_result)
if(NOT sysroot_result EQUAL 0)
  message(FATAL_ERROR "building the musl + libc++ sysroot failed (tools/build-sysroot.sh)")
endif()
message(STATUS "static user-space sysroot: ${ROOTSTOCK_SYSROOT}")

set(common_args
  -DROOTSTOCK_OUT=${CMAKE_BINARY_DIR}
  -DCMAKE_BUILD_TYPE=RelWithDebInfo
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)

function(rootstock_part name toolchain)
  ExternalProject_Add(${name}
    SOURCE_DIR ${CMAKE_SOURCE_DIR}
    BINARY_DIR ${CMAKE_BINARY_DIR}/parts/${name}
    CMAKE_ARGS ${common_args} -DROOTSTOCK_PART=${name}
               -DCMAKE_TOOLCHAIN_FILE=${CMAKE_SOURCE_DIR}/cmake/toolchain-${toolchain}.cmake
               ${ARGN}
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    USES_TERMINAL_CONFIGURE ON
    USES_TERMINAL_BUILD ON)
endfunction()

# The Linux kernel: built once per source version and config into the cache; bzImage is
# installed as build/linux/bzImage, the tree's path in build/linux/kernel-tree.
add_custom_target(kernel ALL
  COMMAND ${CMAKE_COMMAND} -E env ROOTSTOCK_CACHE=${ROOTSTOCK_CACHE}
          ${CMAKE_SOURCE_DIR}/tools/build-kernel.sh ${CMAKE_BINARY_DIR}/linux
  USES_TERMINAL
  COMMENT "Linux kernel (cached under ${ROOTSTOCK_CACHE})")

rootstock_part(hv hv)
rootstock_part(user musl -DROOTSTOCK_SYSROOT=${ROOTSTOCK_SYSROOT})
rootstock_part(efi efi)
rootstock_part(host host)
# The host part registers the boot tests, which run the static programs and boot hv.
ExternalProject_Add_StepDependencies(host configure hv user efi)
# rootstock.img (image/disk) is made in the host part, by a step of its own between configure
# and build: the manifest, which records it, then waits for the image and not for the tests.
ExternalProject_Add_Step(host disk_image
  COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> --target rootstock_img
  COMMENT "rootstock.img"
  DEPENDEES configure
  DEPENDERS build
  ALWAYS ON
  USES_TERMINAL ON)
ExternalProject_Add_StepTargets(host disk_image)
# rootstock.elf embeds the kernel and the root's initramfs; the initramfs holds hvroot.ko, built
# against the kernel tree.
ExternalProject_Add_StepDependencies(user build kernel)
ExternalProject_Add_StepDependencies(hv build kernel user)
# rootstock.efi carries hv.elf, the kernel and the initramfs.
ExternalProject_Add_StepDependencies(efi build hv)

# One ctest at the top runs every part's tests.
enable_testing()
file(WRITE ${CMAKE_BINARY_DIR}/parts-tests.cmake
     "subdirs(\"${CMAKE_BINARY_DIR}/parts/host\" \"${CMAKE_BINARY_DIR}/parts/user\")\n")
set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${CMAKE_BINARY_DIR}/parts-tests.cmake)

# build/manifest.json, after every part that makes artifacts.
include(cmake/manifest.cmake)
