# Freestanding toolchain for hv: clang-19 + lld, x86-64 ELF, no libc, no C++ runtime.
# STYLE.md "Build": no exceptions, RTTI, thread-safe statics, red zone or SSE; hv runs from a fixed
# identity map below 4 GiB, so the small code model without PIC suffices.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER clang-19)
set(CMAKE_CXX_COMPILER clang++-19)
set(CMAKE_ASM_COMPILER clang-19)
set(triple x86_64-unknown-none-elf)
set(CMAKE_C_COMPILER_TARGET ${triple})
set(CMAKE_CXX_COMPILER_TARGET ${triple})
set(CMAKE_ASM_COMPILER_TARGET ${triple})
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(hv_flags "-ffreestanding -fno-builtin -nostdlib -fno-stack-protector -fno-pic -fno-pie \
-mno-red-zone -mgeneral-regs-only -mcmodel=small -fno-omit-frame-pointer -ffunction-sections \
-fdata-sections")
set(CMAKE_C_FLAGS_INIT "${hv_flags}")
set(CMAKE_CXX_FLAGS_INIT "${hv_flags} -fno-exceptions -fno-rtti -fno-threadsafe-statics \
-nostdinc++ -fno-use-cxa-atexit")
set(CMAKE_ASM_FLAGS_INIT "-fno-pic")
# hv is linked by ld.lld itself: clang's bare-metal x86-64 driver would go through gcc.
set(CMAKE_CXX_LINK_EXECUTABLE "ld.lld-19 <LINK_FLAGS> <OBJECTS> -o <TARGET> <LINK_LIBRARIES>")
# --build-id=sha1 hashes the linked image (boot/build_id.hpp): hv prints it in hv-ready.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostdlib -static --gc-sections --build-id=sha1 \
-z max-page-size=4096 --no-dynamic-linker")
