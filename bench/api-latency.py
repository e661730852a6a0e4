#!/usr/bin/env python3
"""The management API's latency, measured from this machine against a running appliance.

    bench/api-latency.py [--api URL --token TOKEN --sha256 FINGERPRINT] [--runs N]

Without --api it measures the appliance `./rootstock run --uefi` started (build/uefi/api.json).
Prints each figure's median and 90th percentile:
  - GET /vms/{id} on one kept-alive HTTPS connection, and on a new connection each time (the
    TLS handshake included);
  - a VM made (PUT /vms/{id}, the built-in child kernel and initramfs, 1 vCPU, 64 MiB) and
    started: until InstanceStart is answered (the VM runs), and until its console shows the
    child's init;
beside Firecracker's published figures for scale (SPECIFICATION.md: on an i3.metal with KVM,
the VMM's API is up within 8 CPU ms, and InstanceStart to the guest's /sbin/init takes at
most 125 ms). Under TCG every guest instruction is emulated: compare ratios within one run,
not these numbers with Firecracker's.
"""
import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("api_client", TOP / "tools" / "api-client.py")
client = importlib.util.module_from_spec(spec)
spec.loader.exec_module(client)

KERNEL = "/lib/rootstock/child/bzImage"
INITRD = "/lib/rootstock/child/initramfs.cpio"
INIT_MARK = b"rootstock-child: init reached"


def summary(name, seconds):
    ms = sorted(s * 1000 for s in seconds)
    p90 = ms[min(len(ms) - 1, int(len(ms) * 0.9))]
    print(f"  {name:<48} median {statistics.median(ms):8.1f} ms   p90 {p90:8.1f} ms   ({len(ms)} runs)")


def get_kept_alive(appliance, path, runs):
    conn = appliance.connect()
    headers = {"Authorization": f"Bearer {appliance.token}"}
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        r.read()
        out.append(time.perf_counter() - t)
        if r.status != 200:
            sys.exit(f"GET {path}: {r.status}")
    conn.close()
    return out


def get_new_connection(appliance, path, runs):
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        appliance.request("GET", path)
        out.append(time.perf_counter() - t)
    return out


def create_to_init(appliance, vm):
    spec = {"boot-source": {"kernel_image_path": KERNEL, "initrd_path": INITRD,
                            "boot_args": "console=ttyS0 loglevel=1"},
            "machine-config": {"vcpu_count": 1, "mem_size_mib": 64}}
    t = time.perf_counter()
    appliance.request("PUT", f"/vms/{vm}", body=spec)
    appliance.request("PUT", f"/vms/{vm}/actions", body={"action_type": "InstanceStart"})
    running = time.perf_counter() - t
    r, conn = appliance.request("GET", f"/vms/{vm}/console?follow=1", stream=True)
    seen = b""
    while INIT_MARK not in seen:
        data = r.read1(4096)
        if not data:
            sys.exit(f"{vm}: the console ended before its init")
        seen = seen[-len(INIT_MARK):] + data
    init = time.perf_counter() - t
    conn.close()
    appliance.request("POST", f"/vms/{vm}/stop")
    appliance.request("DELETE", f"/vms/{vm}")
    return running, init


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--api")
    p.add_argument("--token")
    p.add_argument("--sha256")
    p.add_argument("--runs", type=int, default=200, help="GETs per kind (VM starts: runs / 40)")
    args = p.parse_args()
    appliance = client.appliance_from(args)
    vms = appliance.request("GET", "/vms")[1]
    if not vms:
        sys.exit("the appliance has no VM to GET: start one first")
    path = f"/vms/{vms[0]['id']}"
    print(f"API latency of {appliance.host}:{appliance.port} ({time.strftime('%Y-%m-%d')})")
    summary(f"GET {path}, one kept-alive connection", get_kept_alive(appliance, path, args.runs))
    summary(f"GET {path}, a new TLS connection each", get_new_connection(appliance, path,
                                                                          max(args.runs // 10, 5)))
    starts = [create_to_init(appliance, f"bench-{i}") for i in range(max(args.runs // 40, 3))]
    summary("PUT /vms/{id} → InstanceStart answered (runs)", [s[0] for s in starts])
    summary("PUT /vms/{id} → the child's init on its console", [s[1] for s in starts])
    print("  Firecracker (SPECIFICATION.md, i3.metal, KVM): API up within 8 CPU ms; InstanceStart "
          "→ /sbin/init at most 125 ms")


if __name__ == "__main__":
    try:
        main()
    except client.ApiError as e:
        sys.exit(f"api-latency: {e}")
