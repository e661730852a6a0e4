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

# A part's compiler and linker flags come from its toolchain file's *_FLAGS_INIT, which CMake
# reads only when it creates the part's cache: a part configured before its toolchain file or
# the sysroot changed would keep the old flags (an hv without its build id, user space compiled
# against a superseded sysroot's headers, which check.image-reproducible then finds in its debug
# information). So a part's folder is started afresh when its toolchain file or its arguments
# (the sysroot's path among them) are not what they were.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/tools/build-sysroot.sh)
function(rootstock_part name toolchain)
  set(toolchain_file ${CMAKE_SOURCE_DIR}/cmake/toolchain-${toolchain}.cmake)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${toolchain_file})
  file(SHA256 ${toolchain_file} stamp)
  string(SHA256 stamp "${stamp} ${ARGN}")
  set(stamp_file ${CMAKE_BINARY_DIR}/parts/${name}.toolchain-stamp)
  if(EXISTS ${stamp_file})
    file(READ ${stamp_file} old_stamp)
    if(NOT old_stamp STREQUAL stamp)
      message(STATUS "${name}: its toolchain or sysroot changed; the part is built afresh")
      file(REMOVE_RECURSE ${CMAKE_BINARY_DIR}/parts/${name} ${CMAKE_BINARY_DIR}/${name}-prefix)
    endif()
  endif()
  file(WRITE ${stamp_file} "${stamp}")
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

# A stock Debian kernel (not built by us) for the child boot test root-stock-kernel
# (tools/fetch-stock-kernel.sh): its package is fetched once per version into the cache, and
# build/stock-kernel/ gets the kernel, the modules a child needs and their mkcpio lines.
add_custom_target(stock_kernel ALL
  COMMAND ${CMAKE_COMMAND} -E env ROOTSTOCK_CACHE=${ROOTSTOCK_CACHE}
          ${CMAKE_SOURCE_DIR}/tools/fetch-stock-kernel.sh ${CMAKE_BINARY_DIR}/stock-kernel
  USES_TERMINAL
  COMMENT "stock Debian kernel for a child (cached under ${ROOTSTOCK_CACHE})")

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
ExternalProject_Add_StepDependencies(user build kernel stock_kernel)
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
