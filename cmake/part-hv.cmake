# The hv part: the microhypervisor, freestanding (cmake/toolchain-hv.cmake).
include(cmake/warnings.cmake)
add_subdirectory(common)
add_subdirectory(hv)
