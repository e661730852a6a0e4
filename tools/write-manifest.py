#!/usr/bin/env python3
"""write-manifest.py --source SRC --build OUT --version V --sysroot DIR --cache DIR

Writes OUT/manifest.json, what a build was made from and what it made (README "Reproducible
builds", DESIGN.md §8): the project's version, git commit and whether the tree was dirty; the
kernel's source package, version (which moves with Debian's security updates), the pin if any
(ROOTSTOCK_KERNEL_VERSION) and its tarball's SHA-256; the Debian packages the build reads, with
the SHA-256 of the source archives and files it takes whole; the toolchain's versions; and the
SHA-256 (and GNU build ID) of every artifact of tools/artifacts.list.

The manifest is itself reproducible: no times, no absolute paths, sorted keys, so two builds of
the same sources at different paths write the same bytes. Called by the superbuild
(cmake/manifest.cmake) after the parts that make artifacts."""

import argparse
import json
import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # the source tree stays clean
import artifacts  # noqa: E402  (tools/artifacts.py)

# The Debian packages the build reads: what each is for, and the files it takes whole (by
# name, looked up on PATH or under the package's own folder).
PACKAGES = {
    "linux-source-6.12": "the kernel source (the root's and the default child's kernel)",
    "musl-dev": "the C library of the static user space (sysroot)",
    "linux-libc-dev": "Linux UAPI headers in the sysroot",
    "clang-19": "C/C++ compiler: hv, user space, the sysroot's libc++",
    "lld-19": "linker of hv and user space",
    "llvm-19": "llvm-objcopy, llvm-strip, llvm-ar",
    "libclang-rt-19-dev": "compiler-rt builtins linked into user space",
    "gcc-12": "compiler of the kernel and the hvroot module",
    "binutils": "linker of the kernel and the hvroot module",
    "busybox-static": "the default child's busybox",
    "cmake": "build driver",
    "ninja-build": "build driver",
    "make": "Kbuild driver",
    "dosfstools": "mkfs.fat: rootstock.img's EFI system partition",
    "mtools": "mcopy, mmd: the files on rootstock.img's EFI system partition",
    "e2fsprogs": "mke2fs: rootstock.img's data partition",
}
TOOLS = {
    "clang": ["clang-19", "--version"],
    "ld.lld": ["ld.lld-19", "--version"],
    "gcc": ["gcc", "--version"],
    "ld": ["ld", "--version"],
    "cmake": ["cmake", "--version"],
    "ninja": ["ninja", "--version"],
    "make": ["make", "--version"],
}


def run(argv, cwd=None):
    try:
        result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    except OSError:
        return None
    return result.stdout if result.returncode == 0 else None


def first_line(text):
    return text.splitlines()[0].strip() if text else None


def packages(wanted):
    """{name: entry} for the Debian packages `wanted` ({name: purpose}), in one dpkg-query."""
    fmt = "${Package}\t${db:Status-Status}\t${Version}\t${source:Package}\t${source:Version}\n"
    result = {name: {"installed": False, "used_for": purpose} for name, purpose in wanted.items()}
    # dpkg-query fails when one of the names is unknown, but still prints the others.
    out = subprocess.run(["dpkg-query", "-W", "-f=" + fmt, *wanted], capture_output=True,
                         text=True, check=False).stdout
    for line in out.splitlines():
        name, status, version, source, source_version = line.split("\t")
        name = name.split(":")[0]  # musl-dev:amd64
        if name in wanted and status == "installed":
            result[name] = {"version": version, "source": source,
                            "source_version": source_version, "used_for": wanted[name]}
    return result


def git_state(source):
    commit = run(["git", "rev-parse", "HEAD"], cwd=source)
    if commit is None:
        return {"commit": None, "dirty": None}
    status = run(["git", "status", "--porcelain", "--untracked-files=normal"], cwd=source)
    return {"commit": commit.strip(), "dirty": bool(status and status.strip())}


def read_key_values(path):
    """KEY=VALUE lines; {} when the file is absent."""
    values = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                key, sep, value = line.rstrip("\n").partition("=")
                if sep:
                    values[key] = value
    except FileNotFoundError:
        pass
    return values


def cached_sha256(path):
    """SHA-256 of a large, unchanging cached file, remembered beside it (PATH.sha256) so that a
    build does not read 150 MB every time; recomputed when the file is newer than the memo."""
    memo = path + ".sha256"
    try:
        if os.path.getmtime(memo) >= os.path.getmtime(path):
            with open(memo, encoding="ascii") as f:
                value = f.read().strip()
            if len(value) == 64:
                return value
    except OSError:
        pass
    value = artifacts.sha256_file(path)
    try:
        with open(memo + ".tmp", "w", encoding="ascii") as f:
            f.write(value + "\n")
        os.replace(memo + ".tmp", memo)
    except OSError:
        pass  # a read-only cache: the sum is still right
    return value


def kernel(build):
    source = read_key_values(os.path.join(build, "linux", "kernel-source"))
    return {
        "package": source.get("package"),
        "version": source.get("version"),
        "pinned": os.environ.get("ROOTSTOCK_KERNEL_VERSION") or None,
        "archive": source.get("archive"),
        "archive_sha256": source.get("sha256"),
        "cache_key": source.get("key"),
    }


def sysroot(path, cache, clang):
    upstream = clang.get("source_version", "").split(":")[-1].split("-")[0]
    archive = f"llvm-toolchain-19_{upstream}.orig.tar.xz"
    archive_path = os.path.join(cache, archive)
    return {
        "cache_key": os.path.basename(os.path.normpath(path)),
        "llvm_source": {
            "package": "llvm-toolchain-19",
            "version": clang.get("source_version"),
            "archive": archive,
            "archive_sha256": cached_sha256(archive_path) if os.path.isfile(archive_path) else None,
        },
    }


def outputs(build):
    result = {}
    for name, optional in artifacts.read_list():
        path = os.path.join(build, name)
        if not os.path.isfile(path):
            if optional:
                continue
            sys.exit(f"write-manifest: {name} was not built ({path})")
        entry = {"sha256": artifacts.sha256_file(path), "size": os.path.getsize(path)}
        with open(path, "rb") as f:
            head = f.read(64)
        if artifacts.is_elf64(head):
            with open(path, "rb") as f:
                build_id = artifacts.gnu_build_id(f.read())
            if build_id:
                entry["gnu_build_id"] = build_id
        result[name] = entry
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True)
    parser.add_argument("--build", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--sysroot", required=True)
    parser.add_argument("--cache", required=True)
    args = parser.parse_args()

    debian = packages(PACKAGES)
    busybox = shutil.which("busybox")
    if busybox and debian["busybox-static"].get("version"):
        debian["busybox-static"]["files"] = {"busybox": artifacts.sha256_file(busybox)}
    libc = os.path.join(args.sysroot, "usr", "lib", "libc.a")
    if debian["musl-dev"].get("version"):
        debian["musl-dev"]["files"] = {"libc.a": artifacts.sha256_file(libc)}
    manifest = {
        "manifest_format": 1,
        "project": {"name": "rootstock", "version": args.version, **git_state(args.source)},
        "kernel": kernel(args.build),
        "sysroot": sysroot(args.sysroot, args.cache, debian["clang-19"]),
        "debian_packages": debian,
        "toolchain": {name: first_line(run(argv)) for name, argv in TOOLS.items()},
        "outputs": outputs(args.build),
    }
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=True) + "\n"
    target = os.path.join(args.build, "manifest.json")
    try:
        with open(target, encoding="utf-8") as f:
            if f.read() == text:
                return  # unchanged: keep the file's date
    except OSError:
        pass
    with open(target + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(target + ".tmp", target)


if __name__ == "__main__":
    main()
