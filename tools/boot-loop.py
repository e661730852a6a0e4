#!/usr/bin/env python3
"""boot-loop.py: boots the same QEMU command again and again until a boot does not reach
'root-init' (or prints an RCU stall), then saves the serial log with each CPU's local APIC
state and registers from QEMU's monitor, taken twice 3 s apart (a state that persists is a
hang, not a moment), or QEMU's exit status and stderr when QEMU itself ended. For intermittent
faults such as the lost first timer interrupt of README "Known problems".

  tools/boot-loop.py [--until TEXT] [--fail TEXT]... [--limit S] COUNT LOG -- qemu ARGS...
  (no -serial/-monitor in ARGS)

--until: what a good boot prints (default "root-init"); --fail: more text that ends a boot as a
failure, 3 s later so that a whole oops is kept (an RCU stall always does); --limit: seconds a
boot may take (default 60).

Example, the default child VM until its init, keeping a child oops:
  tools/boot-loop.py --until "init reached" --fail "Oops:" --fail "Kernel panic" --limit 120 \\
    20 /tmp/child.log -- qemu-system-x86_64 -accel tcg,thread=single -machine q35 \\
    -display none -vga none -no-reboot -cpu EPYC,+svm,+npt -smp 2 -m 1G -kernel build/rootstock.elf

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
    args = sys.argv[1:]
    until, fails, limit = b"root-init", [b"detected stall", b"self-detected stall"], BOOT_LIMIT_S
    while args and args[0].startswith("--") and args[0] != "--":
        if len(args) < 2:
            sys.exit(__doc__)
        if args[0] == "--until":
            until = args[1].encode()
        elif args[0] == "--fail":
            fails.append(args[1].encode())
        elif args[0] == "--limit":
            limit = int(args[1])
        else:
            sys.exit(__doc__)
        args = args[2:]
    if len(args) < 4 or args[2] != "--":
        sys.exit(__doc__)
    count, log_path, qemu = int(args[0]), args[1], args[3:]
    mon = os.path.join(tempfile.mkdtemp(), "monitor")
    for run in range(1, count + 1):
        err = tempfile.TemporaryFile()
        p = subprocess.Popen(qemu + ["-serial", "stdio", "-monitor", f"unix:{mon},server,nowait"],
                             stdout=subprocess.PIPE, stderr=err)
        log, start, why = b"", time.time(), None
        while why is None:
            ready, _, _ = select.select([p.stdout], [], [], 1.0)
            if ready:
                data = os.read(p.stdout.fileno(), 65536)
                if not data:
                    why = "qemu ended"
                log += data
            failed = next((f for f in fails if f in log), None)
            if failed is not None:
                why = failed.decode()
                deadline = time.time() + 3  # the rest of an oops or stall report
                while time.time() < deadline:
                    ready, _, _ = select.select([p.stdout], [], [], 0.5)
                    if ready:
                        log += os.read(p.stdout.fileno(), 65536)
            elif until in log:
                break
            elif time.time() - start > limit:
                why = "no " + until.decode()
        if why:
            if p.poll() is None:
                cpus = [f"info lapic {i}" for i in range(16)] + ["info registers -a"]
                state = monitor(mon, cpus)
                time.sleep(3)
                state += "\n==== 3 s later ====\n" + monitor(mon, cpus)
            else:
                # QEMU itself ended (an emulator assertion, README "Known problems"): its exit
                # status and stderr are what there is to keep.
                err.seek(0)
                state = f"QEMU exited with status {p.returncode}; its stderr:\n"
                state += err.read().decode(errors="replace")
            with open(log_path, "wb") as f:
                f.write(log + b"\n==== monitor ====\n" + state.encode())
            print(f"run {run}: {why} after {time.time() - start:.1f} s; log in {log_path}")
        p.kill()
        p.wait()
        err.close()
        if why:
            sys.exit(1)
        print(f"run {run}: {until.decode()} in {time.time() - start:.1f} s", flush=True)
    print(f"{count} of {count} boots reached '{until.decode()}'")


if __name__ == "__main__":
    main()
