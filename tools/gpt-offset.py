#!/usr/bin/env python3
"""gpt-offset.py DISK NAME: prints the byte offset of the GPT partition named NAME on DISK (an
image file with 512-byte sectors), for mtools' IMAGE@@OFFSET. Reads the primary header and entry
array as UEFI 2.10 5.3 lays them out; exits 1 with a message when there is no such partition."""
import struct
import sys

SECTOR = 512


def main() -> int:
    disk, name = sys.argv[1], sys.argv[2]
    with open(disk, "rb") as f:
        f.seek(SECTOR)
        header = f.read(92)
        if header[:8] != b"EFI PART":
            print(f"gpt-offset: {disk} has no GPT", file=sys.stderr)
            return 1
        entries_lba, count, size = struct.unpack_from("<QII", header, 72)
        f.seek(entries_lba * SECTOR)
        table = f.read(count * size)
    for i in range(count):
        entry = table[i * size:(i + 1) * size]
        first = struct.unpack_from("<Q", entry, 32)[0]
        label = entry[56:128].decode("utf-16-le").rstrip("\0")
        if entry[:16] != bytes(16) and label == name:
            print(first * SECTOR)
            return 0
    print(f"gpt-offset: no partition named {name} on {disk}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
