#!/usr/bin/env bash
# appliance.sh: the Rootstock side of the peer benchmark (bench/peer/run.sh is the KVM side).
# The appliance (rootstock.elf) boots under QEMU TCG with emulated SVM + NPT, the same machine
# the peer's L1 gets (-smp 2 -m 2G, multi-threaded TCG by default, as run.sh: the peer's child
# stalls under single-threaded TCG), without its default child, and runs
# one VM: the same child kernel, initramfs, command line, vCPUs and memory as the peer's. The
# child's files and spec reach the root as a second initramfs archive after the root's own
# (Linux unpacks them in order). For each run it prints:
#   vm start -> child init   from the vm-started milestone to the child's
#                            "rootstock-child: init reached" line (the host's clock, the
#                            harness's step times: the root relays the child's console)
#   child uptime at init     the child kernel's own uptime on that line (uptime_ms=)
#   io exit                  with rootstock.child_cmd=io-exits in the command line: the child's
#                            own figure for a port write out to the VMM's user space and back
#   exits                    hv's count of the run's exits by kind, and those the VMM handled
#
# Usage: appliance.sh [--runs N] [--host-accel A] [--child-kernel F] [--child-initrd F]
#                     [--append TEXT]
#   defaults: the stock-kernel child (build/stock-kernel/vmlinuz and child-initramfs.cpio),
#   "console=ttyS0 quiet mce=off rootstock.child_cmd=io-exits", 2 vCPUs, 256 MiB.
# BUILD is $ROOTSTOCK_BUILD or the checkout's build/ (./rootstock build made it).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${ROOTSTOCK_BUILD:-$repo/build}
runs=1 accel=tcg
kernel=$build/stock-kernel/vmlinuz
initrd=$build/stock-kernel/child-initramfs.cpio
append='console=ttyS0 quiet mce=off rootstock.child_cmd=io-exits'
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --host-accel) accel=$2; shift 2 ;;
    --child-kernel) kernel=$2; shift 2 ;;
    --child-initrd) initrd=$2; shift 2 ;;
    --append) append=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "appliance.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
for f in "$build/rootstock.elf" "$build/root/initramfs.cpio" "$build/tests/rootstock-boottest" \
         "$kernel" "$initrd"; do
  [[ -f $f ]] || { echo "appliance.sh: $f is missing (./rootstock build makes it)" >&2; exit 1; }
done

# shellcheck source=bench/lib.sh
source "$here/../lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The overlay: the child's files and its spec at the paths the root's archive does not use.
tree=$work/tree
mkdir -p "$tree/lib/rootstock/bench" "$tree/usr/share/rootstock/examples/bench"
cp "$kernel" "$tree/lib/rootstock/bench/vmlinuz"
cp "$initrd" "$tree/lib/rootstock/bench/initramfs.cpio"
python3 - "$append" >"$tree/usr/share/rootstock/examples/bench/bench.json" <<'PY'
import json, sys
print(json.dumps({
    "name": "bench", "autostart": True,
    "boot-source": {"kernel_image_path": "/lib/rootstock/bench/vmlinuz",
                    "initrd_path": "/lib/rootstock/bench/initramfs.cpio",
                    "boot_args": sys.argv[1]},
    "machine-config": {"vcpu_count": 2, "mem_size_mib": 256},
    "console": {"ring_kib": 64}}, indent=2))
PY
(cd "$tree" && find . -mindepth 1 | LC_ALL=C sort | cpio -o --quiet -H newc -R 0:0) \
  >"$work/overlay.cpio"
cat "$build/root/initramfs.cpio" "$work/overlay.cpio" >"$work/initramfs.cpio"

boots=() uptimes=() exits=()
for ((i = 1; i <= runs; i++)); do
  log=$work/run$i.out
  "$build/tests/rootstock-boottest" --name "appliance$i" --log-dir "$work" --keep-log \
    --timeout 900 --milestone 'vm-started id=bench@300' \
    --text 'bench: rootstock-child: init reached@600' --milestone 'vm-exited id=bench@300' \
    -- qemu-system-x86_64 -accel "$accel" -machine q35 -cpu EPYC,+svm,+npt -smp 2 \
    -m 2G -display none -vga none -serial stdio -no-reboot -kernel "$build/rootstock.elf" \
    -initrd "$work/initramfs.cpio" \
    -append "rootstock.vm=off rootstock.vm_specs=/usr/share/rootstock/examples/bench" \
    >"$log" 2>&1 || { echo "run $i: failed; the end of its log:"; tail -n 20 "$work/appliance$i.log"; exit 1; }
  started=$(step_time "$log" "milestone 'vm-started")
  reached=$(step_time "$log" "text 'bench: rootstock-child: init reached")
  b=$(awk -v a="$started" -v b="$reached" 'BEGIN {printf "%.2f", b - a}')
  up=$(grep -a -m1 'bench: rootstock-child: init reached' "$work/appliance$i.log" |
       sed -n 's/.*uptime_ms=\([0-9]*\).*/\1/p')
  up=$(awk -v ms="${up:-0}" 'BEGIN {printf "%.2f", ms / 1000}')
  io=$(grep -a -m1 'bench: rootstock-child: io-exits' "$work/appliance$i.log" |
       sed -n 's/.*ns-per-exit=\([0-9]*\).*/\1/p')
  boots+=("$b") uptimes+=("$up")
  [[ -n $io ]] && exits+=("$(awk -v ns="$io" 'BEGIN {printf "%.1f", ns / 1000}')")
  echo "run $i: vm start -> child init ${b} s (host clock); child uptime at init ${up} s;" \
       "io exit ${exits[-1]:-?} us (child clock)"
  # hv's count of the run's exits by kind (the boot, the io loop and the power-off), as the
  # appliance prints it when the VM ends.
  ended=$(grep -a -m1 'bench: ended:' "$work/appliance$i.log" | sed -n 's/.*ended: [^;]*; //p')
  [[ -n $ended ]] && echo "run $i: exits: $ended"
done
if ((runs > 1)); then
  echo "medians of $runs runs: vm start -> child init $(printf '%s\n' "${boots[@]}" | median) s;" \
       "child uptime at init $(printf '%s\n' "${uptimes[@]}" | median) s;" \
       "io exit $( ((${#exits[@]})) && printf '%s\n' "${exits[@]}" | median || echo '?') us"
fi
