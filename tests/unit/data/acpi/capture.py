#!/usr/bin/env python3
"""Capture QEMU's ACPI tables into a fixture for tests/unit/test_acpi_*.cpp (format: README.md).

Usage: capture.py OUT.bin [qemu options...]
  e.g. capture.py q35_smp4_epyc.bin -machine q35 -smp 4 -m 512M -cpu EPYC

Boots QEMU (TCG, no kernel) under `timeout`, lets SeaBIOS build its tables, then follows the
RSDP through the RSDT/XSDT (and the FADT to the DSDT) with the monitor's pmemsave, and stores each
table, exactly as long as its header says, at its physical address. Stops the QEMU it started.
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

MAGIC = b"RSACPI01"


class Monitor:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self._until_prompt()

    def _until_prompt(self):
        buf = b""
        while not buf.endswith(b"(qemu) "):
            chunk = self.s.recv(65536)
            if not chunk:
                raise RuntimeError("monitor closed")
            buf += chunk
        return buf

    def cmd(self, line):
        self.s.sendall(line.encode() + b"\n")
        return self._until_prompt()


class Memory:
    def __init__(self, mon, tmp):
        self.mon = mon
        self.tmp = tmp
        self.n = 0

    def read(self, paddr, length):
        self.n += 1
        path = os.path.join(self.tmp, "r%d.bin" % self.n)
        # Quoted: HMP would read an unquoted "/..." as a division in the size expression.
        self.mon.cmd("pmemsave 0x%x 0x%x \"%s\"" % (paddr, length, path))
        with open(path, "rb") as f:
            data = f.read()
        if len(data) != length:
            raise RuntimeError("short pmemsave at 0x%x" % paddr)
        return data


def find_rsdp(low):
    """low holds 0xE0000..0xFFFFF; ACPI 6.5 5.2.5.1: 16-byte aligned, checksum over 20 bytes."""
    for off in range(0, len(low) - 20, 16):
        if low[off:off + 8] == b"RSD PTR " and sum(low[off:off + 20]) & 0xFF == 0:
            return 0xE0000 + off
    raise RuntimeError("no RSDP in 0xE0000-0xFFFFF")


def capture(mem):
    regions = {}
    rsdp_addr = find_rsdp(mem.read(0xE0000, 0x20000))
    rsdp = mem.read(rsdp_addr, 36)
    revision = rsdp[15]
    regions[rsdp_addr] = rsdp if revision >= 2 else rsdp[:20]

    def table(addr):
        if addr in regions or addr == 0:
            return regions.get(addr)
        length = struct.unpack_from("<I", mem.read(addr, 36), 4)[0]
        data = mem.read(addr, length)
        regions[addr] = data
        return data

    roots = [(struct.unpack_from("<I", rsdp, 16)[0], 4)]
    if revision >= 2:
        roots.append((struct.unpack_from("<Q", rsdp, 24)[0], 8))
    for addr, width in roots:
        root = table(addr)
        if root is None:
            continue
        for off in range(36, len(root), width):
            entry = table(struct.unpack_from("<I" if width == 4 else "<Q", root, off)[0])
            if entry[:4] == b"FACP":
                table(struct.unpack_from("<I", entry, 40)[0])  # DSDT
                if len(entry) >= 148:
                    table(struct.unpack_from("<Q", entry, 140)[0])  # X_DSDT
    return rsdp_addr, regions


def write_fixture(path, rsdp_addr, regions):
    with open(path, "wb") as f:
        f.write(MAGIC + struct.pack("<QI", rsdp_addr, len(regions)))
        for addr in sorted(regions):
            f.write(struct.pack("<QI", addr, len(regions[addr])) + regions[addr])


def main():
    out, qemu_args = sys.argv[1], sys.argv[2:]
    with tempfile.TemporaryDirectory() as tmp:
        sock = os.path.join(tmp, "mon.sock")
        proc = subprocess.Popen(["timeout", "60", "qemu-system-x86_64", "-accel", "tcg",
                                 "-display", "none", "-serial", "none", "-monitor",
                                 "unix:%s,server,nowait" % sock] + qemu_args)
        try:
            for _ in range(100):
                if os.path.exists(sock):
                    break
                time.sleep(0.1)
            time.sleep(3)  # SeaBIOS has built the tables long before it gives up booting
            mon = Monitor(sock)
            rsdp_addr, regions = capture(Memory(mon, tmp))
            mon.s.sendall(b"quit\n")
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()  # only the `timeout` we started; it takes its QEMU with it
                proc.wait()
    write_fixture(out, rsdp_addr, regions)
    for addr in sorted(regions):
        print("0x%08x %5d %s" % (addr, len(regions[addr]), regions[addr][:4]))
    print("rsdp 0x%x" % rsdp_addr)


if __name__ == "__main__":
    main()
