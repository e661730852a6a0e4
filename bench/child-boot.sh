#!/usr/bin/env bash
# child-boot.sh BUILD_DIR [RUNS]: how long the default child's Linux takes to reach its init,
# against the same kernel and initramfs under plain QEMU, alternating in one run so that the
# machine's noise hits both alike (TESTBEDS.md: compare side by side). The child: from the
# appliance's vm-started milestone to the child's "rootstock-child: init reached" (2 vCPUs,
# 256 MiB, under hv in the appliance). Plain: from QEMU's start to the same line with
# `-kernel build/linux/bzImage -initrd build/child/initramfs.cpio -smp 2 -m 256M`. Both under
# single-threaded TCG, as the boot tests run children. Prints each run, the medians and their
# ratio.
set -euo pipefail
build=$1 runs=${2:-3}
boottest=$build/tests/rootstock-boottest
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck disable=SC2054  # "tcg,thread=single" is one argument
qemu=(qemu-system-x86_64 -accel tcg,thread=single -machine q35 -display none -vga none
      -serial stdio -no-reboot)
child_cmdline='console=ttyS0 rootstock.child_cmd=poweroff'

# Seconds from vm-started to the child's init, the appliance with its default child.
child_boot() {
  local socket="$work/child.monitor"
  "$boottest" --name child --log-dir "$work" --keep-log --timeout 400 \
    --monitor-socket "$socket" --milestone 'vm-started id=0@240' \
    --text 'child0: rootstock-child: init reached@240' --milestone 'vm-exited id=0@60' \
    --monitor 'system_powerdown@30' --exit 0@60 -- "${qemu[@]}" -cpu EPYC,+svm,+npt -smp 2 -m 1G \
    -monitor "unix:$socket,server,nowait" -kernel "$build/rootstock.elf" \
    -append "rootstock.vm_cmdline=\"$child_cmdline\"" > "$work/child.out" 2>&1
  local started reached
  started=$(step_time "$work/child.out" "milestone 'vm-started")
  reached=$(step_time "$work/child.out" "text 'child0: rootstock-child: init reached")
  [[ -n $started && -n $reached ]] && awk -v a="$started" -v b="$reached" 'BEGIN {printf "%.2f", b - a}'
}

# Seconds from QEMU's start to the same line, the same kernel and initramfs without hv.
plain_boot() {
  local socket="$work/plain.monitor"
  "$boottest" --name plain --log-dir "$work" --keep-log --timeout 300 \
    --monitor-socket "$socket" --text 'rootstock-child: init reached@240' --exit 0@60 -- \
    "${qemu[@]}" -cpu EPYC -smp 2 -m 256M -monitor "unix:$socket,server,nowait" \
    -kernel "$build/linux/bzImage" -initrd "$build/child/initramfs.cpio" \
    -append "$child_cmdline" > "$work/plain.out" 2>&1
  step_time "$work/plain.out" "text 'rootstock-child: init reached"
}

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

plain=() child=()
for ((i = 1; i <= runs; i++)); do
  p=$(plain_boot) c=$(child_boot)
  [[ -n $p && -n $c ]] || { echo "child-boot: a boot did not reach the child's init" >&2; exit 1; }
  echo "run $i: plain ${p} s, child under hv ${c} s"
  plain+=("$p") child+=("$c")
done
mp=$(printf '%s\n' "${plain[@]}" | median)
mc=$(printf '%s\n' "${child[@]}" | median)
echo "to the child's init, 2 vCPUs, 256 MiB, single-threaded TCG, $runs runs each, alternating:"
echo "  plain Linux (QEMU -kernel, from QEMU's start):  median ${mp} s"
echo "  default child (from vm-started):                median ${mc} s"
ratio "$mp" "$mc" "ratio child / plain:                          "
