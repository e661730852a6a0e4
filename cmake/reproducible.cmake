# What every part that ships bytes compiles with, so that the same sources give the same
# artifacts in any folder (DESIGN.md §8, "Reproducible builds" in the README). Included by the
# top-level CMakeLists.txt before the part's own file.
#
# Paths: debug information, __FILE__ and the GNU build ID (which hashes the whole output) would
# otherwise carry the folders of the checkout, the build and the cached sysroot. The last
# matching -ffile-prefix-map wins (clang and GCC alike), so the build folder, which may lie
# inside the source tree (the default build/), is named after the source tree. A debugger finds
# the sources with `directory <checkout>`.
if(ROOTSTOCK_PART STREQUAL "host")
  return()  # the host part ships nothing: its tests and fuzzers keep real paths for debugging
endif()
add_compile_options(-ffile-prefix-map=${PROJECT_SOURCE_DIR}/=)
if(ROOTSTOCK_OUT)
  add_compile_options(-ffile-prefix-map=${ROOTSTOCK_OUT}/=build/)
endif()
if(ROOTSTOCK_SYSROOT)
  add_compile_options(-ffile-prefix-map=${ROOTSTOCK_SYSROOT}/=sysroot/)
endif()
