# The user part: static musl + libc++ programs (cmake/toolchain-musl.cmake): the rootstock binary
# for the root partition and the test tools.
include(cmake/warnings.cmake)
set(CMAKE_CXX_STANDARD 23)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(THREADS_PREFER_PTHREAD_FLAG ON)
add_subdirectory(common)
add_subdirectory(image/gpt)
add_subdirectory(vmm)
add_subdirectory(appliance)
add_subdirectory(selftest)
# The hvroot driver, built against the kernel tree; it goes into the root's initramfs.
set(HVROOT_KO ${ROOTSTOCK_OUT}/root/hvroot.ko)
add_subdirectory(drivers/hvroot)
add_subdirectory(init)
# The default child's initramfs (busybox); it goes into the root's initramfs.
set(CHILD_INITRAMFS ${ROOTSTOCK_OUT}/child/initramfs.cpio)
set(CHILD_ROOTFS ${ROOTSTOCK_OUT}/child/rootfs.ext4)
add_subdirectory(image/child)
add_subdirectory(image/initramfs)
# A child on a stock Debian kernel, for the boot test root-stock-kernel (not in the image).
add_subdirectory(image/stock-kernel)
add_subdirectory(tests/harness)
enable_testing()
add_subdirectory(tests/static)
