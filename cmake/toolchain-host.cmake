# Host toolchain: clang-19 with the system's libstdc++, for unit tests and host tools.
# The unit tests run under ASan+UBSan (see cmake/part-host.cmake).
set(CMAKE_C_COMPILER clang-19)
set(CMAKE_CXX_COMPILER clang++-19)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld")
