#!/usr/bin/env bash
# make-child-rootfs.sh LIST IMAGE: the default child's files as an ext4 root file system image,
# for a child whose root is a virtio disk (image/examples/disks/ext4-root.json): the same files as
# its initramfs, read from the mkcpio list LIST (image/child/child.list.in, configured: dir, file,
# slink and nod lines), made without root privileges: an empty ext4 by mke2fs, the files, links
# and device nodes written into it by debugfs. Reproducible as rootstock.img's data
# partition is (tools/make-disk-image.sh): fixed UUID and hash seed, mke2fs's settings from
# image/disk/mke2fs.conf, every time SOURCE_DATE_EPOCH's.
set -euo pipefail
list=$1 image=$2
top=$(cd "$(dirname "$0")/.." && pwd)
epoch=${SOURCE_DATE_EPOCH:-1700000000}
export PATH=$PATH:/usr/sbin:/sbin
work=$(mktemp -d)
trap 'rm -rf "$work" "$image.tmp"' EXIT
# The files go in through debugfs commands in the list's order, not with mke2fs -d: that copies
# a folder in readdir order, which varies from folder to folder on most file systems, and with it
# the inode numbers and so the image.
cmds=$work/cmds
: >"$cmds"
while read -r kind path a b c d e f; do
  dir=${path%/*}
  name=${path##*/}
  case $kind in
    dir) printf 'mkdir %s\nsif %s mode 0%o\n' "$path" "$path" "$((8#40000 | 8#$a))" >>"$cmds" ;;
    file) printf 'cd /%s\nwrite %s %s\nsif %s mode 0%o\ncd /\n' "${dir#/}" "$a" "$name" \
            "$path" "$((8#100000 | 8#$b))" >>"$cmds" ;;
    slink) printf 'cd /%s\nsymlink %s %s\ncd /\n' "${dir#/}" "$name" "$a" >>"$cmds" ;;
    # nod PATH MODE UID GID TYPE MAJOR MINOR
    nod) printf 'cd /%s\nmknod %s %s %s %s\ncd /\n' "${dir#/}" "$name" "$d" "$e" "$f" >>"$cmds" ;;
    ''|'#'*) ;;
    *) echo "make-child-rootfs: unknown line kind '$kind' in $list" >&2; exit 1 ;;
  esac
done < <(grep -v '^#' "$list" | sed 's/ \+/ /g'; echo)
# 6 MiB of 1 KiB blocks: busybox (about 2 MiB), a 1 MiB journal, and room for what the child writes.
truncate -s 6M "$image.tmp"
MKE2FS_CONFIG=$top/image/disk/mke2fs.conf E2FSPROGS_FAKE_TIME=$epoch \
  mke2fs -q -t ext4 -b 1024 -J size=1 -L child-root -U 3f0c1b2e-5d4a-4e6f-9a8b-7c6d5e4f3a21 \
  -E "hash_seed=5b0e3c1d-2a4f-4b6e-8d7c-9e0f1a2b3c4d,root_owner=0:0,lazy_itable_init=0,lazy_journal_init=0,nodiscard" \
  "$image.tmp" </dev/null >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
E2FSPROGS_FAKE_TIME=$epoch debugfs -w -f "$cmds" "$image.tmp" >"$work/log" 2>&1 ||
  { cat "$work/log" >&2; exit 1; }
# debugfs exits 0 whatever a command says: every line but its banner and the commands it
# echoes ("debugfs: mkdir /bin") is a complaint.
if grep -v -e '^debugfs [0-9]' -e '^debugfs: ' -e '^Allocated inode: ' "$work/log" >&2; then
  echo "make-child-rootfs: debugfs refused a command (above)" >&2
  exit 1
fi
e2fsck -fn "$image.tmp" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
mv -f "$image.tmp" "$image"
