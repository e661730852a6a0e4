/* hv.elf carries no root payload (see payload.S): empty ranges and an empty command line. */
.section .rodata.payload, "a"
.global hv_payload_kernel_start, hv_payload_kernel_end
.global hv_payload_initramfs_start, hv_payload_initramfs_end, hv_payload_cmdline
hv_payload_kernel_start:
hv_payload_kernel_end:
hv_payload_initramfs_start:
hv_payload_initramfs_end:
hv_payload_cmdline:
.byte 0
