"""The build's artifacts and what is read out of them, for tools/write-manifest.py and
tools/compare-builds.py: the list (tools/artifacts.list), SHA-256 sums, the sections of an ELF
file (System V gABI, ELF-64 little-endian: every ELF the build makes) and the entries of a
newc cpio archive (the initramfs format, Linux
Documentation/driver-api/early-userspace/buffer-format.rst)."""

import hashlib
import os
import struct

LIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "artifacts.list")


def read_list(path=LIST):
    """[(relative path, optional)] in the list's order."""
    artifacts = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if len(words) > 2 or (len(words) == 2 and words[1] != "optional"):
                raise ValueError(f"{path}:{number}: expected 'PATH [optional]', got {line.strip()!r}")
            artifacts.append((words[0], len(words) == 2))
    return artifacts


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def is_elf64(data):
    return data[:4] == b"\x7fELF" and len(data) >= 64 and data[4] == 2 and data[5] == 1


def elf_sections(data):
    """[(name, type, bytes)] of an ELF-64 little-endian file, in section header order; NOBITS
    sections have no bytes. Raises ValueError for anything else."""
    if not is_elf64(data):
        raise ValueError("not an ELF-64 little-endian file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    if shoff == 0 or shnum == 0:
        return []
    if shentsize < 64 or shoff + shnum * shentsize > len(data) or shstrndx >= shnum:
        raise ValueError("section headers out of bounds")
    headers = []
    for i in range(shnum):
        name, kind, _flags, _addr, offset, size = struct.unpack_from("<IIQQQQ", data,
                                                                      shoff + i * shentsize)
        headers.append((name, kind, offset, size))
    _, _, str_offset, str_size = headers[shstrndx]
    names = data[str_offset:str_offset + str_size]
    sections = []
    for name, kind, offset, size in headers:
        end = names.find(b"\0", name)
        text = names[name:end if end >= 0 else len(names)].decode("ascii", "replace")
        body = b"" if kind == 8 else data[offset:offset + size]  # SHT_NOBITS
        sections.append((text, kind, body))
    return sections


def gnu_build_id(data):
    """The GNU build ID (hex) of an ELF file, or None."""
    try:
        sections = elf_sections(data)
    except ValueError:
        return None
    for name, kind, body in sections:
        if name != ".note.gnu.build-id" or kind != 7 or len(body) < 12:  # SHT_NOTE
            continue
        name_size, desc_size, note_type = struct.unpack_from("<III", body, 0)
        desc = 12 + ((name_size + 3) & ~3)
        if note_type == 3 and body[12:12 + name_size] == b"GNU\0":  # NT_GNU_BUILD_ID
            return body[desc:desc + desc_size].hex()
    return None


def cpio_entries(data):
    """[(name, mode, bytes)] of a newc ("070701") cpio archive, up to the trailer."""
    entries = []
    pos = 0
    while pos + 110 <= len(data):
        header = data[pos:pos + 110]
        if header[:6] != b"070701":
            raise ValueError(f"no newc header at offset {pos:#x}")
        fields = [int(header[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, file_size, name_size = fields[1], fields[6], fields[11]
        name_start = pos + 110
        name = data[name_start:name_start + name_size - 1].decode("utf-8", "replace")
        body_start = (name_start + name_size + 3) & ~3
        if name == "TRAILER!!!":
            break
        entries.append((name, mode, data[body_start:body_start + file_size]))
        pos = (body_start + file_size + 3) & ~3
    return entries
