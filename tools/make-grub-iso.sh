#!/usr/bin/env bash
# make-grub-iso.sh ELF ISO CMDLINE: a BIOS-bootable ISO (grub-mkrescue, Debian's GRUB) that
# boots ELF through Multiboot2 with CMDLINE, GRUB's own output on the serial console. Used to
# test hv's Multiboot2 entry in QEMU and in Bochs (which has no -kernel).
set -euo pipefail
elf=$1 iso=$2 cmdline=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work" "$iso.tmp"' EXIT
# The ISO's tree and grub-mkrescue's log live apart: a log inside the tree changes while
# xorriso packs it.
tree="$work/tree"
mkdir -p "$tree/boot/grub"
cp "$elf" "$tree/boot/hv.elf"
cat >"$tree/boot/grub/grub.cfg" <<CFG
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout=0
set default=0
menuentry "Rootstock hv" {
  multiboot2 /boot/hv.elf $cmdline
  boot
}
CFG
# Fixed timestamps keep the ISO the same from build to build.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000} \
  grub-mkrescue --output="$iso.tmp" "$tree" -- -volid ROOTSTOCK >/dev/null 2>"$work/log" ||
  { cat "$work/log" >&2; exit 1; }
mv -f "$iso.tmp" "$iso"
