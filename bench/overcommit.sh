#!/usr/bin/env bash
# overcommit.sh BUILD_DIR [RUNS]: what spinning vCPUs that give way are worth on an appliance
# with more vCPUs than CPUs. The appliance on one CPU runs image/examples/overcommit's child (4
# vCPUs) whose threads pass a token around its CPUs 800 times, each spinning in a PAUSE loop
# for its turn (image/child/cpu_handoff.cpp), once with hv.pause_exits=all (every PAUSE leaves
# the child and the driver yields to a sibling's thread) and once with none (the spinner holds
# its CPU until the root's scheduler takes it), alternating in one run (TESTBEDS.md: compare
# side by side). The figures: the child's own milliseconds for the 800 passes, and the seconds
# from vm-started to the child's init by the harness's clock. Single-threaded TCG.
set -euo pipefail
build=$1 runs=${2:-3}
boottest=$build/tests/rootstock-boottest
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck disable=SC2054  # "tcg,thread=single" is one argument
qemu=(qemu-system-x86_64 -accel tcg,thread=single -machine q35 -display none -vga none
      -serial stdio -no-reboot -cpu EPYC,+svm,+npt -smp 1 -m 1G)
specs=rootstock.vm_specs=/usr/share/rootstock/examples/overcommit

# "MS BOOT_S" for one run with hv.pause_exits=$1.
handoff() {
  local socket="$work/$1.monitor" out="$work/$1.out"
  "$boottest" --name "$1" --log-dir "$work" --keep-log --timeout 900 \
    --monitor-socket "$socket" --milestone 'vm-started id=handoff@300' \
    --text 'handoff: rootstock-child: init reached@600' \
    --text 'handoff: rootstock-child: cpu-handoff cpus=4@600' \
    --monitor 'system_powerdown@30' --exit 0@300 -- "${qemu[@]}" \
    -monitor "unix:$socket,server,nowait" -kernel "$build/rootstock.elf" \
    -append "rootstock.vm=off $specs hv.pause_exits=$1" > "$out" 2>&1 || return 0
  local started reached ms
  started=$(step_time "$out" "milestone 'vm-started")
  reached=$(step_time "$out" "text 'handoff: rootstock-child: init reached")
  ms=$(sed -n 's/.*cpu-handoff cpus=4 rounds=200 passes=800 ms=\([0-9]*\).*/\1/p' "$work/$1.log" |
    head -n 1)
  [[ -n $started && -n $reached && -n $ms ]] &&
    awk -v a="$started" -v b="$reached" -v m="$ms" 'BEGIN {printf "%s %.2f", m, b - a}'
}

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

yield_ms=() spin_ms=() yield_boot=() spin_boot=()
for ((i = 1; i <= runs; i++)); do
  read -r ym yb <<<"$(handoff all)"
  read -r sm sb <<<"$(handoff none)"
  [[ -n ${yb:-} && -n ${sb:-} ]] || { echo "overcommit: a run did not finish" >&2; exit 1; }
  echo "run $i: 800 passes ${ym} ms yielding, ${sm} ms spinning;" \
       "to init ${yb} s yielding, ${sb} s spinning"
  yield_ms+=("$ym") spin_ms+=("$sm") yield_boot+=("$yb") spin_boot+=("$sb")
done
mym=$(printf '%s\n' "${yield_ms[@]}" | median)
msm=$(printf '%s\n' "${spin_ms[@]}" | median)
myb=$(printf '%s\n' "${yield_boot[@]}" | median)
msb=$(printf '%s\n' "${spin_boot[@]}" | median)
echo "a 4-vCPU child on a 1-CPU appliance, single-threaded TCG, $runs runs each, alternating:"
echo "  800 token passes (child ms):  hv.pause_exits=all median ${mym}, none median ${msm}"
ratio "$mym" "$msm" "ratio none / all:          "
echo "  vm-started to init (s):       hv.pause_exits=all median ${myb}, none median ${msb}"
ratio "$myb" "$msb" "ratio none / all:          "
