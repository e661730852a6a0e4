# ---- rootstock.img, the disk image users flash, under UEFI (OVMF) ----------------------------
# Included at the end of tests/boot/CMakeLists.txt, whose helpers (root_boot_steps, efi_modules,
# BOOTTEST) it uses.
#
# image_boot_test(NAME TIMEOUT <s> DISK nvme|virtio|usb [SIZE <size>] [ACCEL <accel>]
#   QEMU <args> STEPS <steps>): run-ovmf-disk.sh boots a sparse copy of rootstock.img, grown to
#   SIZE (the image's own size when not given), as the machine's one disk of that kind, in the
#   test's folder ${ROOTSTOCK_OUT}/test-logs/NAME.ovmf, where it stays after the run; the
#   monitor as qemu_monitor_test has it. ACCEL defaults to multi-threaded TCG.
set(DISK_IMAGE ${ROOTSTOCK_OUT}/rootstock.img)

function(image_boot_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "TIMEOUT;DISK;SIZE;ACCEL" "QEMU;STEPS")
  if(NOT arg_ACCEL)
    set(arg_ACCEL tcg)
  endif()
  set(size)
  if(arg_SIZE)
    set(size --size ${arg_SIZE})
  endif()
  set(socket ${ROOTSTOCK_OUT}/test-logs/${name}.monitor)
  add_test(NAME boot.${name}
    COMMAND ${BOOTTEST} --name ${name} --timeout ${arg_TIMEOUT}
            --log-dir ${ROOTSTOCK_OUT}/test-logs --monitor-socket ${socket} ${arg_STEPS}
            -- ${CMAKE_CURRENT_SOURCE_DIR}/run-ovmf-disk.sh ${ROOTSTOCK_OUT}/test-logs/${name}.ovmf
               ${DISK_IMAGE} --disk ${arg_DISK} ${size} --
               -accel ${arg_ACCEL} -machine q35 -display none -vga none -serial stdio
               -monitor unix:${socket},server,nowait -no-reboot ${arg_QEMU})
  math(EXPR outer "${arg_TIMEOUT} + 30")
  set_tests_properties(boot.${name} PROPERTIES TIMEOUT ${outer} LABELS boot)
endfunction()

# The image as a user boots it: the firmware finds \EFI\BOOT\BOOTX64.EFI on the disk's EFI
# system partition by itself (no boot entry, no load options), so the appliance comes up with
# the default child VM. On each disk kind the firmware reads the image from (under OVMF a USB
# stick is read by the firmware's own xHCI and mass storage drivers, whatever the root's kernel
# has). The disk is larger than the image, as a real one is. Single-threaded TCG as
# efi-bootx64, for the default child.
root_boot_steps(steps 2
  BEFORE_INIT ${efi_modules}
  AFTER_INIT --milestone "vm-started id=0 vcpus=2 mem_mib=256@60")
list(PREPEND steps
  --text "rootstock.efi: no graphics output (GOP): the root gets no framebuffer@300"
  --text "rootstock.efi: hv at 0x100000-@10"
  --text "rootstock.efi: leaving the firmware@10"
  --text "entered through Multiboot2@60")
foreach(disk nvme virtio usb)
  image_boot_test(img-${disk} TIMEOUT 600 DISK ${disk} SIZE 256M ACCEL tcg,thread=single
    QEMU -cpu EPYC,+svm,+npt -smp 2 -m 1G -nic none STEPS ${steps})
endforeach()
