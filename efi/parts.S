/*
 * What rootstock.efi carries, one PE section each (as xen.efi carries its parts): hv's ELF
 * image, the root's kernel (bzImage), its initramfs and its default command line. The loader
 * finds them by name in its own loaded image (main.cpp); their sizes are the sections'
 * VirtualSize. Paths and the text come from the build (efi/CMakeLists.txt).
 */
    .section .hv, "dr"
    .incbin ROOTSTOCK_EFI_HV
    .section .kernel, "dr"
    .incbin ROOTSTOCK_EFI_KERNEL
    .section .initrd, "dr"
    .incbin ROOTSTOCK_EFI_INITRD
    .section .cmdline, "dr"
    .incbin ROOTSTOCK_EFI_CMDLINE
