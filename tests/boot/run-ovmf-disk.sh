#!/usr/bin/env bash
# run-ovmf-disk.sh DIR IMAGE --disk nvme|virtio|usb [--size SIZE] [--config FILE [--esp-file F]...]
#   [--again | --from DIR2] -- QEMU ARGS...:
# boots a disk image (rootstock.img) under OVMF (Debian's ovmf package) as the one disk of the
# kind asked: an NVMe controller, a virtio-blk PCI device, or a USB stick (usb-storage on an
# xHCI controller). The disk is DIR/disk.img, a sparse copy of IMAGE grown to SIZE (truncate's
# sizes: 256M, 2G; at least the image's, which it keeps when not given), beside a writable
# copy of OVMF's variable store, both made afresh; --config FILE replaces the configuration file
# on the copy's EFI system partition (\rootstock.json), as a user edits it before the first
# boot, and each --esp-file F goes beside it under its own name (a certificate the file names). With --again DIR is used as an earlier run
# left it: the same disk, as the last boot changed it, and the same variables, so that a test
# can boot a machine a second time. With --from DIR2, DIR is made afresh as a copy of what a run
# in DIR2 left: a later boot of that machine that can itself be run again (a retried test starts
# from the same disk). The script becomes QEMU (exec): whoever started it ends
# QEMU by this PID.
set -euo pipefail
usage() {
  echo "usage: run-ovmf-disk.sh DIR IMAGE --disk nvme|virtio|usb [--size SIZE] [--config FILE [--esp-file F]...] [--again | --from DIR2] --" \
       "QEMU ARGS..." >&2
  exit 2
}
[[ $# -ge 2 ]] || usage
dir=$1 image=$2
shift 2
kind= size= config= again=0 from= esp_files=()
while [[ $# -gt 0 && $1 != -- ]]; do
  case $1 in
    --disk) [[ $# -ge 2 ]] || usage; kind=$2; shift 2 ;;
    --size) [[ $# -ge 2 ]] || usage; size=$2; shift 2 ;;
    --config) [[ $# -ge 2 ]] || usage; config=$2; shift 2 ;;
    --esp-file) [[ $# -ge 2 ]] || usage; esp_files+=("$2"); shift 2 ;;
    --again) again=1; shift ;;
    --from) [[ $# -ge 2 ]] || usage; from=$2; shift 2 ;;
    *) usage ;;
  esac
done
[[ ${1:-} == -- ]] || usage
shift
case $kind in
  nvme) device=(-device nvme,drive=disk0,serial=rootstock0) ;;
  virtio) device=(-device virtio-blk-pci,drive=disk0) ;;
  usb) device=(-device qemu-xhci,id=xhci -device usb-storage,bus=xhci.0,drive=disk0) ;;
  *) echo "run-ovmf-disk.sh: --disk must be nvme, virtio or usb" >&2; exit 2 ;;
esac
code=/usr/share/OVMF/OVMF_CODE_4M.fd
vars=/usr/share/OVMF/OVMF_VARS_4M.fd
[[ -r $code && -r $vars ]] || { echo "run-ovmf-disk.sh: no OVMF (apt-get install ovmf)" >&2; exit 2; }
disk=$dir/disk.img
if [[ -n $from ]]; then
  [[ -f $from/disk.img && -f $from/vars.fd ]] ||
    { echo "run-ovmf-disk.sh: --from $from, but it holds no disk from an earlier run" >&2; exit 2; }
  rm -rf "$dir"
  mkdir -p "$dir"
  cp "$from/vars.fd" "$dir/vars.fd"
  cp --sparse=always "$from/disk.img" "$disk"
elif ((again)); then
  [[ -f $disk && -f $dir/vars.fd ]] ||
    { echo "run-ovmf-disk.sh: --again, but $dir holds no disk from an earlier run" >&2; exit 2; }
else
  [[ -f $image ]] || { echo "run-ovmf-disk.sh: no image at $image" >&2; exit 2; }
  rm -rf "$dir"
  mkdir -p "$dir"
  cp "$vars" "$dir/vars.fd"
  cp --sparse=always "$image" "$disk"
  if [[ -n $size ]]; then
    truncate -s "$size" "$disk" ||
      { echo "run-ovmf-disk.sh: --size $size is not a size truncate takes" >&2; exit 2; }
    # A disk smaller than the image would cut off its data partition.
    if (($(stat -c %s "$disk") < $(stat -c %s "$image"))); then
      echo "run-ovmf-disk.sh: --size $size is smaller than the image ($(stat -c %s "$image") bytes)" >&2
      exit 2
    fi
  fi
fi
if [[ -n $config ]]; then
  [[ $again == 0 && -z $from ]] ||
    { echo "run-ovmf-disk.sh: --config goes with a fresh disk, not --again or --from" >&2; exit 2; }
  offset=$(python3 "$(dirname "$0")/../../tools/gpt-offset.py" "$disk" rootstock-esp)
  MTOOLS_SKIP_CHECK=1 mcopy -o -i "$disk@@$offset" "$config" ::/rootstock.json
  for f in "${esp_files[@]}"; do
    MTOOLS_SKIP_CHECK=1 mcopy -o -i "$disk@@$offset" "$f" "::/$(basename "$f")"
  done
elif [[ ${#esp_files[@]} -gt 0 ]]; then
  echo "run-ovmf-disk.sh: --esp-file goes with --config" >&2
  exit 2
fi
exec qemu-system-x86_64 \
  -drive "if=pflash,format=raw,readonly=on,file=$code" \
  -drive "if=pflash,format=raw,file=$dir/vars.fd" \
  -drive "if=none,id=disk0,format=raw,file=$disk" "${device[@]}" \
  "$@"
