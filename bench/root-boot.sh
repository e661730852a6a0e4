#!/usr/bin/env bash
# root-boot.sh BUILD_DIR [RUNS]: time from QEMU's start to the root's PID 1 (`root-init`) for the
# same kernel and initramfs booted two ways, alternating in one run so that the machine's noise
# hits both alike (TESTBEDS.md: compare side by side): plain Linux under QEMU -kernel, and the
# appliance image (hv, then the root partition). Prints each run, the medians, their ratio, and
# hv's exit counts by reason for the last hv boot.
set -euo pipefail
build=$1 runs=${2:-3}
boottest=$build/tests/rootstock-boottest
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
qemu=(qemu-system-x86_64 -accel tcg -machine q35 -cpu EPYC,+svm,+npt -smp 2 -m 1G
      -display none -vga none -serial stdio -no-reboot)

# Seconds from start to root-init in one boot (the harness's own step timing).
one_boot() {
  local name=$1
  shift
  local socket="$work/$name.monitor"
  "$boottest" --name "$name" --log-dir "$work" --keep-log --timeout 300 \
    --monitor-socket "$socket" --milestone 'root-init@240' --monitor 'system_powerdown@30' \
    --exit 0@60 -- "${qemu[@]}" -monitor "unix:$socket,server,nowait" "$@" 2>&1 |
    sed -n "s/.*\[ *\([0-9.]*\) s\] milestone 'root-init'.*/\1/p"
}

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

plain=() hv=()
for ((i = 1; i <= runs; i++)); do
  p=$(one_boot plain -kernel "$build/linux/bzImage" -initrd "$build/root/initramfs.cpio" \
        -append "console=ttyS0 loglevel=5")
  h=$(one_boot hv -kernel "$build/rootstock.elf")
  [[ -n $p && -n $h ]] || { echo "root-boot: a boot did not reach root-init" >&2; exit 1; }
  echo "run $i: plain ${p} s, under hv ${h} s"
  plain+=("$p") hv+=("$h")
done
mp=$(printf '%s\n' "${plain[@]}" | median)
mh=$(printf '%s\n' "${hv[@]}" | median)
echo "QEMU start -> root-init, -smp 2 -m 1G, $runs runs each, alternating:"
echo "  plain Linux (QEMU -kernel):  median ${mp} s"
echo "  under hv (rootstock.elf):    median ${mh} s"
ratio "$mp" "$mh" "ratio hv / plain:          "
echo "hv's exits during the last hv boot (to power-off):"
grep -o 'poweroff component=hv.*' "$work/hv.log" | tr -d '\r'
