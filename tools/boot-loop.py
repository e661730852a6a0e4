#!/usr/bin/env python3
"""boot-loop.py: boots the same QEMU command again and again until a boot does not reach
'root-init' (or prints an RCU stall), then saves the serial log with each CPU's local APIC
state and registers from QEMU's monitor, taken twice 3 s apart (a state that persists is a
hang, not a moment). For intermittent faults such as the lost first timer interrupt of
README "Known problems".

  tools/boot-loop.py COUNT LOG -- qemu-system-x86_64 ARGS...   (no -serial/-monitor in ARGS)

Example, the plain kernel without hv:
  tools/boot-loop.py 300 /tmp/fail.log -- qemu-system-x86_64 -accel tcg -machine q35 \\
    -display none -vga none -no-reboot -cpu EPYC,+svm,+npt -smp 4 -m 1G \\
    -kernel build/linux/bzImage -initrd build/root/initramfs.cpio -append console=ttyS0
"""
import os
import select
import socket
import subprocess
import sys
import tempfile
import time

BOOT_LIMIT_S = 60


def monitor(path, commands):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.settimeout(5)
    out = b""

    def read_prompt():
        nonlocal out
        try:
            while not out.endswith(b"(qemu) "):
                data = s.recv(65536)
                if not data:
                    return
                out += data
        except socket.timeout:
            pass

    read_prompt()
    for c in commands:
        out = out + b"\n"
        s.sendall((c + "\n").encode())
        time.sleep(0.5)
        read_prompt()
    s.close()
    return out.decode(errors="replace")


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit(__doc__)
    count, log_path, qemu = int(sys.argv[1]), sys.argv[2], sys.argv[4:]
    mon = os.path.join(tempfile.mkdtemp(), "monitor")
    for run in range(1, count + 1):
        p = subprocess.Popen(qemu + ["-serial", "stdio", "-monitor", f"unix:{mon},server,nowait"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        log, start, why = b"", time.time(), None
        while why is None:
            ready, _, _ = select.select([p.stdout], [], [], 1.0)
            if ready:
                data = os.read(p.stdout.fileno(), 65536)
                if not data:
                    why = "qemu ended"
                log += data
            if b"root-init" in log:
                break
            if b"detected stall" in log or b"self-detected stall" in log:
                why = "rcu stall"
            elif time.time() - start > BOOT_LIMIT_S:
                why = "no root-init"
        if why:
            cpus = [f"info lapic {i}" for i in range(16)] + ["info registers -a"]
            state = monitor(mon, cpus)
            time.sleep(3)
            state += "\n==== 3 s later ====\n" + monitor(mon, cpus)
            with open(log_path, "wb") as f:
                f.write(log + b"\n==== monitor ====\n" + state.encode())
            print(f"run {run}: {why} after {time.time() - start:.1f} s; log in {log_path}")
        p.kill()
        p.wait()
        if why:
            sys.exit(1)
        print(f"run {run}: root-init in {time.time() - start:.1f} s", flush=True)
    print(f"{count} of {count} boots reached root-init")


if __name__ == "__main__":
    main()
