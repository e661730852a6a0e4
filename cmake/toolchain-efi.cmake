# Freestanding toolchain for rootstock.efi (efi/): clang-19 emitting x86-64 COFF objects for the
# Microsoft x64 ABI that UEFI calls use (UEFI 2.10, 2.3.4), linked by lld-link into a PE32+ UEFI
# application. No C or C++ runtime; no exceptions, RTTI, thread-safe statics, red zone (the
# firmware's interrupt handlers share the stack) or stack probes (no __chkstk to call).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER clang-19)
set(CMAKE_CXX_COMPILER clang++-19)
set(CMAKE_ASM_COMPILER clang-19)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# The target is given as a flag: CMake passes CMAKE_<LANG>_COMPILER_TARGET to clang only on
# some platforms, and every object here must be COFF.
set(target --target=x86_64-unknown-windows)
set(CMAKE_ASM_FLAGS_INIT "${target}")
set(efi_flags "${target} -ffreestanding -fno-builtin -nostdlib -fshort-wchar -mno-red-zone \
-fno-stack-protector -mno-stack-arg-probe -mgeneral-regs-only -ffunction-sections \
-fdata-sections")
set(CMAKE_C_FLAGS_INIT "${efi_flags}")
set(CMAKE_CXX_FLAGS_INIT "${efi_flags} -fno-exceptions -fno-rtti -fno-threadsafe-statics \
-nostdinc++ -fno-use-cxa-atexit")
# UEFI loads the application wherever it likes and applies its base relocations; /Brepro puts
# no time stamp in the file, so that two builds give the same bytes.
set(CMAKE_CXX_LINK_EXECUTABLE
    "lld-link-19 <LINK_FLAGS> <OBJECTS> /out:<TARGET> <LINK_LIBRARIES>")
set(CMAKE_EXE_LINKER_FLAGS_INIT "/subsystem:efi_application /entry:efi_main /nodefaultlib \
/machine:x64 /Brepro /opt:ref")
