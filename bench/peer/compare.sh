#!/usr/bin/env bash
# compare.sh [RUNS]: Rootstock against Linux/KVM with QEMU's microvm on the same emulated
# machine, side by side in one run (TESTBEDS.md: these machines are noisy, only ratios within
# a run count). Alternates RUNS boots of the peer (bench/peer/run.sh: Debian's 6.12 kernel with
# kvm_amd as L1, Debian's QEMU 10 -M microvm,rtc=on as VMM) and of the appliance
# (bench/peer/appliance.sh), both with the same child (the stock Debian kernel, the stock-kernel
# child initramfs, "console=ttyS0 quiet mce=off rootstock.child_cmd=io-exits", 2 vCPUs,
# 256 MiB) under QEMU TCG with emulated SVM + NPT (-smp 2 -m 2G, multi-threaded TCG), and
# prints each run, the medians and the ratios Rootstock / KVM (below 1: Rootstock is faster) for:
#   VMM start -> child init    the peer by its L1's clock from just before QEMU starts, the
#                              appliance by the host's from the vm-started milestone
#   child uptime at init       the child kernel's own uptime when its init runs
#   io exit                    a port write out to the VMM's user space and back, by the child
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runs=${1:-3}

# shellcheck source=bench/lib.sh
source "$here/../lib.sh"

# "run 1: … init X s …; child uptime at init Y s; io exit Z us …" -> "X Y Z"
figures() {
  sed -n 's/^run 1: [a-z -]*> child init \([0-9.]*\) s.*uptime at init \([0-9.?]*\) s.*io exit \([0-9.?]*\) us.*/\1 \2 \3/p' |
    head -n 1
}

peer=() mine=()
for ((i = 1; i <= runs; i++)); do
  p=$("$here/run.sh" --runs 1 2>/dev/null | figures || true)
  a=$("$here/appliance.sh" --runs 1 2>/dev/null | figures || true)
  [[ -n $p && -n $a ]] || { echo "compare: run $i: a side did not reach its child's init" >&2; exit 1; }
  echo "run $i: KVM + microvm: init $(cut -d' ' -f1 <<<"$p") s, child uptime $(cut -d' ' -f2 <<<"$p") s, io exit $(cut -d' ' -f3 <<<"$p") us;" \
       "Rootstock: init $(cut -d' ' -f1 <<<"$a") s, child uptime $(cut -d' ' -f2 <<<"$a") s, io exit $(cut -d' ' -f3 <<<"$a") us"
  peer+=("$p") mine+=("$a")
done

column() { printf '%s\n' "${@:2}" | cut -d' ' -f"$1" | grep -v '?' | median; }
echo "medians of $runs runs each, alternating (KVM + QEMU microvm | Rootstock | ratio):"
for f in "1 VMM start -> child init (s)" "2 child uptime at init (s)" "3 io exit (us)"; do
  n=${f%% *} label=${f#* }
  k=$(column "$n" "${peer[@]}") r=$(column "$n" "${mine[@]}")
  awk -v l="$label" -v k="$k" -v r="$r" 'BEGIN {printf "  %-30s %8s | %8s | %.2f\n", l, k, r, r / k}'
done
