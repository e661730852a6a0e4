# The host part: unit tests (Catch2 v3, under ASan+UBSan), the libFuzzer targets and the boot-test
# registrations.
include(cmake/warnings.cmake)
include(cmake/hv-host-sources.cmake)
set(CMAKE_CXX_STANDARD 23)
set(CMAKE_CXX_STANDARD_REQUIRED ON)

# Every host target is sanitized: the unit tests exist to find what the hardware would not say.
add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)

find_package(Catch2 3 REQUIRED)
enable_testing()
add_subdirectory(common)
add_subdirectory(image/gpt)
add_subdirectory(vmm)
add_subdirectory(appliance)
add_subdirectory(selftest)
add_subdirectory(init)
add_subdirectory(tests/harness)
add_subdirectory(tests/fakes)
add_subdirectory(tests/unit)
add_subdirectory(tests/unit/vmm)
add_subdirectory(tests/unit/selftest)
add_subdirectory(tests/unit/efi)
add_subdirectory(tests/fuzz)
add_subdirectory(tests/stress)
add_subdirectory(tests/boot)
add_subdirectory(tests/checks)
