# Static user-space toolchain: clang-19 targeting musl with LLVM libc++ (libc++abi and libunwind
# folded in), from the sysroot tools/build-sysroot.sh makes. The binaries run in the root
# partition and in children; they are fully static, so the host runs them directly (tests, try_run).
if(NOT ROOTSTOCK_SYSROOT)
  set(ROOTSTOCK_SYSROOT "$ENV{ROOTSTOCK_SYSROOT}")
endif()
if(NOT EXISTS "${ROOTSTOCK_SYSROOT}/.complete")
  message(FATAL_ERROR "ROOTSTOCK_SYSROOT='${ROOTSTOCK_SYSROOT}' is not a finished sysroot "
                      "(make one with tools/build-sysroot.sh)")
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ROOTSTOCK_SYSROOT)

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_SYSROOT "${ROOTSTOCK_SYSROOT}")
set(CMAKE_C_COMPILER clang-19)
set(CMAKE_CXX_COMPILER clang++-19)
set(CMAKE_ASM_COMPILER clang-19)
set(CMAKE_C_COMPILER_TARGET x86_64-linux-musl)
set(CMAKE_CXX_COMPILER_TARGET x86_64-linux-musl)
set(CMAKE_ASM_COMPILER_TARGET x86_64-linux-musl)
set(CMAKE_AR /usr/bin/llvm-ar-19)
set(CMAKE_RANLIB /usr/bin/llvm-ranlib-19)
set(CMAKE_NM /usr/bin/llvm-nm-19)
set(CMAKE_STRIP /usr/bin/llvm-strip-19)

# The explicit libc++ include path matters: with Debian's glibc libc++ installed, clang would
# otherwise pick those headers first (TOOLCHAIN.md).
set(CMAKE_CXX_FLAGS_INIT "-nostdinc++ -isystem ${ROOTSTOCK_SYSROOT}/usr/include/c++/v1")
# The build ID is a SHA-1 of the linked program: it changes with the contents only (the paths
# are mapped away, cmake/reproducible.cmake).
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -stdlib=libc++ -fuse-ld=lld -rtlib=compiler-rt \
--unwindlib=none -Wl,--gc-sections -Wl,--build-id=sha1")
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/bin/env)
