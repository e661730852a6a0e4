#!/usr/bin/env bash
# round-trips.sh BUILD_DIR [RUNS]: the two hypercall round trips of issue 6, in TSC cycles under
# TCG, from RUNS boots of the appliance with the partitions self-test: the null hypercall
# (GET_VERSION from the root's kernel, median of 1000 calls timed by the hvroot driver at load)
# and a child's I/O exit to VMM user space and back (median of one child's console writes).
# Prints each run, the medians and their ratio: the I/O path's cost in null hypercalls.
set -euo pipefail
build=$1 runs=${2:-3}
boottest=$build/tests/rootstock-boottest
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

nulls=() ios=()
for ((i = 1; i <= runs; i++)); do
  socket="$work/rt$i.monitor"
  "$boottest" --name "rt$i" --log-dir "$work" --keep-log --timeout 600 \
    --monitor-socket "$socket" --milestone 'selftest name=partitions failed=0@500' \
    --monitor 'system_powerdown@30' --exit 0@60 -- \
    qemu-system-x86_64 -accel tcg -machine q35 -cpu EPYC,+svm,+npt -smp 4 -m 1G -display none \
    -vga none -serial stdio -no-reboot -monitor "unix:$socket,server,nowait" \
    -kernel "$build/rootstock.elf" -append "rootstock.selftest=partitions" > /dev/null
  line=$(grep -a 'round trips:' "$work/rt$i.log" | tr -d '\r')
  n=$(sed -n 's/.*null hypercall \([0-9]*\) TSC.*/\1/p' <<< "$line")
  o=$(sed -n 's/.*VMM and back \([0-9]*\) TSC.*/\1/p' <<< "$line")
  [[ -n $n && -n $o ]] || { echo "round-trips: run $i printed no figures" >&2; exit 1; }
  echo "run $i: null hypercall $n cycles, I/O exit to the VMM and back $o cycles"
  nulls+=("$n") ios+=("$o")
done
mn=$(printf '%s\n' "${nulls[@]}" | median)
mo=$(printf '%s\n' "${ios[@]}" | median)
echo "TSC cycles under TCG (-smp 4 -m 1G), $runs boots:"
echo "  null hypercall (root kernel -> hv -> root):          median $mn"
echo "  child I/O exit -> VMM user space -> child:          median $mo"
ratio "$mn" "$mo" "ratio I/O round trip / null hypercall:            "
