#!/usr/bin/env python3
"""What a VM costs the appliance beyond its RAM, and how fast a batch of VMs comes up.

    bench/vm-density.py [--api URL --token TOKEN --sha256 FINGERPRINT] [--vms N] [--mem MIB]

Without --api it measures the appliance `./rootstock run --uefi` started (build/uefi/api.json;
give it room: `./rootstock run --uefi -m 3G` for 8 VMs of 256 MiB). It makes N VMs (the
built-in child kernel and initramfs, 1 vCPU, MIB of RAM) and starts them one after the other,
and waits for each one's init on its console. Then, with all of them running, it reads GET
/metrics and prints:
  - per VM beyond its RAM: what the root's available memory (MemAvailable: noisy, the page
    cache moves it too) went down by less the RAM hv says is mapped into the VMs
    (rootstock_vm_mapped_bytes): the VMM's threads, buffers and devices, and the pages it
    deposited with hv; and what hv holds for it (rootstock_vm_hv_bytes: nested page tables,
    VMCBs, run state);
  - the batch: from the first PUT to the last init, and VMs per second;
and after deleting them, that the root's memory came back. Firecracker's published figures for
scale (SPECIFICATION.md, i3.metal with KVM): at most 5 MiB of memory overhead per microVM, and
150 microVMs per second per host. Under TCG every guest instruction is emulated: the memory
figures compare, the rate does not.
"""
import argparse
import importlib.util
import re
import sys
import threading
import time
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("api_client", TOP / "tools" / "api-client.py")
client = importlib.util.module_from_spec(spec)
spec.loader.exec_module(client)

KERNEL = "/lib/rootstock/child/bzImage"
INITRD = "/lib/rootstock/child/initramfs.cpio"
INIT_MARK = b"rootstock-child: init reached"
MIB = 1 << 20
SAMPLE = re.compile(r'^(\w+)(?:\{([^}]*)\})? (\S+)$')


def metrics(appliance):
    """GET /metrics as {(name, labels): value}."""
    text = appliance.request("GET", "/metrics")[1]
    out = {}
    for line in (text.decode() if isinstance(text, bytes) else text).splitlines():
        m = SAMPLE.match(line)
        if m:
            out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def make_and_start(appliance, vm, mem):
    body = {"boot-source": {"kernel_image_path": KERNEL, "initrd_path": INITRD,
                            "boot_args": "console=ttyS0 loglevel=1"},
            "machine-config": {"vcpu_count": 1, "mem_size_mib": mem}}
    appliance.request("PUT", f"/vms/{vm}", body=body)
    appliance.request("PUT", f"/vms/{vm}/actions", body={"action_type": "InstanceStart"})


def wait_for_init(appliance, vm, t0, results):
    """Follows the VM's console (from its start: the ring keeps it) until its init."""
    try:
        r, conn = appliance.request("GET", f"/vms/{vm}/console?follow=1", stream=True)
        seen = b""
        while INIT_MARK not in seen:
            data = r.read1(4096)
            if not data:
                raise client.ApiError(f"{vm}: the console ended before its init")
            seen = seen[-len(INIT_MARK):] + data
        conn.close()
        results[vm] = time.perf_counter() - t0
    except (client.ApiError, OSError) as e:
        results[vm] = e


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--api")
    p.add_argument("--token")
    p.add_argument("--sha256")
    p.add_argument("--vms", type=int, default=4)
    p.add_argument("--mem", type=int, default=256, help="MiB of RAM per VM")
    args = p.parse_args()
    appliance = client.appliance_from(args)
    names = [f"density-{i}" for i in range(args.vms)]
    before = metrics(appliance)
    results = {}
    # The VMs are made and started one after the other (a few API calls each, while the
    # appliance still has CPU to spare); their consoles are followed at once.
    t0 = time.perf_counter()
    for vm in names:
        make_and_start(appliance, vm, args.mem)
    threads = [threading.Thread(target=wait_for_init, args=(appliance, vm, t0, results))
               for vm in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    failed = {vm: r for vm, r in results.items() if isinstance(r, Exception)}
    during = metrics(appliance)
    for vm in names:
        try:
            appliance.request("POST", f"/vms/{vm}/stop")
        except client.ApiError:
            pass
        try:
            appliance.request("DELETE", f"/vms/{vm}")
        except client.ApiError:
            pass
    if failed:
        sys.exit("vm-density: " + "; ".join(f"{vm}: {e}" for vm, e in failed.items()))
    after = metrics(appliance)  # stop waits for the VM's end: its memory is back by now

    n = args.vms
    avail = ("rootstock_memory_available_bytes", "")
    mapped = sum(during[("rootstock_vm_mapped_bytes", f'id="{vm}"')] for vm in names)
    root_per_vm = (before[avail] - during[avail] - mapped) / n
    anon = ("rootstock_vmm_anon_bytes", "")
    vmm_per_vm = (during[anon] - before[anon] - mapped) / n
    hv_per_vm = sum(during[("rootstock_vm_hv_bytes", f'id="{vm}"')] for vm in names) / n
    hv_used = sum(during[("rootstock_vm_hv_used_bytes", f'id="{vm}"')] for vm in names) / n
    last = max(results.values())
    print(f"VM density of {appliance.host}:{appliance.port} ({time.strftime('%Y-%m-%d')}): "
          f"{n} VMs of 1 vCPU and {args.mem} MiB, made and started one after the other")
    print(f"  the root's memory per VM beyond its RAM   {root_per_vm / MIB:8.1f} MiB "
          f"(available memory down by {(before[avail] - during[avail]) / MIB:.0f} MiB for {n}, "
          f"{mapped / MIB:.0f} MiB of it mapped as their RAM)")
    print(f"  the VMM's own memory per VM               {vmm_per_vm / MIB:8.1f} MiB "
          f"(PID 1's anonymous memory up by {(during[anon] - before[anon]) / MIB:.0f} MiB, "
          "less their RAM: threads, buffers, devices)")
    print(f"  deposited with hv per VM (of which used)  {hv_per_vm / MIB:8.1f} MiB "
          f"({hv_used / MIB:.1f} MiB): nested page tables, VMCBs, run state")
    print(f"  first PUT -> every VM's init             {last:8.1f} s "
          f"(first {min(results.values()):.1f} s): {n / last:.2f} VMs per second")
    print(f"  available memory after deleting them      {(before[avail] - after[avail]) / MIB:8.1f} "
          f"MiB below where it started")
    print("  Firecracker (SPECIFICATION.md, i3.metal, KVM): at most 5 MiB of memory overhead per "
          "microVM; 150 microVMs per second per host")


if __name__ == "__main__":
    try:
        main()
    except client.ApiError as e:
        sys.exit(f"vm-density: {e}")
