# The example VM disks the root's initramfs carries (image/examples/disks/disk-check.json): 64 KiB
# of a known text, 1024 lines of 64 bytes, so that a child reading one can show what it read
# (its SHA-256) and the boot test (tests/boot) can know the answer. Defines
# ROOTSTOCK_EXAMPLE_DISK_TEXT and ROOTSTOCK_EXAMPLE_DISK_SHA256.
string(REPEAT "rootstock virtio-blk example disk: 64-byte lines, 1024 of them.\n" 1024
       ROOTSTOCK_EXAMPLE_DISK_TEXT)
string(SHA256 ROOTSTOCK_EXAMPLE_DISK_SHA256 "${ROOTSTOCK_EXAMPLE_DISK_TEXT}")
