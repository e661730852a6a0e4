/*
 * The root partition's payload, embedded in rootstock.elf (DESIGN.md §1): the kernel
 * (bzImage), the initramfs and the default kernel command line. Built with the paths in
 * ROOTSTOCK_PAYLOAD_KERNEL / _INITRAMFS and the text in ROOTSTOCK_PAYLOAD_CMDLINE; hv.elf links
 * payload_none.S instead and has no payload. The loader places this in RAM with the rest of hv's
 * image; hv copies what it needs into the root's memory.
 */
.section .rodata.payload, "a"
.balign 4096
.global hv_payload_kernel_start, hv_payload_kernel_end
hv_payload_kernel_start:
.incbin ROOTSTOCK_PAYLOAD_KERNEL
hv_payload_kernel_end:
.balign 4096
.global hv_payload_initramfs_start, hv_payload_initramfs_end
hv_payload_initramfs_start:
.incbin ROOTSTOCK_PAYLOAD_INITRAMFS
hv_payload_initramfs_end:
.global hv_payload_cmdline
hv_payload_cmdline:
.asciz ROOTSTOCK_PAYLOAD_CMDLINE
