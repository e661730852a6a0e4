#!/usr/bin/env bash
# make-disk-image.sh MKDISK IMAGE EFI CONFIG EXAMPLE: rootstock.img, the disk image users flash
# (docs/DESIGN.md §8), made without root privileges. The EFI system partition is a FAT32 file
# (mkfs.fat, then mtools) holding EFI as \EFI\BOOT\BOOTX64.EFI, CONFIG as \rootstock.json and
# EXAMPLE as \rootstock.example.json; the data partition an empty ext4 file (mke2fs); MKDISK
# (rootstock-mkdisk) writes the GPT and copies both in. Sizes, names and identifiers come from
# MKDISK --layout (image/disk/disk_layout.hpp).
#
# Reproducible: fixed identifiers, mke2fs's settings from image/disk/mke2fs.conf instead of the
# host's, and every time stamp SOURCE_DATE_EPOCH (1700000000 unless set, as make-grub-iso.sh).
set -euo pipefail
[[ $# -eq 5 ]] || { echo "usage: make-disk-image.sh MKDISK IMAGE EFI CONFIG EXAMPLE" >&2; exit 2; }
mkdisk=$1 image=$2 efi=$3 config=$4 example=$5
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# mkfs.fat and mke2fs are in sbin, which a user's PATH may lack.
export PATH=$PATH:/usr/sbin:/sbin
work=$(mktemp -d)
trap 'rm -rf "$work" "$image.tmp"' EXIT

declare -A layout
variables=$("$mkdisk" --layout)
while IFS='=' read -r key value; do
  layout[$key]=$value
done <<<"$variables"
for key in esp_bytes esp_first_lba esp_volume_id esp_volume_label data_bytes data_fs_label \
           data_fs_uuid data_fs_hash_seed; do
  [[ -n ${layout[$key]:-} ]] || { echo "make-disk-image: $mkdisk --layout gave no $key" >&2; exit 1; }
done

epoch=${SOURCE_DATE_EPOCH:-1700000000}
# FAT keeps local times: the same in every time zone only in one. mtools dates the folders it
# makes from SOURCE_DATE_EPOCH, and the files copied with -m from their own times, set below.
export TZ=UTC SOURCE_DATE_EPOCH=$epoch
# Long file names and their 8.3 short names (ROOTST~1.JSO) whatever ~/.mtoolsrc says.
export MTOOLS_NO_VFAT=0 MTOOLS_NAME_NUMERIC_TAIL=1 MTOOLS_LOWER_CASE=0

# The EFI system partition. The hidden sectors (-h) are the sectors before it on the disk.
esp=$work/esp.img
truncate -s "${layout[esp_bytes]}" "$esp"
mkfs.fat -F 32 --invariant -i "${layout[esp_volume_id]}" -n "${layout[esp_volume_label]}" \
  -h "${layout[esp_first_lba]}" "$esp" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
mkdir "$work/files"
put() {
  local file=$work/files/${2##*/}
  install -m 0644 "$1" "$file"
  touch -d "@$epoch" "$file"
  mcopy -m -i "$esp" "$file" "::$2"
}
mmd -i "$esp" ::/EFI ::/EFI/BOOT
put "$efi" /EFI/BOOT/BOOTX64.EFI
put "$config" /rootstock.json
put "$example" /rootstock.example.json
fsck.fat -n "$esp" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }

# The data partition: empty ext4 with a journal. E2FSPROGS_FAKE_TIME dates the superblock and
# the inodes; the inode tables and the journal are written out now (lazy_*_init=0), as zeros
# rather than by discarding (nodiscard), so nothing depends on the host's kernel or on what a
# discard leaves, and the first boot has no tables to zero in the background.
data=$work/data.img
truncate -s "${layout[data_bytes]}" "$data"
MKE2FS_CONFIG=$top/image/disk/mke2fs.conf E2FSPROGS_FAKE_TIME=$epoch \
  mke2fs -q -t ext4 -T default -b 4096 -L "${layout[data_fs_label]}" -U "${layout[data_fs_uuid]}" \
  -E "hash_seed=${layout[data_fs_hash_seed]},root_owner=0:0,lazy_itable_init=0,lazy_journal_init=0,nodiscard" \
  "$data" </dev/null >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
e2fsck -fn "$data" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }

rm -f "$image.tmp"
"$mkdisk" "$image.tmp" "$esp" "$data"
mv -f "$image.tmp" "$image"
