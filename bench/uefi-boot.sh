#!/usr/bin/env bash
# uefi-boot.sh BUILD_DIR [RUNS]: power-on to the root's PID 1 (`root-init`) and to the default
# child's init for the appliance booted two ways, alternating in one run so that the machine's
# noise hits both alike (TESTBEDS.md: compare side by side): rootstock.elf with QEMU -kernel,
# and rootstock.img as a user flashes it, from an NVMe disk under UEFI (OVMF), where the
# firmware, the loader (rootstock.efi) and the first boot's work on the disk (fresh GUIDs, the
# data partition grown from 64 MiB to fill 1 GiB) come on top. A fresh copy of the image each
# run, so each is a first boot. Single-threaded TCG, as the boot tests run the default child.
# Prints each run, the medians and their ratios, and the image's and the loader's sizes.
set -euo pipefail
build=$1 runs=${2:-3}
boottest=$build/tests/rootstock-boottest
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck disable=SC2054  # "tcg,thread=single" is one argument
machine=(-accel tcg,thread=single -machine q35 -cpu EPYC,+svm,+npt -smp 2 -m 1G -nic none
         -display none -vga none -serial stdio -no-reboot)

# "ROOT_INIT CHILD_INIT" in seconds from QEMU's start, for one boot: boot NAME COMMAND...
boot() {
  local name=$1
  shift
  local socket="$work/$name.monitor"
  "$boottest" --name "$name" --log-dir "$work" --keep-log --timeout 400 \
    --monitor-socket "$socket" --milestone 'root-init@300' \
    --text 'child0: rootstock-child: init reached@300' \
    --monitor 'system_powerdown@30' --exit 0@90 -- "$@" -monitor "unix:$socket,server,nowait" \
    > "$work/$name.out" 2>&1 || true
  local root child
  root=$(step_time "$work/$name.out" "milestone 'root-init")
  child=$(step_time "$work/$name.out" "text 'child0: rootstock-child: init reached")
  [[ -n $root && -n $child ]] && echo "$root $child"
}

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

kroot=() kchild=() uroot=() uchild=()
for ((i = 1; i <= runs; i++)); do
  k=$(boot kernel qemu-system-x86_64 "${machine[@]}" -kernel "$build/rootstock.elf")
  u=$(boot uefi "$top/tests/boot/run-ovmf-disk.sh" "$work/disk" "$build/rootstock.img" \
        --disk nvme --size 1G -- "${machine[@]}")
  [[ -n $k && -n $u ]] || { echo "uefi-boot: a boot did not reach the child's init" >&2; exit 1; }
  read -r kr kc <<<"$k"
  read -r ur uc <<<"$u"
  echo "run $i: -kernel root-init ${kr} s, child ${kc} s; UEFI + NVMe root-init ${ur} s, child ${uc} s"
  kroot+=("$kr") kchild+=("$kc") uroot+=("$ur") uchild+=("$uc")
done
med() { printf '%s\n' "$@" | median; }
mkr=$(med "${kroot[@]}") mkc=$(med "${kchild[@]}") mur=$(med "${uroot[@]}") muc=$(med "${uchild[@]}")
echo "power-on -> root-init and -> the default child's init, -smp 2 -m 1G, $runs runs each, alternating:"
echo "  rootstock.elf, QEMU -kernel:          median ${mkr} s, ${mkc} s"
echo "  rootstock.img, OVMF, NVMe, first boot: median ${mur} s, ${muc} s"
ratio "$mkr" "$mur" "ratio UEFI / -kernel, root-init:      "
ratio "$mkc" "$muc" "ratio UEFI / -kernel, child's init:   "
echo "sizes: rootstock.efi $(stat -c %s "$build/rootstock.efi") bytes;" \
     "rootstock.img $(stat -c %s "$build/rootstock.img") bytes ($(du -k "$build/rootstock.img" | cut -f1) KiB on disk)"
