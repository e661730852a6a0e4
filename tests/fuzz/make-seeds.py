#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora, tests/fuzz/corpus/<target>/: a handful of meaningful
inputs per target in the input format its fuzz_<target>.cpp describes. The ACPI seeds are the
QEMU captures of tests/unit/data/acpi as they are. The GPT seeds are tables write_gpt() wrote:
the program gpt_seeds (gpt_seeds.cpp) of a host build writes them; without its path they stay
as they are. Run it again after changing a format:

    tests/fuzz/make-seeds.py [HOST_BUILD/tests/fuzz/gpt_seeds]
"""
import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"


def u8(v): return struct.pack("<B", v & 0xff)
def u16(v): return struct.pack("<H", v & 0xffff)
def u32(v): return struct.pack("<I", v & 0xffffffff)
def u64(v): return struct.pack("<Q", v & 0xffffffffffffffff)


def put(buf, at, data):
    if len(buf) < at + len(data):
        buf.extend(b"\0" * (at + len(data) - len(buf)))
    buf[at:at + len(data)] = data


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(bytes(data))


# ---- x86_decoder: mode (0 16-bit, 1 32-bit, 2 64-bit), instruction, register state ----
def x86_decoder():
    state = bytes(range(1, 145))
    seeds = {
        "mov-load-64": (2, "8b 03"),                       # mov eax, [rbx]
        "mov-load-abs-64": (2, "48 8b 04 25 00 00 e0 fe"),  # mov rax, [0xfee00000]
        "mov-store-disp-64": (2, "89 4f 08"),              # mov [rdi+8], ecx
        "mov-store-imm-64": (2, "c7 80 b0 00 00 00 00 00 00 00"),  # mov dword [rax+0xb0], 0
        "movzx-64": (2, "0f b6 06"),                       # movzx eax, byte [rsi]
        "lock-or-64": (2, "f0 09 08"),                     # lock or [rax], ecx
        "moffs-32": (1, "a1 00 00 c0 fe"),                 # mov eax, [0xfec00000]
        "mov-word-32": (1, "66 89 02"),                    # mov [edx], ax
        "test-imm-32": (1, "f7 05 00 00 c0 fe 01 00 00 00"),  # test dword [..], 1
        "mov-byte-16": (0, "8a 07"),                       # mov al, [bx]
        "addr32-16": (0, "67 66 8b 03"),                   # mov eax, [ebx]
        "xchg-ah-16": (0, "86 27"),                        # xchg [bx], ah
    }
    for name, (mode, hexbytes) in seeds.items():
        code = bytes.fromhex(hexbytes)
        write("x86_decoder", name, u8(mode) + code + b"\x90" * (16 - len(code)) + state)


# ---- vmm_exit: the run page's first bytes (hypercall_abi.h, struct rs_run_page) ----
EXIT, CPU_MODE, INSN_LEN, GPR, RIP, RFLAGS, EXIT_DATA = 0x4, 0x18, 0x1a, 0x40, 0xc0, 0xc8, 0x140


def run_page(reason, mode=4, length=0):
    p = bytearray(EXIT_DATA)
    put(p, EXIT, u32(reason))
    put(p, CPU_MODE, u8(mode))
    put(p, INSN_LEN, u8(length))
    for i in range(16):
        put(p, GPR + 8 * i, u64(0x1111111111111111 * (i % 15 + 1)))
    put(p, RIP, u64(0xffffffff81000000))
    put(p, RFLAGS, u64(0x202))
    return p


def memory_exit(mode, access, code, gpa=0xfee000b0):
    p = run_page(2, mode)
    code = bytes.fromhex(code)
    put(p, EXIT_DATA, u64(gpa) + u8(access) + u8(0) + u8(len(code)) + b"\0" * 5 + code)
    return p


def vmm_exit():
    out = run_page(1, length=1)
    put(out, EXIT_DATA, u16(0x3f8) + u8(1) + u8(0) + u32(0) + u64(ord("A")))
    write("vmm_exit", "io-out-com1", out)
    inw = run_page(1, length=2)
    put(inw, EXIT_DATA, u16(0x608) + u8(4) + u8(1) + u32(0) + u64(0))
    write("vmm_exit", "io-in-pmtimer", inw + b"\x12\x34\x56\x78\x9a\xbc\xde\xf0")
    write("vmm_exit", "mmio-load-64", memory_exit(4, 1, "8b 03") + b"\x00\x01\x02\x03")
    write("vmm_exit", "mmio-store-imm-64", memory_exit(4, 2, "c7 80 b0 00 00 00 00 00 00 00"))
    write("vmm_exit", "mmio-rmw-lock-or", memory_exit(4, 1, "f0 09 08") + b"\xff" * 8)
    write("vmm_exit", "mmio-store-16", memory_exit(1, 2, "88 07", 0xb8000))
    write("vmm_exit", "mmio-load-32-truncated", memory_exit(3, 1, "a1 00 00"))
    write("vmm_exit", "halt", run_page(3))
    hw = run_page(6)
    put(hw, EXIT_DATA, u32(1) + u32(0) + u64(0x7b) + u64(0x1f8) + u64(0))
    write("vmm_exit", "unsupported-svm", hw)


# ---- vmm_loader: flags (bit 0 PVH, bits 2:1 RAM 2 << n MiB, bit 3 RSDP), cmdline length,
# initramfs length / 16, then kernel, initramfs, cmdline ----
def loader_input(flags, kernel, initramfs=b"", cmdline=b""):
    assert len(initramfs) % 16 == 0
    return u8(flags) + u8(len(cmdline)) + u16(len(initramfs) // 16) + kernel + initramfs + cmdline


def bzimage(pref=0x100000, alignment=0x100000):
    setup_sects = 1
    image = bytearray((setup_sects + 1) * 512)
    kernel = bytes((i * 7) & 0xff for i in range(0x400))
    put(image, 0x1f1, u8(setup_sects))
    put(image, 0x1f4, u32(len(kernel) // 16))  # syssize
    put(image, 0x1fe, u16(0xaa55))
    put(image, 0x200, b"\xeb\x6a")  # jump: the header ends at 0x202 + 0x6a
    put(image, 0x202, b"HdrS")
    put(image, 0x206, u16(0x020f))  # protocol 2.15
    put(image, 0x211, u8(0x01))  # LOADED_HIGH
    put(image, 0x22c, u32(0x7fffffff))  # initrd_addr_max
    put(image, 0x230, u32(alignment))
    put(image, 0x234, u8(1))  # relocatable
    put(image, 0x236, u16(0x1))  # XLF_KERNEL_64
    put(image, 0x238, u32(2047))  # cmdline_size
    put(image, 0x248, u32(0x300) + u32(0x80))  # payload_offset, payload_length
    put(image, 0x258, u64(pref))
    put(image, 0x260, u32(0x80000))  # init_size
    return bytes(image) + kernel


def elf_note(name, kind, desc):
    n = u32(len(name) + 1) + u32(len(desc)) + u32(kind) + name + b"\0"
    n += b"\0" * (-len(n) % 4) + desc
    return n + b"\0" * (-len(n) % 4)


def pvh_elf(is64=True, entry=0x100040):
    notes = elf_note(b"GNU", 3, bytes(20)) + elf_note(b"Xen", 18, u32(entry))
    segs = [(4, 0, notes, 0, 4), (1, 0x100000, bytes((i * 5) & 0xff for i in range(0x200)), 0x1000, 0x1000)]
    ehsize, phsize = (64, 56) if is64 else (52, 32)
    body = bytearray(ehsize + len(segs) * phsize)
    put(body, 0, b"\x7fELF" + u8(2 if is64 else 1) + u8(1) + u8(1))
    put(body, 16, u16(2) + u16(62 if is64 else 3) + u32(1))
    w = u64 if is64 else u32
    put(body, 24, w(0x100000) + w(ehsize))
    tail = 24 + 3 * (8 if is64 else 4) + 4
    put(body, tail, u16(ehsize) + u16(phsize) + u16(len(segs)))
    for i, (kind, paddr, data, memsz, align) in enumerate(segs):
        offset = (len(body) + 15) & ~15
        body.extend(b"\0" * (offset - len(body)))
        body.extend(data)
        p = ehsize + i * phsize
        memsz = memsz or len(data)
        if is64:
            put(body, p, u32(kind) + u32(5) + u64(offset) + u64(paddr) + u64(paddr) +
                u64(len(data)) + u64(memsz) + u64(align))
        else:
            put(body, p, u32(kind) + u32(offset) + u32(paddr) + u32(paddr) + u32(len(data)) +
                u32(memsz) + u32(5) + u32(align))
    return bytes(body)


def vmm_loader():
    write("vmm_loader", "bzimage-4m", loader_input(0b0010, bzimage(), bytes(64), b"console=ttyS0"))
    write("vmm_loader", "bzimage-16m-rsdp", loader_input(0b1110, bzimage(0x200000, 0x1000)))
    write("vmm_loader", "bzimage-2m-noroom", loader_input(0b0000, bzimage(0x1000000), b"", b"quiet"))
    write("vmm_loader", "pvh-elf64", loader_input(0b0011, pvh_elf(), bytes(32), b"console=ttyS0"))
    write("vmm_loader", "pvh-elf32-rsdp", loader_input(0b1101, pvh_elf(False)))
    write("vmm_loader", "pvh-entry-outside", loader_input(0b0011, pvh_elf(True, 0x300000)))


# ---- acpi: the QEMU captures, and one without an RSDP address (the BIOS-area search) ----
def acpi():
    for f in sorted((HERE / "../unit/data/acpi").glob("*.bin")):
        data = f.read_bytes()
        write("acpi", f.stem, data)
    first = sorted((HERE / "../unit/data/acpi").glob("*.bin"))[0].read_bytes()
    write("acpi", "search-bios-area", first[:8] + u64(0) + first[16:])


# ---- boot_info: byte 0 (bit 0: PVH), then the structure at 0x10000 ----
BASE = 0x10000


def mb2_tag(kind, body):
    t = u32(kind) + u32(8 + len(body)) + body
    return t + b"\0" * (-len(t) % 8)


def mb2(tags):
    body = b"".join(tags) + mb2_tag(0, b"")
    return u32(8 + len(body)) + u32(0) + body


def mmap_body(entries):
    return u32(24) + u32(0) + b"".join(u64(b) + u64(l) + u32(t) + u32(0) for b, l, t in entries)


E820 = [(0, 0x9fc00, 1), (0x9fc00, 0x400, 2), (0xf0000, 0x10000, 2), (0x100000, 0x1ff00000, 1)]


def rsdp_v0():
    r = bytearray(b"RSD PTR " + b"\0" + b"BOCHS " + u8(0) + u32(0x1ffe0000))
    r[8] = (-sum(r)) & 0xff
    return bytes(r)


def pvh_info():
    cmdline = b"console=ttyS0 hv.reserve=64M\0"
    modcmd = b"root kernel\0"
    info_size = 56
    cmd_at = BASE + info_size
    mod_at = cmd_at + 32
    modcmd_at = mod_at + 32
    memmap_at = modcmd_at + 16
    info = (u32(0x336ec578) + u32(1) + u32(0) + u32(1) + u64(mod_at) + u64(cmd_at) +
            u64(0xf5a40) + u64(memmap_at) + u32(len(E820)) + u32(0))
    blob = bytearray(info)
    put(blob, cmd_at - BASE, cmdline)
    put(blob, mod_at - BASE, u64(0x2000000) + u64(0x800000) + u64(modcmd_at) + u64(0))
    put(blob, modcmd_at - BASE, modcmd)
    put(blob, memmap_at - BASE, b"".join(u64(b) + u64(l) + u32(t) + u32(0) for b, l, t in E820))
    return bytes(blob)


def boot_info():
    write("boot_info", "mb2-grub", u8(0) + mb2([
        mb2_tag(1, b"console=ttyS0 hv.reserve=64M\0"),
        mb2_tag(2, b"GRUB 2.06\0"),
        mb2_tag(3, u32(0x2000000) + u32(0x2800000) + b"root kernel\0"),
        mb2_tag(4, u32(639) + u32(523264)),
        mb2_tag(6, mmap_body(E820)),
        mb2_tag(14, rsdp_v0()),
    ]))
    write("boot_info", "mb2-mmap-only", u8(0) + mb2([mb2_tag(6, mmap_body(E820[:1]))]))
    write("boot_info", "mb2-overlap", u8(0) + mb2([
        mb2_tag(6, mmap_body([(0, 0x100000, 1), (0x80000, 0x100000, 2)]))]))
    write("boot_info", "pvh-qemu", u8(1) + pvh_info())
    v0 = bytearray(pvh_info())
    put(v0, 4, u32(0))
    write("boot_info", "pvh-version0", u8(1) + v0)


# ---- hypercalls: calls as fuzz_hypercalls.cpp reads them ----
(GET_VERSION, CHECK_INV, CREATE, DESTROY, QUERY, MAP, UNMAP, DEPOSIT, WITHDRAW, VP_CREATE,
 VP_DESTROY, VP_RUN, GET_REGS, SET_REGS, INJECT, INTERRUPT) = range(16)


def small(n): return u8(n)              # 0x00-0x3f
def pool(i): return u8(0x40 + i)        # a root frame of the pool
def gpa(page): return u8(0x80 + page)   # page * 4 KiB
def raw(v): return u8(0xff) + u64(v)


def hc(call, args=(), words=(), bits=0, reps=0, start=0):
    args = list(args) + [small(0)] * (4 - len(args))
    return u8(call) + u8(bits) + u8(reps) + u8(start) + b"".join(args) + u8(len(words)) + \
        b"".join(words)


def hc_code(code, args=()):
    """A call by its raw 16-bit code (pick 0xf0)."""
    return u8(0xf0) + u16(code) + hc(0, args)[1:]


def deposit(frames, input_frame=60, partition=1):
    return hc(DEPOSIT, [pool(input_frame)], [small(partition), small(0)] + [pool(f) for f in frames],
              reps=len(frames))


def map_pages(frames, input_frame=61, base_page=0, flags=3, partition=1):
    return hc(MAP, [pool(input_frame)],
              [small(partition), gpa(base_page), small(flags), small(0)] + [pool(f) for f in frames],
              reps=len(frames))


def hypercalls():
    life = (hc(GET_VERSION) + hc(CREATE) + deposit(range(0, 6)) + map_pages(range(8, 16)) +
            hc(QUERY, [small(1)]) + hc(CHECK_INV, [small(0), pool(62)]) +
            hc(UNMAP, [small(1), gpa(0), small(0)], reps=4) + hc(DESTROY, [small(1)]))
    write("hypercalls", "partition-life", life)
    vp = (hc(CREATE) + deposit(range(0, 6)) + hc(VP_CREATE, [small(1), small(0), pool(20)]) +
          hc(SET_REGS, [pool(60)], [small(1), small(0), raw(0x10), raw(0x1000), small(0)], reps=1) +
          hc(GET_REGS, [pool(60), pool(62)], [small(1), small(0), raw(0x11 << 32 | 0x10)], reps=2) +
          hc(VP_RUN, [small(1), small(0)], bits=0b0100) +
          hc(VP_RUN, [small(1), small(0)], bits=0b1000) +
          hc(INJECT, [small(1), small(0), raw(0x80000030)]) +
          hc(INTERRUPT, [small(1), small(1), small(4)]) +
          hc(VP_DESTROY, [small(1), small(0)]) + hc(DESTROY, [small(1)]))
    write("hypercalls", "vp-life", vp)
    write("hypercalls", "withdraw", hc(CREATE) + deposit(range(0, 4)) +
          hc(WITHDRAW, [pool(60), pool(62)], [small(1), small(0)], reps=4))
    write("hypercalls", "refused", hc(CREATE) + deposit([0, 0]) + map_pages([1, 1]) +
          hc(DEPOSIT, [raw(3 << 19)], reps=1) + hc(MAP, [pool(1)], bits=1, reps=1) +
          hc(VP_CREATE, [small(1), small(63), pool(0)]) + hc_code(0x7777))
    write("hypercalls", "two-partitions", hc(CREATE) + hc(CREATE) + deposit(range(0, 4)) +
          deposit(range(4, 8), partition=2) + map_pages(range(10, 12)) +
          map_pages(range(12, 14), input_frame=59, partition=2) +
          map_pages(range(10, 12), partition=2) + hc(DESTROY, [small(2)]))


# ---- apic: ratio byte, then operations (opcode % 16 and operands, fuzz_apic.cpp) ----
def lapic_write(offset, value): return u8(0) + u16(offset) + u32(value)
def tick(delta, shift=0): return u8(5) + u16(delta) + u8(shift)
def ioapic_reg(index, value): return u8(13) + u8(index) + u32(value)


def apic():
    enable = lapic_write(0xf0, 0x1ff)
    take = u8(7)
    eoi = u8(8)
    write("apic", "timer-periodic", u8(0) + enable + lapic_write(0x3e0, 0xb) +
          lapic_write(0x320, 0x20030) + lapic_write(0x380, 100) + tick(50) + tick(200) + take +
          u8(1) + u16(0x390) + u8(2) + eoi + tick(0xffff, 10) + take + eoi)
    write("apic", "timer-oneshot-div", u8(3) + enable + lapic_write(0x3e0, 0x3) +
          lapic_write(0x320, 0x31) + lapic_write(0x380, 7) + tick(1000) + take + eoi)
    write("apic", "x2apic-tsc-deadline", u8(0) + u8(4) + u8(0x06) + u8(4) + u8(0x07) +
          u8(2) + u8(0x0f) + u64(0x1ff) + u8(2) + u8(0x32) + u64(0x40041) +
          u8(2) + u8(0xff) + u64(5000) + tick(4000) + tick(2000) + take + u8(2) + u8(0x0b) +
          u64(0))
    write("apic", "ioapic-level", u8(0) + enable + ioapic_reg(0x18, 0x8035) +
          ioapic_reg(0x19, 0) + u8(12) + u8(0x44) + take + u8(8) + u8(12) + u8(0x04) +
          u8(11) + u8(0x10) + u8(2))
    write("apic", "ipi-self-and-illegal", u8(0) + enable + lapic_write(0x310, 0) +
          lapic_write(0x300, 0x40040) + u8(6) + u8(5) + u8(0) + u8(6) + u8(0x41) + u8(1) +
          lapic_write(0x80, 0x50) + take + eoi + u8(15) + u8(0xfd))


# ---- port_devices: the wall clock, then operations (opcode % 6, fuzz_port_devices.cpp) ----
COM1, PIT, PORTB, CMOS, RESET, PM_EVT, PM_CNT, PM_TMR = range(8)


def port(base, offset=0): return u8(base | offset << 3)
def out(base, offset, value, size=0): return u8(0) + port(base, offset) + u8(size) + u32(value)
def inp(base, offset, size=0): return u8(1) + port(base, offset) + u8(size)
def clock(delta, shift=0): return u8(2) + u16(delta) + u8(shift)


def port_devices():
    uart = (out(COM1, 3, 0x80) + out(COM1, 0, 1) + out(COM1, 1, 0) + out(COM1, 3, 0x03) +
            out(COM1, 2, 0xc7) + out(COM1, 4, 0x0b) + out(COM1, 1, 0x0f) + out(COM1, 0, 0x41) +
            inp(COM1, 2) + inp(COM1, 5) + u8(3) + u8(4) + b"ls\r\n" + inp(COM1, 0) + inp(COM1, 6))
    write("port_devices", "uart-8250-probe", u64(1_700_000_000) + uart)
    pit = (out(PIT, 3, 0x34) + out(PIT, 0, 0x9c) + out(PIT, 0, 0x2e) + clock(0xffff, 4) +
           clock(0xffff, 8) + out(PIT, 3, 0x00) + inp(PIT, 0) + inp(PIT, 0) +
           out(PORTB, 0, 1) + out(PIT, 3, 0xb0) + out(PIT, 2, 0xff) + out(PIT, 2, 0xff) +
           clock(0x1000, 4) + inp(PORTB, 0) + out(PIT, 3, 0xe2) + inp(PIT, 2))
    write("port_devices", "pit-calibrate", u64(0) + pit)
    rtc = b"".join(out(CMOS, 0, r) + inp(CMOS, 1) for r in (0x0a, 0x0b, 0x00, 0x02, 0x04, 0x07,
                                                          0x08, 0x09, 0x32))
    write("port_devices", "cmos-time", u64(1_735_689_599) + rtc + out(CMOS, 0, 0x0b) +
          out(CMOS, 1, 0x06) + out(CMOS, 0, 0x04) + inp(CMOS, 1))
    pm = (out(PM_EVT, 2, 0x0121, 1) + inp(PM_TMR, 0, 2) + clock(0xffff, 12) + inp(PM_EVT, 0, 1) +
          out(PM_EVT, 0, 0x0001, 1) + u8(4) + inp(PM_EVT, 0, 1) + out(PM_EVT, 0, 0x0100, 1) +
          out(PM_CNT, 0, 0x3c01, 1))
    write("port_devices", "acpi-pm-timer-poweroff", u64(0) + pm)
    write("port_devices", "reset", u64(0) + out(RESET, 0, 0x02) + inp(RESET, 0) +
          out(RESET, 0, 0x06))


# ---- gpt: gpt_input.hpp's format, written by the C++ program gpt_seeds ----
def gpt(program):
    d = CORPUS / "gpt"
    d.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(program), str(d)], check=True, stdout=subprocess.DEVNULL)


# ---- appliance_config: the file's text ----
TOKEN = "xkgS0Z8Lh1d3h-4uXx0sQbqvVJ7lMZfQ0ZfOeQv6b3o"


def appliance_config():
    def config(name, value):
        write("appliance_config", name, json.dumps(value, indent=2, ensure_ascii=False).encode())

    example = HERE / "../../image/config/rootstock.example.json"
    write("appliance_config", "example", example.read_bytes())
    write("appliance_config", "empty", b"{}")
    config("dhcp-api", {"api": {"token": TOKEN}})
    config("static-ipv6", {
        "hostname": "r1",
        "network": {"mode": "static", "interface": "eth0", "address": "2001:db8::10/64",
                    "gateway": "fe80::1", "dns": ["2001:db8::53", "192.0.2.53", "2001:db8::54"]},
        "api": {"token": TOKEN + "+/==", "listen": "[::]:65535"},
        "stop_timeout_s": 0})
    config("vm-every-key", {"stop_timeout_s": 3600, "vms": {"web_1": {
        "name": "web server", "autostart": True, "on-reset": "restart",
        "console": {"appliance_console": False, "ring_kib": 256, "log_path": "/data/web.log"},
        "boot-source": {"kernel_image_path": "/data/vmlinux", "initrd_path": "/data/initrd",
                        "boot_args": "console=ttyS0 reboot=k panic=1"},
        "machine-config": {"vcpu_count": 4, "mem_size_mib": 1024, "smt": True,
                           "track_dirty_pages": True, "huge_pages": "None"},
        "drives": [{"drive_id": "rootfs", "path_on_host": "/data/root.ext4",
                    "is_root_device": True, "is_read_only": False, "partuuid": "0eaa91a0-01",
                    "cache_type": "Writeback", "io_engine": "Async"},
                   {"drive_id": "scratch", "path_on_host": "/data/scratch.img",
                    "is_root_device": False, "is_read_only": True}],
        "network-interfaces": [{"iface_id": "eth0", "host_dev_name": "tap0",
                                "guest_mac": "02:FC:00:00:00:05", "mtu": 9000}],
        "vsock": {"guest_cid": 52, "uds_path": "/run/web.vsock", "vsock_id": "vsock0"}}}})
    config("nulls", {"hostname": None, "network": {"mode": "dhcp", "interface": None},
                     "api": {"token": TOKEN, "listen": None}, "vms": None})
    # Refused: keys that do not go with the mode, a short token, an unknown key in a VM.
    config("refused-dhcp-dns", {"network": {"mode": "dhcp", "dns": ["192.0.2.53"]}})
    config("refused-token", {"api": {"token": "short", "listen": "0.0.0.0:0"}})
    config("refused-vm-key", {"vms": {"a": {"boot-source": {"kernel_image_path": "/k"},
                                            "balloon": {}}}})


# ---- dhcp_message: flags (bit 0: expect the datagram's own xid and chaddr), the datagram ----
MAC = bytes.fromhex("525400123456")


def dhcp_reply(options, yiaddr=(10, 0, 2, 15), sname=b"", file=b"", cookie=b"\x63\x82\x53\x63",
               end=True):
    h = bytearray(236)
    put(h, 0, u8(2) + u8(1) + u8(6) + u8(0))      # BOOTREPLY, Ethernet
    put(h, 4, struct.pack(">I", 0x1d2c3b4a))        # xid
    put(h, 16, bytes(yiaddr) + bytes((10, 0, 2, 2)))  # yiaddr, siaddr
    put(h, 28, MAC)
    put(h, 44, sname)
    put(h, 108, file)
    body = bytes(h) + cookie + b"".join(u8(c) + u8(len(v)) + v for c, v in options)
    return body + b"\xff" + b"\0" * max(0, 300 - len(body) - 1) if end else body


def ip4(*a): return bytes(a)
def be32(v): return struct.pack(">I", v)


QEMU = [(54, ip4(10, 0, 2, 2)), (1, ip4(255, 255, 255, 0)), (3, ip4(10, 0, 2, 2)),
        (6, ip4(10, 0, 2, 3)), (51, be32(86400))]


def dhcp_message():
    def seed(name, datagram, flags=1):
        write("dhcp_message", name, u8(flags) + datagram)

    seed("qemu-offer", dhcp_reply([(53, b"\x02")] + QEMU))
    seed("qemu-ack", dhcp_reply([(53, b"\x05")] + QEMU))
    seed("nak-message", dhcp_reply([(53, b"\x06"), (54, ip4(10, 0, 2, 2)),
                                    (56, b"requested address not available")], yiaddr=(0, 0, 0, 0)))
    # T1 and T2, routers and DNS servers split over two instances (RFC 3396), a host name.
    seed("ack-timers-split", dhcp_reply([(53, b"\x05"), (54, ip4(192, 0, 2, 1)),
                                         (1, ip4(255, 255, 254, 0)), (3, ip4(192, 0, 2, 1)),
                                         (6, ip4(192, 0, 2, 53, 192, 0, 2, 54)), (58, be32(300)),
                                         (59, be32(525)), (6, ip4(1, 1, 1, 1, 8, 8, 8, 8)),
                                         (12, b"rootstock"), (51, be32(600))],
                                        yiaddr=(192, 0, 2, 77)))
    # Option 52: the mask and router in 'file', the DNS servers in 'sname'.
    seed("overload-both", dhcp_reply([(53, b"\x02"), (54, ip4(10, 0, 2, 2)), (51, be32(60)),
                                      (52, b"\x03")],
                                     file=b"\x01\x04\xff\xff\x00\x00\x03\x04\x0a\x00\x02\x09\xff",
                                     sname=b"\x06\x04\x0a\x00\x02\x03\x00\x06\x04\x0a\x00\x02\x04"))
    seed("infinite-classful", dhcp_reply([(53, b"\x05"), (54, ip4(172, 16, 0, 1)),
                                          (51, be32(0xffffffff))], yiaddr=(172, 16, 5, 5)))
    seed("no-end", dhcp_reply([(53, b"\x02")] + QEMU, end=False))
    # Refused: a mask with a hole, a BOOTP reply (no cookie), another transaction.
    seed("refused-mask", dhcp_reply([(53, b"\x02"), (54, ip4(10, 0, 2, 2)),
                                     (1, ip4(255, 0, 255, 0)), (51, be32(60))]))
    seed("refused-bootp", dhcp_reply([], cookie=b"\0\0\0\0"))
    seed("refused-xid", dhcp_reply([(53, b"\x02")] + QEMU), flags=0)


# ---- vsock_device: flags, the receive buffers, then the child's packets (split, length, bytes) ----
VS_REQUEST, VS_RESPONSE, VS_RST, VS_SHUTDOWN, VS_RW, VS_CREDIT_UPDATE, VS_CREDIT_REQUEST = range(1, 8)
VS_INDIRECT, VS_EVENT_IDX, VS_HOST_CONNECTS, VS_HOST_WRITES, VS_HOST_CLOSES = 1, 2, 4, 8, 16
VS_FIRST_HOST_PORT = 1 << 30


def vsock_header(op, src_port, dst_port, length=0, src_cid=3, dst_cid=2, kind=1, flags=0,
                 buf_alloc=65536, fwd_cnt=0):
    return (u64(src_cid) + u64(dst_cid) + u32(src_port) + u32(dst_port) + u32(length) + u16(kind) +
            u16(op) + u32(flags) + u32(buf_alloc) + u32(fwd_cnt))


def vsock_packet(header, payload=b"", split=0):
    return u8(split) + u16(len(header) + len(payload)) + header + payload


def vsock_input(flags, rx_count, rx_class, packets):
    return u8(flags) + u8(rx_count | rx_class << 4) + b"".join(packets)


def vsock_device():
    seeds = {
        # The child connects to the host's port 1234, sends, the host answers and closes.
        "child-connects": vsock_input(VS_HOST_WRITES | VS_HOST_CLOSES | VS_EVENT_IDX, 8, 4, [
            vsock_packet(vsock_header(VS_REQUEST, 5000, 1234)),
            vsock_packet(vsock_header(VS_RW, 5000, 1234, 4), b"ping", split=44)]),
        # The host sends CONNECT 52; the child accepts, both write.
        "host-connects": vsock_input(VS_HOST_CONNECTS | VS_HOST_WRITES, 8, 2, [
            vsock_packet(vsock_header(VS_RESPONSE, 52, VS_FIRST_HOST_PORT)),
            vsock_packet(vsock_header(VS_RW, 52, VS_FIRST_HOST_PORT, 5), b"hello")]),
        # A connect nobody takes, and packets for no connection: RSTs.
        "refused": vsock_input(0, 4, 0, [
            vsock_packet(vsock_header(VS_REQUEST, 5000, 999)),
            vsock_packet(vsock_header(VS_RW, 5001, 999, 1), b"x"),
            vsock_packet(vsock_header(VS_RST, 5002, 999))]),
        # Hostile: a spoofed source, another destination, SEQPACKET, a len past the chain, an
        # unknown op, a writable buffer, a short header.
        "hostile": vsock_input(VS_INDIRECT, 8, 1, [
            vsock_packet(vsock_header(VS_REQUEST, 1, 1234, src_cid=7)),
            vsock_packet(vsock_header(VS_REQUEST, 1, 1234, dst_cid=5)),
            vsock_packet(vsock_header(VS_REQUEST, 2, 1234, kind=2)),
            vsock_packet(vsock_header(VS_RW, 3, 1234, 1000), b"short"),
            vsock_packet(vsock_header(99, 4, 1234)),
            vsock_packet(vsock_header(VS_REQUEST, 5, 1234), split=0xff),
            vsock_packet(vsock_header(VS_REQUEST, 6, 1234)[:30])]),
        # Connected, then shut down both ways: the host owes the RST.
        "shutdown": vsock_input(VS_HOST_WRITES, 6, 3, [
            vsock_packet(vsock_header(VS_REQUEST, 7000, 1234)),
            vsock_packet(vsock_header(VS_SHUTDOWN, 7000, 1234, flags=2)),
            vsock_packet(vsock_header(VS_SHUTDOWN, 7000, 1234, flags=1)),
            vsock_packet(vsock_header(VS_RW, 7000, 1234, 2), b"no")]),
        # Two bytes of credit: the host's data waits for a credit update.
        "credit": vsock_input(VS_HOST_WRITES, 8, 0, [
            vsock_packet(vsock_header(VS_REQUEST, 8000, 1234, buf_alloc=2)),
            vsock_packet(vsock_header(VS_CREDIT_REQUEST, 8000, 1234, buf_alloc=2)),
            vsock_packet(vsock_header(VS_CREDIT_UPDATE, 8000, 1234, buf_alloc=64, fwd_cnt=2))]),
        # No receive buffers, and buffers too short for a header.
        "no-buffers": vsock_input(VS_HOST_CONNECTS, 0, 0, [
            vsock_packet(vsock_header(VS_REQUEST, 9000, 1234))]),
        "short-buffers": vsock_input(VS_HOST_CONNECTS, 4, 15, [
            vsock_packet(vsock_header(VS_REQUEST, 9001, 1234))]),
    }
    for name, data in seeds.items():
        write("vsock_device", name, data)


# ---- virtqueue: config byte, the three parts as int32 offsets from the RAM's base, the steps'
# length, the steps (fuzz_virtqueue.cpp), then the RAM's first bytes ----
VQ_NEXT, VQ_WRITE, VQ_INDIRECT = 1, 2, 4
VQ_RAM = 0x10000000  # the RAM's guest-physical base (kRamBase)
VQ_POP, VQ_RETURN, VQ_ADD_USED, VQ_PUBLISH, VQ_DISABLE, VQ_ENABLE, VQ_WRITE16, VQ_OFFER = range(8)


def s32(v): return struct.pack("<i", v)


class Virtqueue:
    """A queue of 2**log2 entries laid out in RAM from `at` on: the table, the available ring,
    the used ring; buffers and indirect tables go where the seeds put them. Every place is an
    offset into the RAM; a descriptor's address becomes guest-physical here."""

    def __init__(self, log2, event_idx=False, indirect=False, ram=0, at=0, avail=None, used=None):
        self.size = 1 << log2
        self.config = log2 | event_idx << 4 | indirect << 5 | ram << 6
        self.desc_at = at
        self.avail_at = avail if avail is not None else at + 16 * self.size
        end = self.avail_at + 6 + 2 * self.size
        self.used_at = used if used is not None else (end + 3) & ~3
        self.ram = bytearray()
        self.idx = 0

    def desc(self, i, addr, length, flags=0, nxt=0, table=None):
        at = self.desc_at if table is None else table
        put(self.ram, at + 16 * i, u64(VQ_RAM + addr) + u32(length) + u16(flags) + u16(nxt))

    def offer(self, *heads):
        for h in heads:
            put(self.ram, self.avail_at + 4 + 2 * (self.idx % self.size), u16(h))
            self.idx += 1
        put(self.ram, self.avail_at + 2, u16(self.idx))

    def used_event(self, v): put(self.ram, self.avail_at + 4 + 2 * self.size, u16(v))
    def avail_flags(self, v): put(self.ram, self.avail_at, u16(v))

    def input(self, steps):
        return (u8(self.config) + s32(self.desc_at) + s32(self.avail_at) + s32(self.used_at) +
                u16(len(steps)) + steps + bytes(self.ram))


def vq_return(n): return u8(VQ_RETURN) + u32(n)
def vq_add_used(n): return u8(VQ_ADD_USED) + u32(n)
def vq_offer(n): return u8(VQ_OFFER) + u8(n)
def vq_write16(part, offset, value): return u8(VQ_WRITE16) + u8(part) + u16(offset) + u16(value)


POP, PUBLISH, DISABLE, ENABLE = u8(VQ_POP), u8(VQ_PUBLISH), u8(VQ_DISABLE), u8(VQ_ENABLE)


def virtqueue():
    data = 0x1000
    # A virtio-blk read: header, 512 bytes of data, status; returned with 513 bytes written.
    q = Virtqueue(3, event_idx=True, indirect=True)
    q.desc(0, data, 16, VQ_NEXT, 5)
    q.desc(5, data + 0x200, 512, VQ_WRITE | VQ_NEXT, 2)
    q.desc(2, data + 0x400, 1, VQ_WRITE)
    q.offer(0)
    write("virtqueue", "blk-read", q.input(POP + vq_return(513) + POP))
    # A readable buffer, then an indirect table of three: readable, writable, writable.
    q = Virtqueue(4, indirect=True)
    q.desc(1, data, 8, VQ_NEXT, 9)
    q.desc(9, 0x800, 3 * 16, VQ_INDIRECT)
    q.desc(0, data + 0x10, 32, VQ_NEXT, 2, table=0x800)
    q.desc(2, data + 0x100, 64, VQ_WRITE | VQ_NEXT, 1, table=0x800)
    q.desc(1, data + 0x200, 64, VQ_WRITE, table=0x800)
    q.offer(1)
    write("virtqueue", "indirect", q.input(POP + vq_return(100)))
    # EVENT_IDX: three chains returned as one batch past used_event, then quiet and awake again.
    q = Virtqueue(2, event_idx=True)
    for i in range(4):
        q.desc(i, data + 0x100 * i, 0x100, VQ_WRITE)
    q.offer(0, 1, 2)
    q.used_event(1)
    write("virtqueue", "event-idx-batch", q.input(
        POP + POP + POP + vq_add_used(0x100) + vq_add_used(0x80) + vq_add_used(0) + PUBLISH +
        DISABLE + vq_offer(1) + POP + vq_return(1) + ENABLE + POP))
    # Without EVENT_IDX: the driver asks for no interrupts, the device for no notifications.
    q = Virtqueue(1)
    q.desc(0, data, 64)
    q.desc(1, data + 0x40, 64, VQ_WRITE)
    q.avail_flags(1)
    q.offer(0, 1)
    write("virtqueue", "no-interrupt", q.input(
        DISABLE + POP + vq_return(0) + POP + vq_return(64) + ENABLE + vq_offer(1) + POP))
    # Refused chains, each returned with nothing written, between good ones: a loop, a next
    # past the table, a readable after a writable, a buffer past RAM's end, nested indirect.
    q = Virtqueue(3, indirect=True)
    q.desc(0, data, 16, VQ_NEXT, 1)
    q.desc(1, data, 16, VQ_NEXT, 0)
    q.desc(2, data, 16, VQ_NEXT, 8)
    q.desc(3, data, 16, VQ_WRITE | VQ_NEXT, 4)
    q.desc(4, data, 16)
    q.desc(5, 0x3ff0, 0x20, VQ_WRITE)
    q.desc(6, 0x800, 16, VQ_INDIRECT)
    q.desc(0, 0x900, 16, VQ_INDIRECT, table=0x800)
    q.desc(7, data, 4, VQ_WRITE)
    q.offer(0, 7, 2, 3, 5, 6, 7)
    write("virtqueue", "malformed", q.input(POP * 8))
    # The driver moves avail->idx past the queue size: the queue breaks and stays broken.
    q = Virtqueue(2)
    q.desc(0, data, 4, VQ_WRITE)
    q.offer(0)
    write("virtqueue", "avail-jump", q.input(
        POP + vq_return(4) + vq_write16(1, 2, 9) + POP + vq_return(0) + PUBLISH + ENABLE))
    # The largest queue in 1 MiB of RAM; the available ring first and the table over it, whose
    # entries past the first are never read.
    q = Virtqueue(15, event_idx=True, ram=3, at=0x10, avail=0, used=0x80000)
    q.desc(0, data, 0x1000, VQ_WRITE)
    q.offer(0)
    write("virtqueue", "size-32768", q.input(POP + vq_return(0x1000) + vq_offer(200) + POP))


# ---- block_request: the disk and limits, the buffers (flags, offset, length), then the data
# area's bytes (fuzz_block_request.cpp) ----
BLK_IN, BLK_OUT, BLK_FLUSH, BLK_GET_ID, BLK_DISCARD, BLK_WRITE_ZEROES = 0, 1, 4, 8, 11, 13


def blk_header(kind, sector=0, reserved=0): return u32(kind) + u32(reserved) + u64(sector)
def blk_segment(sector, sectors, flags=0): return u64(sector) + u32(sectors) + u32(flags)


def blk_input(parts, capacity=2048, segs=0x44, max_discard=4096, max_zeroes=4096):
    """parts: (readable bytes) or (writable length) in chain order; each buffer placed after the
    one before it, 16-byte aligned, in the data area."""
    head = u64(capacity) + u8(segs) + u32(max_discard) + u32(max_zeroes) + u8(len(parts) - 1)
    area, offset = bytearray(), 0
    for p in parts:
        writable = isinstance(p, int)
        length = p if writable else len(p)
        head += u8(int(writable)) + u16(offset) + u16(length)
        if not writable:
            put(area, offset, p)
        offset = (offset + length + 15) & ~15
    return head + bytes(area)


def block_request():
    seeds = {
        "read": [blk_header(BLK_IN, 8), 4096, 1],
        "read-one-buffer": [blk_header(BLK_IN, 2047), 513],
        "write": [blk_header(BLK_OUT, 16), b"\x5a" * 1024, 1],
        "write-split-header": [blk_header(BLK_OUT, 3)[:5], blk_header(BLK_OUT, 3)[5:], b"\0" * 512, 1],
        "flush": [blk_header(BLK_FLUSH), 1],
        "get-id": [blk_header(BLK_GET_ID), 20, 1],
        "discard": [blk_header(BLK_DISCARD), blk_segment(0, 8) + blk_segment(1024, 1024), 1],
        "write-zeroes-unmap": [blk_header(BLK_WRITE_ZEROES), blk_segment(64, 64, 1), 1],
        "past-end": [blk_header(BLK_IN, 2047), 1024, 1],
        "wrapping-sector": [blk_header(BLK_OUT, 0xffffffffffffffff), b"\0" * 512, 1],
        "no-status": [blk_header(BLK_IN, 0)],
        "unknown-type": [blk_header(14), 1],
        "discard-unmap": [blk_header(BLK_DISCARD), blk_segment(0, 8, 1), 1],
    }
    for name, parts in seeds.items():
        write("block_request", name, blk_input(parts))


# ---- entropy_device, console_device: config byte, the steps' length, the steps (a driver's,
# hostile_driver.hpp, or the device's own), then the data area's bytes ----
DRV_NEXT, DRV_WRITE, DRV_INDIRECT = 1, 2, 4
# Places of a buffer (hostile_driver.hpp): the data area + offset, + 2 offset, the indirect area,
# queue 0's area, queue 1's area, RAM's end - offset, below RAM, the top of the address space.
AT_DATA, AT_DATA2, AT_INDIRECT, AT_QUEUE0, AT_QUEUE1, AT_RAM_END, AT_BELOW, AT_TOP = range(8)
USED_AT = 0xa00  # the used ring in a queue's area; the available ring at 0x800


def drv_desc(index, place, offset, length, flags=0, nxt=0, queue=0, indirect=False):
    return (u8(0) + u8(queue | indirect << 1) + u8(index) + u8(place) + u16(offset) + u16(length) +
            u8(flags) + u8(nxt))


def drv_offer(head, queue=0): return u8(1) + u8(queue) + u8(head)
def drv_avail_idx(n, queue=0): return u8(2) + u8(queue) + u16(n)
def drv_poke(area, offset, value): return u8(3) + u8(area) + u16(offset) + u16(value)


def device_input(config, steps, data=b""):
    return u8(config) + u16(len(steps)) + steps + data


def dev_config(log2_size, indirect=False, event_idx=False):
    return indirect | event_idx << 1 | log2_size << 2


RNG_KICK, RNG_RESET, RNG_SOURCE = 4, 5, 6


def entropy_device():
    kick = u8(RNG_KICK) + u8(0)
    seeds = {
        # Linux's one request: 64 writable bytes.
        "one-request": (dev_config(3), drv_desc(0, AT_DATA, 0, 64, DRV_WRITE) + drv_offer(0) + kick),
        # Three writable buffers; the middle one a byte.
        "split-buffers": (dev_config(3), drv_desc(0, AT_DATA, 0, 16, DRV_WRITE | DRV_NEXT, 1) +
                          drv_desc(1, AT_DATA, 0x100, 1, DRV_WRITE | DRV_NEXT, 2) +
                          drv_desc(2, AT_DATA, 0x200, 4000, DRV_WRITE) + drv_offer(0) + kick),
        # A table of three in the indirect area.
        "indirect": (dev_config(2, indirect=True),
                     drv_desc(1, AT_INDIRECT, 0, 48, DRV_INDIRECT) +
                     drv_desc(0, AT_DATA, 0x40, 32, DRV_WRITE | DRV_NEXT, 1, indirect=True) +
                     drv_desc(1, AT_DATA, 0x80, 32, DRV_WRITE | DRV_NEXT, 2, indirect=True) +
                     drv_desc(2, AT_DATA, 0xc0, 8, DRV_WRITE, indirect=True) +
                     drv_offer(1) + kick),
        # EVENT_IDX: four requests, used_event moved, two more.
        "event-idx": (dev_config(2, event_idx=True),
                      b"".join(drv_desc(i, AT_DATA, 0x100 * i, 32, DRV_WRITE) for i in range(4)) +
                      drv_offer(0) + drv_offer(1) + drv_offer(2) + drv_offer(3) + kick +
                      drv_poke(0, 0x800 + 4 + 2 * 4, 5) + drv_offer(2) + drv_offer(0) + kick),
        # Refused: a readable buffer first, then a good request.
        "readable-refused": (dev_config(3), drv_desc(0, AT_DATA, 0, 16, DRV_NEXT, 1) +
                             drv_desc(1, AT_DATA, 0x100, 16, DRV_WRITE) +
                             drv_desc(2, AT_DATA, 0x200, 16, DRV_WRITE) +
                             drv_offer(0) + drv_offer(2) + kick),
        # More than kMaxBytesPerRequest in two buffers; a buffer past RAM's end.
        "large-and-outside": (dev_config(3), drv_desc(0, AT_DATA2, 0, 0x9000, DRV_WRITE | DRV_NEXT, 1) +
                              drv_desc(1, AT_DATA2, 0x4800, 0x9000, DRV_WRITE) +
                              drv_desc(2, AT_RAM_END, 8, 16, DRV_WRITE) +
                              drv_offer(0) + drv_offer(2) + kick),
        # The source fails for one request, then works again.
        "source-fails": (dev_config(1), drv_desc(0, AT_DATA, 0, 32, DRV_WRITE) + u8(RNG_SOURCE) +
                         drv_offer(0) + kick + u8(RNG_SOURCE) + drv_offer(0) + kick),
        # A reset: the new queue takes the ring from its start again.
        "reset": (dev_config(2), drv_desc(0, AT_DATA, 0, 32, DRV_WRITE) + drv_offer(0) +
                  drv_offer(0) + kick + u8(RNG_RESET) + kick),
        # avail->idx jumps: DEVICE_NEEDS_RESET; nothing until the reset.
        "avail-jump": (dev_config(2), drv_desc(0, AT_DATA, 0, 32, DRV_WRITE) + drv_offer(0) +
                       drv_avail_idx(200) + kick + drv_offer(0) + kick + u8(RNG_RESET) + kick),
        # A buffer over the used ring: the device writes over its own ring as asked.
        "buffer-over-used-ring": (dev_config(2), drv_desc(0, AT_QUEUE0, USED_AT, 16, DRV_WRITE) +
                                  drv_offer(0) + drv_offer(0) + kick),
    }
    for name, (config, steps) in seeds.items():
        write("entropy_device", name, device_input(config, steps, bytes(range(256)) * 4))


CON_KICK, CON_FEED, CON_FEED_BULK, CON_RESET = 4, 5, 6, 7


def console_device():
    rx, tx = 0, 1
    kick_rx, kick_tx = u8(CON_KICK) + u8(rx), u8(CON_KICK) + u8(tx)
    def feed(n): return u8(CON_FEED) + u8(n - 1)
    def feed_bulk(n): return u8(CON_FEED_BULK) + u16(n // 2)
    # Receive buffers as Linux's hvc driver adds them (one writable buffer each), heads 0-3.
    rx_buffers = b"".join(drv_desc(i, AT_DATA, 0x1000 + 0x100 * i, 0x100, DRV_WRITE, queue=rx)
                          for i in range(4))
    offer_rx = b"".join(drv_offer(i, rx) for i in range(4))
    text = b"root@child:~# echo hello\nhello\n"
    seeds = {
        # Typing reaches the buffers; the child writes a prompt out.
        "hvc0-echo": (dev_config(3), rx_buffers + offer_rx + kick_rx + feed(10) +
                      drv_desc(0, AT_DATA, 0, len(text), queue=tx) + drv_offer(0, tx) + kick_tx +
                      feed(3)),
        # Input before any buffer waits, then goes when the driver adds them and kicks.
        "input-before-buffers": (dev_config(3), feed(50) + rx_buffers + offer_rx + kick_rx),
        # Past the backlog: the oldest bytes go; one large buffer takes the rest.
        "backlog-overflow": (dev_config(2), feed_bulk(40000) + feed_bulk(40000) +
                             drv_desc(0, AT_DATA2, 0, 0xfffe, DRV_WRITE, queue=rx) +
                             drv_offer(0, rx) + drv_offer(0, rx) + kick_rx + kick_rx),
        # Input waiting at a reset is kept for the next activation.
        "reset-keeps-input": (dev_config(3), feed(100) + u8(CON_RESET) + rx_buffers + offer_rx +
                              kick_rx),
        # Output past kMaxOutputPerChain in two buffers: cut there.
        "transmit-large": (dev_config(3), drv_desc(0, AT_DATA2, 0, 0x9000, DRV_NEXT, 1, queue=tx) +
                           drv_desc(1, AT_DATA2, 0x4800, 0x9000, queue=tx) + drv_offer(0, tx) +
                           kick_tx),
        # Refused: a writable buffer to transmit, a readable one to receive into.
        "wrong-directions": (dev_config(3), drv_desc(0, AT_DATA, 0, 8, DRV_NEXT, 1, queue=tx) +
                             drv_desc(1, AT_DATA, 0x100, 8, DRV_WRITE, queue=tx) +
                             drv_desc(0, AT_DATA, 0x200, 8, queue=rx) +
                             drv_desc(1, AT_DATA, 0x300, 8, DRV_WRITE, queue=rx) +
                             drv_offer(0, tx) + drv_offer(0, rx) + drv_offer(1, rx) + kick_tx +
                             feed(12)),
        # Indirect tables on both queues; received bytes spread over three buffers.
        "indirect": (dev_config(2, indirect=True),
                     drv_desc(0, AT_INDIRECT, 0, 48, DRV_INDIRECT, queue=rx) +
                     drv_desc(0, AT_DATA, 0x400, 3, DRV_WRITE | DRV_NEXT, 1, indirect=True) +
                     drv_desc(1, AT_DATA, 0x500, 5, DRV_WRITE | DRV_NEXT, 2, indirect=True) +
                     drv_desc(2, AT_DATA, 0x600, 64, DRV_WRITE, indirect=True) +
                     drv_desc(0, AT_INDIRECT, 0x100, 32, DRV_INDIRECT, queue=tx) +
                     drv_desc(16, AT_DATA, 0, 6, DRV_NEXT, 1, indirect=True) +
                     drv_desc(17, AT_DATA, 6, 7, indirect=True) +
                     drv_offer(0, rx) + drv_offer(0, tx) + feed(20) + kick_tx),
        # EVENT_IDX on both queues; buffers added while input waits.
        "event-idx": (dev_config(3, event_idx=True), feed(200) + rx_buffers + drv_offer(0, rx) +
                      kick_rx + drv_offer(1, rx) + drv_offer(2, rx) + kick_rx + feed(40) +
                      drv_offer(3, rx) + feed(1)),
        # A head past the table: DEVICE_NEEDS_RESET; input waits until the reset, after which
        # the driver puts a good head in the ring's first entry.
        "bad-head": (dev_config(1), drv_offer(7, rx) + feed(5) + feed(5) +
                     drv_desc(0, AT_DATA, 0, 64, DRV_WRITE, queue=rx) + drv_poke(0, 0x804, 0) +
                     u8(CON_RESET)),
    }
    for name, (config, steps) in seeds.items():
        write("console_device", name, device_input(config, steps, text + bytes(range(256)) * 4))


# ---- virtio_pci_transport: the device, the steps' length, the steps (fuzz_virtio_pci_transport
# .cpp), then the RAM from guest-physical 0 ----
PCI_PORT, PCI_CONFIG, PCI_BAR, PCI_WINDOW, PCI_CFG_WINDOW, PCI_RAM, PCI_FEED, PCI_START = range(8)
DEV_ENTROPY, DEV_CONSOLE, DEV_PLAIN, DEV_PLAIN_REFUSING = range(4)
VERSION_1 = 1 << 32


def acc(store, size): return int(store) | {1: 0, 2: 1, 4: 2, 8: 3}[size] << 1
def pci_cfg(store, size, reg, value=0, function=1):
    return u8(PCI_CONFIG) + u8(acc(store, size)) + u8(reg) + u8(function) + u32(value)
def pci_bar(store, size, offset, value=0):
    return u8(PCI_BAR) + u8(acc(store, size)) + u16(offset) + u64(value)
def pci_window(store, size, offset, value=0):
    return u8(PCI_WINDOW) + u8(acc(store, size)) + u32(offset) + u64(value)
def pci_cfg_window(store, size, bar, offset, length, value=0):
    return (u8(PCI_CFG_WINDOW) + u8(acc(store, size)) + u8(bar) + u32(offset) + u8(length) +
            u32(value))
def pci_start(features=0): return u8(PCI_START) + u64(features)


def transport_ram(chains):
    """RAM with queue q's rings at q * 4 KiB (16 entries: table, avail + 0x400, used + 0x800) and
    `chains`: (queue, [(buffer offset from 0x3000, length, writable)]) offered in order."""
    ram = bytearray(0x3000)
    heads = {}
    for queue, buffers in chains:
        base = 0x1000 * queue
        n = heads.get(queue, 0)
        for i, (offset, length, writable) in enumerate(buffers):
            flags = (DRV_WRITE if writable else 0) | (DRV_NEXT if i + 1 < len(buffers) else 0)
            put(ram, base + 16 * (n + i), u64(0x3000 + offset) + u32(length) + u16(flags) +
                u16(n + i + 1))
        slot = sum(1 for q, _ in chains[:chains.index((queue, buffers))] if q == queue)
        put(ram, base + 0x400 + 4 + 2 * slot, u16(n))
        put(ram, base + 0x402, u16(slot + 1))
        heads[queue] = n + len(buffers)
    return ram + b"hello, console\n" + bytes(range(256))


LINUX_PROBE = (pci_cfg(False, 4, 0x00) + pci_cfg(False, 2, 0x06) + pci_cfg(False, 4, 0x08) +
               pci_cfg(False, 1, 0x0e) + pci_cfg(False, 4, 0x10) +
               pci_cfg(True, 4, 0x10, 0xffffffff) + pci_cfg(False, 4, 0x10) +
               pci_cfg(True, 4, 0x10, 0xc0000000) + pci_cfg(False, 1, 0x34) +
               b"".join(pci_cfg(False, 4, r) for r in range(0x40, 0xa8, 4)))


def virtio_pci_transport():
    def seed(name, device, steps, ram=b""):
        write("virtio_pci_transport", name, u8(device) + u16(len(steps)) + steps + bytes(ram))

    isr, pba = 0x1000, 0x5000
    def notify(q): return pci_bar(True, 2, 0x3000 + 4 * q, q)
    # Linux's probe (IDs, BAR sizing, capabilities), the driver's start, a request served.
    seed("linux-entropy", DEV_ENTROPY, LINUX_PROBE + pci_start() + notify(0) +
         pci_bar(False, 1, isr) + pci_bar(False, 8, pba) + pci_bar(False, 1, 0x14),
         transport_ram([(0, [(0, 64, True)])]))
    # A console: input fed before and after the driver, output written.
    seed("console-io", DEV_CONSOLE, u8(PCI_FEED) + u8(9) + pci_start() + notify(1) +
         u8(PCI_FEED) + u8(3) + notify(0) + pci_bar(False, 1, isr),
         transport_ram([(0, [(0x100, 64, True)]), (1, [(0x400, 15, False)])]))
    # The device refuses its activation: DEVICE_NEEDS_RESET until the driver resets it.
    seed("refused-activation", DEV_PLAIN_REFUSING, pci_start() + pci_bar(False, 1, 0x14) +
         pci_bar(True, 1, 0x14, 0) + pci_bar(False, 1, 0x14) + pci_bar(False, 1, isr))
    # Features the device offers but no transport carries: FEATURES_OK stays clear.
    seed("features-not-carried", DEV_PLAIN, pci_start(VERSION_1 | 1 << 40 | 5) +
         pci_bar(False, 1, 0x14) + pci_bar(True, 1, 0x14, 0xf) + pci_start(VERSION_1 | 5) +
         pci_bar(True, 4, 0x2000, 0x11223344) + pci_bar(False, 8, 0x2000) +
         pci_bar(False, 2, 0x2016))
    # The PCI configuration access capability: a feature word, the status, the ISR; unusable
    # fields (a length unlike the access, misaligned, another BAR).
    cfg = 0x94  # the capability after MSI-X, common, notify, ISR and device (none here)
    seed("cfg-window", DEV_ENTROPY, pci_cfg(True, 2, 0x04, 2) +
         pci_cfg_window(False, 4, 0, 0x04, 4) + pci_cfg_window(True, 1, 0, 0x14, 1, 1) +
         pci_cfg_window(False, 1, 0, 0x14, 1) + pci_cfg_window(False, 1, 0, 0x1000, 1) +
         pci_cfg_window(False, 4, 0, 0x04, 2) + pci_cfg_window(False, 2, 0, 0x15, 2) +
         pci_cfg_window(False, 4, 1, 0x04, 4) + pci_cfg(False, 4, cfg))
    # MSI-X: the function masked while a request is served, its vector pending in the PBA,
    # sent when unmasked.
    seed("msix-pending", DEV_ENTROPY, pci_start() + pci_cfg(True, 2, 0x42, 0xc000) + notify(0) +
         pci_bar(False, 8, pba) + pci_cfg(True, 2, 0x42, 0x8000) + pci_bar(False, 8, pba),
         transport_ram([(0, [(0, 16, True)])]))
    # BAR 0 moved, then left with the sizing pattern, then decoding off.
    seed("bar-moved", DEV_PLAIN, pci_cfg(True, 2, 0x04, 2) + pci_cfg(True, 4, 0x10, 0xc1000000) +
         pci_window(False, 4, 0x1000000) + pci_window(False, 4, 0) +
         pci_cfg(True, 4, 0x10, 0xffffffff) + pci_window(False, 8, 0x7fff8) +
         pci_cfg(True, 4, 0x10, 0xc0000000) + pci_cfg(True, 2, 0x04, 0) + pci_window(False, 2, 0))
    # Functions that do not exist, CONFIG_ADDRESS by halves, CONFIG_DATA past its four bytes.
    seed("empty-functions", DEV_CONSOLE, pci_cfg(False, 4, 0, function=2) +
         pci_cfg(False, 4, 0, function=0x21) + pci_cfg(False, 4, 0, function=0x41) +
         pci_cfg(False, 4, 0, function=0x81) + pci_cfg(False, 4, 0, function=0) +
         u8(PCI_PORT) + u8(acc(True, 2)) + u8(0) + u32(0x8000) +
         u8(PCI_PORT) + u8(acc(False, 4)) + u8(6) + u32(0))


# ---- virtio_mmio_transport: the device, the steps' length, the steps (fuzz_virtio_mmio_transport
# .cpp), then the RAM from guest-physical 0 ----
MM_ACCESS, MM_REGISTER, MM_RAM, MM_FEED, MM_START = range(5)
(R_MAGIC, R_VERSION, R_DEVICE_ID, R_VENDOR, R_DEV_FEATURES, R_DEV_FEATURES_SEL, R_DRV_FEATURES,
 R_DRV_FEATURES_SEL, R_QUEUE_SEL, R_QUEUE_NUM_MAX, R_QUEUE_NUM, R_QUEUE_READY, R_QUEUE_NOTIFY,
 R_INTERRUPT_STATUS, R_INTERRUPT_ACK, R_STATUS, R_DESC_LOW) = range(17)


def mm_access(store, size, offset, value=0):
    return u8(MM_ACCESS) + u8(acc(store, size)) + u16(offset) + u64(value)
def mm_load(reg): return u8(MM_REGISTER) + u8(0) + u8(reg) + u32(0)
def mm_store(reg, value): return u8(MM_REGISTER) + u8(1) + u8(reg) + u32(value)
def mm_start(features=0): return u8(MM_START) + u64(features)


def virtio_mmio_transport():
    def seed(name, device, steps, ram=b""):
        write("virtio_mmio_transport", name, u8(device) + u16(len(steps)) + steps + bytes(ram))

    probe = mm_load(R_MAGIC) + mm_load(R_VERSION) + mm_load(R_DEVICE_ID) + mm_load(R_VENDOR)
    def interrupt(): return mm_load(R_INTERRUPT_STATUS) + mm_store(R_INTERRUPT_ACK, 3) + \
        mm_load(R_INTERRUPT_STATUS)
    # Linux's probe (virtio_mmio.c), the driver's start, a request served, the interrupt taken.
    seed("linux-entropy", DEV_ENTROPY, probe + mm_start() + mm_store(R_QUEUE_NOTIFY, 0) +
         interrupt(), transport_ram([(0, [(0, 64, True)])]))
    # A console: input fed before and after the driver, output written.
    seed("console-io", DEV_CONSOLE, u8(MM_FEED) + u8(9) + mm_start() +
         mm_store(R_QUEUE_NOTIFY, 1) + u8(MM_FEED) + u8(3) + mm_store(R_QUEUE_NOTIFY, 0) +
         interrupt(), transport_ram([(0, [(0x100, 64, True)]), (1, [(0x400, 15, False)])]))
    # The device refuses its activation: DEVICE_NEEDS_RESET until the driver resets it.
    seed("refused-activation", DEV_PLAIN_REFUSING, mm_start() + mm_load(R_STATUS) +
         interrupt() + mm_store(R_STATUS, 0) + mm_load(R_STATUS))
    # Features no transport carries: FEATURES_OK stays clear; the configuration space at every
    # width, up to the window's end.
    seed("features-not-carried", DEV_PLAIN, mm_start(VERSION_1 | 1 << 40 | 5) +
         mm_load(R_STATUS) + mm_store(R_DEV_FEATURES_SEL, 1) + mm_load(R_DEV_FEATURES) +
         mm_store(R_DEV_FEATURES_SEL, 2) + mm_load(R_DEV_FEATURES) + mm_start(VERSION_1 | 5) +
         mm_access(True, 8, 0x100, 0x1122334455667788) + mm_access(False, 2, 0x116) +
         mm_access(False, 8, 0x100) + mm_access(False, 8, 0xffc))
    # Registers at the wrong width or misaligned, offsets Table 4.1 leaves out, the shared
    # memory registers, past the window.
    seed("odd-accesses", DEV_CONSOLE, mm_access(False, 1, 0) + mm_access(False, 2, 0x70) +
         mm_access(False, 8, 0x10) + mm_access(False, 4, 0x72) + mm_access(False, 4, 0x18) +
         mm_access(False, 4, 0xc4) + mm_access(False, 4, 0xb0) + mm_access(False, 4, 0xbc) +
         mm_access(True, 2, 0x70, 1) + mm_access(False, 4, 0x1080) + mm_access(False, 4, 0xfc))
    # The queue's registers after DRIVER_OK are the device's: ignored.
    seed("queue-after-driver-ok", DEV_ENTROPY, mm_start() + mm_store(R_QUEUE_SEL, 0) +
         mm_store(R_QUEUE_NUM, 2) + mm_store(R_QUEUE_READY, 0) + mm_store(R_DESC_LOW, 0x8000) +
         mm_load(R_QUEUE_READY) + mm_store(R_QUEUE_NOTIFY, 0) + interrupt(),
         transport_ram([(0, [(0, 32, True)])]))


# ---- api_request: the piece size, then a connection's bytes ----
API_TOKEN = "fuzz-token-0123456789abcdefghijklmnopqrstuvwxyz"


def api_request():
    auth = f"Authorization: Bearer {API_TOKEN}\r\n"

    def request(method, path, body=None, token=True):
        head = f"{method} {path} HTTP/1.1\r\nHost: appliance\r\n" + (auth if token else "")
        if body is None:
            return (head + "\r\n").encode()
        data = json.dumps(body).encode()
        return (head + f"Content-Length: {len(data)}\r\n\r\n").encode() + data

    seeds = {
        "version": (7, request("GET", "/version")),
        "no-token": (64, request("GET", "/vms", token=False)),
        "firecracker-sequence": (13, b"".join([
            request("PUT", "/vms/a/machine-config", {"vcpu_count": 2, "mem_size_mib": 256}),
            request("PUT", "/vms/a/boot-source",
                    {"kernel_image_path": "/k", "boot_args": "console=ttyS0"}),
            request("PUT", "/vms/a/network-interfaces/eth0",
                    {"iface_id": "eth0", "host_dev_name": "tap0"}),
            request("PATCH", "/vms/a/machine-config", {"mem_size_mib": 512}),
            request("GET", "/vms/a/vm/config"),
            request("PUT", "/vms/a/actions", {"action_type": "InstanceStart"}),
            request("GET", "/vms/a/"),
        ])),
        "collection": (31, b"".join([
            request("POST", "/vms", {"id": "b", "boot-source": {"kernel_image_path": "/k"}}),
            request("PUT", "/vms/c", {"boot-source": {"kernel_image_path": "/k"}}),
            request("GET", "/vms"),
            request("GET", "/vms/b/console"),
            request("DELETE", "/vms/b"),
        ])),
        "chunked": (5, (f"PUT /vms/a/boot-source HTTP/1.1\r\n{auth}"
                        "Transfer-Encoding: chunked\r\n\r\n3\r\n{}\n\r\n0\r\n\r\n").encode()),
        "bad-length": (9, (f"PUT /vms/a/vm HTTP/1.1\r\n{auth}Content-Length: 3\r\n"
                           "Content-Length: 4\r\n\r\nabcd").encode()),
        "http10": (64, f"GET /vms HTTP/1.0\r\n{auth}\r\n".encode()),
    }
    for name, (piece, data) in seeds.items():
        write("api_request", name, u8(piece - 1) + data)


def main():
    program = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else None
    for d in CORPUS.iterdir():
        if d.name != "gpt" or program:
            shutil.rmtree(d)
    for make in (x86_decoder, vmm_exit, vmm_loader, acpi, boot_info, hypercalls, apic,
                 port_devices, virtqueue, block_request, entropy_device, console_device,
                 virtio_pci_transport, virtio_mmio_transport, appliance_config, dhcp_message,
                 vsock_device, api_request):
        make()
    if program:
        gpt(program)
    for d in sorted(CORPUS.iterdir()):
        print(f"{d.name}: {len(list(d.iterdir()))} seeds")


if __name__ == "__main__":
    main()
