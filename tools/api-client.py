#!/usr/bin/env python3
"""The appliance's management API for people: `./rootstock vm …` and `./rootstock image …`.

    rootstock vm list
    rootstock vm show ID
    rootstock vm create ID --kernel PATH [--initrd PATH] [--cmdline TEXT] [--vcpus N]
                           [--mem MIB] [--disk PATH[:ro]]... [--autostart]
    rootstock vm create ID --spec FILE          (a whole spec, docs/configuration.md)
    rootstock vm start|stop|pause|resume|delete ID
    rootstock vm console ID                     (follows it; lines you type go to it)
    rootstock image put NAME FILE
    rootstock image list
    rootstock image delete NAME

Which appliance: --api URL (https://HOST:PORT), --token TOKEN (or ROOTSTOCK_API_TOKEN) and
--sha256 FINGERPRINT (the api-ready milestone's; or ROOTSTOCK_API_SHA256). Without --api it is
the one `./rootstock run --uefi` started: its address, token and certificate are in
build/uefi/api.json. A certificate that is not pinned is trusted on first use and pinned in that
file (as ssh does with host keys); a different one later is refused.
"""
import argparse
import hashlib
import http.client
import json
import os
import signal
import socket
import ssl
import sys
import threading
import urllib.parse
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
RUN_API = TOP / "build" / "uefi" / "api.json"
CHUNK = 1 << 20


class ApiError(Exception):
    pass


class Appliance:
    """One appliance: its address, token and pinned certificate."""

    def __init__(self, url, token, sha256, pin_file=None):
        u = urllib.parse.urlsplit(url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ApiError(f"--api {url}: expected https://HOST:PORT (or http:// for api.tls false)")
        self.tls = u.scheme == "https"
        self.host = u.hostname
        self.port = u.port or (443 if self.tls else 80)
        self.token = token
        self.sha256 = (sha256 or "").lower()
        self.pin_file = pin_file

    def connect(self, timeout=60):
        if not self.tls:
            return http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        # The certificate is the appliance's own, self-signed: checked by its fingerprint below,
        # not by a chain to a CA.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=context)
        conn.connect()
        der = conn.sock.getpeercert(binary_form=True)
        seen = hashlib.sha256(der).hexdigest()
        if self.sha256 and seen != self.sha256:
            conn.close()
            raise ApiError(f"the appliance's certificate has the SHA-256 {seen}, not {self.sha256} as "
                           "pinned: not the appliance you think (or it was set up afresh)")
        if not self.sha256 and self.pin_file:
            pin(self.pin_file, seen)
            print(f"rootstock: trusting the appliance's certificate {seen} from now on "
                  f"(pinned in {self.pin_file})", file=sys.stderr)
            self.sha256 = seen
        return conn

    def request(self, method, path, body=None, headers=None, stream=None):
        conn = self.connect()
        h = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        h.update(headers or {})
        if body is not None and not isinstance(body, (bytes, str)) and not hasattr(body, "read"):
            body = json.dumps(body)
            h["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
        except (OSError, http.client.HTTPException) as e:
            raise ApiError(f"{method} {path}: {e}") from e
        if stream and r.status == 200:
            return r, conn
        data = r.read()
        conn.close()
        if r.status >= 400:
            try:
                message = json.loads(data)["fault_message"]
            except (ValueError, KeyError, TypeError):
                message = data.decode(errors="replace")
            raise ApiError(f"{method} {path}: {r.status} {message}")
        return r.status, (json.loads(data) if data and r.getheader("Content-Type", "").startswith(
            "application/json") else data)


def pin(path, sha256):
    try:
        settings = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        settings = {}
    settings["sha256"] = sha256
    Path(path).write_text(json.dumps(settings, indent=2) + "\n")


def appliance_from(args):
    settings, pin_file = {}, None
    if not args.api:
        try:
            settings = json.loads(RUN_API.read_text())
            pin_file = RUN_API
        except (OSError, ValueError):
            raise ApiError("no appliance named: give --api https://HOST:PORT and --token, or start "
                           "one with ./rootstock run --uefi")
    url = args.api or settings.get("url")
    token = args.token or os.environ.get("ROOTSTOCK_API_TOKEN") or settings.get("token")
    sha256 = args.sha256 or os.environ.get("ROOTSTOCK_API_SHA256") or settings.get("sha256")
    if not token:
        raise ApiError("no token: give --token or set ROOTSTOCK_API_TOKEN")
    return Appliance(url, token, sha256, pin_file)


def quote(part):
    return urllib.parse.quote(part, safe="")


def print_table(rows, columns):
    widths = [max([len(c)] + [len(str(r.get(c, ""))) for r in rows]) for c in columns]
    print("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths)))
    for r in rows:
        print("  ".join(str(r.get(c, "")).ljust(w) for c, w in zip(columns, widths)))


def vm_spec(args):
    if args.spec:
        return json.loads(Path(args.spec).read_text())
    if not args.kernel:
        raise ApiError("vm create needs --kernel PATH (on the appliance) or --spec FILE")
    boot = {"kernel_image_path": args.kernel}
    if args.initrd:
        boot["initrd_path"] = args.initrd
    if args.cmdline:
        boot["boot_args"] = args.cmdline
    spec = {"boot-source": boot,
            "machine-config": {"vcpu_count": args.vcpus, "mem_size_mib": args.mem},
            "autostart": args.autostart}
    drives = []
    for i, disk in enumerate(args.disk or []):
        path, _, mode = disk.partition(":")
        drives.append({"drive_id": f"disk{i}", "path_on_host": path, "is_root_device": False,
                       "is_read_only": mode == "ro"})
    if drives:
        spec["drives"] = drives
    return spec


def console(appliance, vm):
    """Follows the VM's console; each line typed goes to it. Ctrl-C ends it, and so does Ctrl-D at
    a terminal; with input from a pipe or a file the output is followed on after the input. At a
    terminal, its size (and each change of it) goes to the VM's hvc0."""
    r, conn = appliance.request("GET", f"/vms/{quote(vm)}/console?follow=1", stream=True)

    def follow():
        try:
            while True:
                data = r.read1(4096)
                if not data:
                    break
                sys.stdout.buffer.write(data)
                sys.stdout.buffer.flush()
        except (OSError, http.client.HTTPException):
            pass
        print("\nrootstock: the console ended", file=sys.stderr)
        os._exit(0)

    def send_size(*_):
        # The terminal's size for the VM's hvc0 (PUT /vms/{id}/console/size); a VM that cannot
        # take it (not running) keeps its own.
        try:
            size = os.get_terminal_size(sys.stdout.fileno())
            appliance.request("PUT", f"/vms/{quote(vm)}/console/size",
                              body={"cols": size.columns, "rows": size.lines})
        except (OSError, ApiError):
            pass

    if sys.stdout.isatty():
        send_size()
        signal.signal(signal.SIGWINCH, send_size)
    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    try:
        for line in sys.stdin:
            appliance.request("POST", f"/vms/{quote(vm)}/console", body=line.encode())
        if not sys.stdin.isatty():
            # Input from a pipe or a file has ended: the output is still followed, until
            # Ctrl-C or the console's end.
            reader.join()
    except KeyboardInterrupt:
        pass
    # The reader may be inside a read: leave without tearing the connection down under it.
    sys.stdout.flush()
    os._exit(0)


def image_put(appliance, name, file):
    size = os.path.getsize(file)
    digest = hashlib.sha256()
    with open(file, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    with open(file, "rb") as f:
        status, image = appliance.request(
            "PUT", f"/images/{quote(name)}", body=f,
            headers={"Content-Length": str(size), "Content-Type": "application/octet-stream",
                     "X-Content-SHA256": digest.hexdigest()})
    print(f"{image['name']}: {image['size']} bytes, sha256 {digest.hexdigest()}; a VM names it as "
          f"{image['path']}")


def main():
    p = argparse.ArgumentParser(prog="rootstock", description=__doc__.splitlines()[0])
    p.add_argument("--api", help="https://HOST:PORT of the appliance")
    p.add_argument("--token", help="its API token (ROOTSTOCK_API_TOKEN)")
    p.add_argument("--sha256", help="its certificate's SHA-256, from api-ready (ROOTSTOCK_API_SHA256)")
    sub = p.add_subparsers(dest="what", required=True)
    vm = sub.add_parser("vm").add_subparsers(dest="action", required=True)
    vm.add_parser("list")
    for action in ("show", "start", "stop", "pause", "resume", "delete", "console"):
        vm.add_parser(action).add_argument("id")
    create = vm.add_parser("create")
    create.add_argument("id")
    create.add_argument("--spec")
    create.add_argument("--kernel")
    create.add_argument("--initrd")
    create.add_argument("--cmdline")
    create.add_argument("--vcpus", type=int, default=1)
    create.add_argument("--mem", type=int, default=128, help="MiB")
    create.add_argument("--disk", action="append", help="PATH or PATH:ro, on the appliance")
    create.add_argument("--autostart", action="store_true")
    image = sub.add_parser("image").add_subparsers(dest="action", required=True)
    image.add_parser("list")
    put = image.add_parser("put")
    put.add_argument("name")
    put.add_argument("file")
    image.add_parser("delete").add_argument("name")
    # The appliance's options may stand anywhere: `rootstock vm list --api …` as well.
    argv, rest = [], sys.argv[1:]
    while rest:
        word = rest.pop(0)
        if word in ("--api", "--token", "--sha256") and rest:
            argv[:0] = [word, rest.pop(0)]
        else:
            argv.append(word)
    args = p.parse_args(argv)

    a = appliance_from(args)
    if args.what == "image":
        if args.action == "list":
            _, images = a.request("GET", "/images")
            print_table(images, ["name", "size", "path"])
        elif args.action == "put":
            image_put(a, args.name, args.file)
        else:
            a.request("DELETE", f"/images/{quote(args.name)}")
        return
    if args.action == "list":
        _, vms = a.request("GET", "/vms")
        for v in vms:
            v["last_exit"] = (v.get("last_exit") or {}).get("reason", "")
        print_table(vms, ["id", "name", "state", "start_count", "last_exit"])
        return
    path = f"/vms/{quote(args.id)}"
    if args.action == "show":
        _, info = a.request("GET", path)
        _, config = a.request("GET", path + "/vm/config")
        print(json.dumps({"vm": info, "config": config}, indent=2))
    elif args.action == "create":
        a.request("PUT", path, body=vm_spec(args))
        print(f"vm {args.id} created; start it with: rootstock vm start {args.id}")
    elif args.action == "start":
        a.request("PUT", path + "/actions", body={"action_type": "InstanceStart"})
    elif args.action == "stop":
        a.request("POST", path + "/stop")
    elif args.action in ("pause", "resume"):
        a.request("PATCH", path + "/vm",
                  body={"state": "Paused" if args.action == "pause" else "Resumed"})
    elif args.action == "delete":
        a.request("DELETE", path)
    elif args.action == "console":
        console(a, args.id)


if __name__ == "__main__":
    try:
        main()
    except ApiError as e:
        print(f"rootstock: {e}", file=sys.stderr)
        sys.exit(1)
    except (OSError, socket.timeout) as e:
        print(f"rootstock: {e}", file=sys.stderr)
        sys.exit(1)
