#!/usr/bin/env python3
"""compare-builds.py FIRST SECOND: compares every artifact of tools/artifacts.list, and the
manifest, between two build folders. Prints one line per artifact (its SHA-256 when the two are
the same); for one that differs, says where: the ELF sections that differ (the first offset in
each), the initramfs entry that differs (and inside it, when it is an ELF file, the sections),
or the first differing byte. Exits 1 when anything differs or a required artifact is missing.
Used by tools/check-image-reproducible.sh; usable by hand on any two build folders."""

import os
import sys

sys.dont_write_bytecode = True  # the source tree stays clean
import artifacts  # noqa: E402  (tools/artifacts.py)

MOST_SECTIONS_NAMED = 6


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def describe_elf(a, b):
    first, second = artifacts.elf_sections(a), artifacts.elf_sections(b)
    names_a, names_b = [s[0] for s in first], [s[0] for s in second]
    if names_a != names_b:
        only_a = sorted(set(names_a) - set(names_b))
        only_b = sorted(set(names_b) - set(names_a))
        return (f"the section lists differ (only in the first: {only_a or 'none'}; only in the "
                f"second: {only_b or 'none'})")
    differing = []
    for (name, _, body_a), (_, _, body_b) in zip(first, second):
        if body_a != body_b:
            where = first_difference(body_a, body_b)
            sizes = "" if len(body_a) == len(body_b) else f", {len(body_a)} and {len(body_b)} bytes"
            differing.append(f"{name or '(unnamed)'} at +{where:#x}{sizes}")
    if not differing:
        return f"the sections are the same; headers differ at byte {first_difference(a, b):#x}"
    # The build ID hashes everything else: name it last, as the consequence it is.
    differing.sort(key=lambda d: d.startswith(".note.gnu.build-id"))
    named = differing[:MOST_SECTIONS_NAMED]
    more = len(differing) - len(named)
    return "sections differ: " + "; ".join(named) + (f"; and {more} more" if more else "")


def describe_cpio(a, b):
    first, second = artifacts.cpio_entries(a), artifacts.cpio_entries(b)
    for (name_a, mode_a, body_a), (name_b, mode_b, body_b) in zip(first, second):
        if name_a != name_b:
            return f"entry {name_a} in the first where the second has {name_b}"
        if mode_a != mode_b:
            return f"entry {name_a}: mode {mode_a:o} and {mode_b:o}"
        if body_a != body_b:
            return f"entry {name_a}: {describe(body_a, body_b)}"
    if len(first) != len(second):
        return f"{len(first)} and {len(second)} entries"
    return f"the entries are the same; headers differ at byte {first_difference(a, b):#x}"


def describe(a, b):
    try:
        if artifacts.is_elf64(a) and artifacts.is_elf64(b):
            return describe_elf(a, b)
        if a[:6] == b"070701" and b[:6] == b"070701":
            return describe_cpio(a, b)
    except ValueError as e:
        return f"unreadable ({e}); first difference at byte {first_difference(a, b):#x}"
    try:
        lines_a, lines_b = a.decode("utf-8").splitlines(), b.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        sizes = "" if len(a) == len(b) else f" ({len(a)} and {len(b)} bytes)"
        return f"first difference at byte {first_difference(a, b):#x}{sizes}"
    line = first_difference(lines_a, lines_b)
    shown = [lines[line].strip() if line < len(lines) else "(end)" for lines in (lines_a, lines_b)]
    return f"line {line + 1}: {shown[0]!r} and {shown[1]!r}"


def compare(first, second, name, optional):
    """True when the artifact is the same in both (or, being optional, in neither)."""
    path_a, path_b = os.path.join(first, name), os.path.join(second, name)
    have_a, have_b = os.path.isfile(path_a), os.path.isfile(path_b)
    if not have_a and not have_b:
        print(f"  {'not built':<16}  {name}" + (" (optional)" if optional else " MISSING"))
        return optional
    if have_a != have_b:
        print(f"  {'DIFFERS':<16}  {name}: only the {'first' if have_a else 'second'} build has it")
        return False
    sum_a, sum_b = artifacts.sha256_file(path_a), artifacts.sha256_file(path_b)
    if sum_a == sum_b:
        print(f"  {sum_a[:16]}  {name}")
        return True
    with open(path_a, "rb") as f:
        a = f.read()
    with open(path_b, "rb") as f:
        b = f.read()
    print(f"  {'DIFFERS':<16}  {name}: {describe(a, b)}")
    return False


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: compare-builds.py FIRST_BUILD SECOND_BUILD")
    first, second = sys.argv[1:]
    same = True
    for name, optional in artifacts.read_list() + [("manifest.json", False)]:
        same = compare(first, second, name, optional) and same
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
