#!/usr/bin/env bash
# run.sh: the benchmark peer of issue 19. Debian's Linux 6.12 with kvm_amd (the "L1") boots under
# QEMU TCG with emulated SVM + NPT (the appliance's machine, but see --host-accel) and runs the
# child under Debian's QEMU 10 `-M microvm,rtc=on` with KVM (bench/peer/l1-init.sh): the same
# child, kernel, initramfs and command line bench/peer/appliance.sh gives the appliance. For each
# run it prints, by the L1's clock (/proc/uptime, 10 ms steps):
#   vmm-start -> child init   from just before the L1 starts QEMU to the child's
#                             "rootstock-child: init reached" line reaching the L1
#   child uptime at init      the child kernel's own uptime on its init-reached line
#                             (uptime_ms=, image/child/init.sh)
#   io exit                   with rootstock.child_cmd=io-exits (the default command line, as
#                             bench/peer/appliance.sh): the child's own figure for a port write
#                             out to the VMM's user space and back (ns-per-exit=, child clock)
#   (child uptime at PID 1    with --child-uptime-overlay: the child's uptime as its /init starts)
# and the L1's own figures (its uptime at its /init and at vmm-start) and the run's wall time.
#
# Usage: run.sh [--runs N] [--timeout SECS] [--log-dir DIR] [make-l1-initramfs.sh options]
#   --runs N        boots, one after the other (default 1); medians when N > 1
#   --timeout SECS  the hard limit of each boot (default 600; `timeout -k 10`)
#   --log-dir DIR   keep each run's console log there (run-N.log) and the L1 initramfs
#   --l1-append TEXT  more words for the L1 kernel's command line ("console=ttyS0 quiet ...")
#   --host-accel A  the host QEMU's -accel (default tcg: multi-threaded TCG, one host thread per
#                   L1 CPU). Not tcg,thread=single as the boot tests and appliance.sh run: with
#                   single-threaded TCG the child under KVM stalled before its init in 7 of 9
#                   boots (2026-12-08: the host QEMU idle, the child's console silent from early
#                   in its boot; so also with 1 child vCPU, -cpu qemu64, lapic=notscdeadline in
#                   the child, nohz=off in the L1; it reached init with loglevel=7 in the child
#                   (its console exits seem to keep it going) and once of twice with idle=poll in
#                   the L1, and then stalled in io-exits). --host-accel tcg,thread=single tries
#                   it again
#   (the rest goes to make-l1-initramfs.sh: --bios qboot, --append TEXT, --child-kernel ...)
# Environment: PEER_HOST_QEMU (default /usr/bin/qemu-system-x86_64).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
qemu=${PEER_HOST_QEMU:-/usr/bin/qemu-system-x86_64}
runs=1 limit=600 logdir='' l1_more='' accel=tcg pass=()
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --timeout) limit=$2; shift 2 ;;
    --log-dir) logdir=$2; shift 2 ;;
    --l1-append) l1_more=$2; shift 2 ;;
    --host-accel) accel=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --child-uptime-overlay) pass+=("$1"); shift ;;
    *) pass+=("$1" "$2"); shift 2 ;;
  esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[[ -n $logdir ]] && mkdir -p "$logdir"
out=${logdir:-$work}
initrd=$out/peer-l1-initramfs.cpio
l1_kernel=$("$here/make-l1-initramfs.sh" "${pass[@]}" "$initrd")
echo "peer: L1 kernel $l1_kernel; host QEMU $qemu -accel $accel"
cpio -i --quiet --to-stdout etc/peer.conf etc/peer.sources <"$initrd" |
  grep -v '^package lib' | sed 's/^/peer:   /'

# The value after WORD in the "peer: WORD VALUE" line of LOG (the first), else nothing.
field() { sed -n "s/^peer: $2 \([0-9.]*\).*/\1/p" "$1" | tr -d '\r' | head -n1 || true; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

boots=() uptimes=() exits=() failed=0
for ((i = 1; i <= runs; i++)); do
  log=$out/run-$i.log
  t0=$(date +%s.%N)
  status=0
  # shellcheck disable=SC2054  # tcg,thread=single is one word
  # In the background, so that a signal to this script ends the boot too (timeout runs QEMU in
  # a process group of its own).
  timeout -k 10 "$limit" "$qemu" -accel "$accel" -cpu EPYC,+svm,+npt -smp 2 -m 2G \
    -machine q35 -display none -vga none -serial stdio -no-reboot \
    -kernel "$l1_kernel" -initrd "$initrd" -append "console=ttyS0 quiet${l1_more:+ $l1_more}" \
    </dev/null >"$log" 2>&1 &
  boot=$!
  trap 'kill "$boot" 2>/dev/null; rm -rf "$work"' EXIT
  trap 'exit 130' INT TERM
  wait "$boot" || status=$?
  trap 'rm -rf "$work"' EXIT
  wall=$(sub "$t0" "$(date +%s.%N)")
  l1=$(field "$log" l1-init) start=$(field "$log" vmm-start) init=$(field "$log" child-init)
  cup=$(sed -n 's/^peer: child-uptime [0-9.]* \([0-9.]*\).*/\1/p' "$log" | tr -d '\r' | head -n1 || true)
  exitl=$(sed -n 's/^peer: vmm-exit \([0-9.]*\) status=\([0-9]*\).*/\1 \2/p' "$log" | tr -d '\r' | head -n1 || true)
  exitl=${exitl:-"? ?"}
  if [[ -z $start || -z $init ]]; then
    failed=1
    why=$(grep -v "warning: TCG doesn't support" "$log" |
          grep -m1 -E '^peer: error|Kernel panic|qemu-system-x86_64: ' | tr -d '\r' || true)
    echo "run $i: the child did not reach its init (host QEMU status $status, wall ${wall} s)${why:+: $why}"
    [[ -n $logdir ]] || tail -n 30 "$log" | sed 's/^/  | /'
    continue
  fi
  b=$(sub "$start" "$init")
  boots+=("$b")
  ums=$(grep -a -m1 'rootstock-child: init reached' "$log" |
        sed -n 's/.*uptime_ms=\([0-9]*\).*/\1/p' || true)
  up=
  [[ -n $ums ]] && up=$(awk -v ms="$ums" 'BEGIN {printf "%.2f", ms / 1000}') && uptimes+=("$up")
  # (The line may be missing: the child powers off right after printing it, and a line still
  # in its UART's queue is lost.)
  io=$(grep -a -m1 'rootstock-child: io-exits' "$log" |
       sed -n 's/.*ns-per-exit=\([0-9]*\).*/\1/p' || true)
  [[ -n $io ]] && io=$(awk -v ns="$io" 'BEGIN {printf "%.1f", ns / 1000}') && exits+=("$io")
  echo "run $i: vmm-start -> child init ${b} s (L1 clock); child uptime at init ${up:-?} s;" \
       "io exit ${io:-?} us (child clock)${cup:+; child uptime at PID 1 $cup s};" \
       "L1 uptime at its init ${l1} s, at vmm-start ${start} s;" \
       "child's QEMU exited at ${exitl% *} s status ${exitl#* };" \
       "wall ${wall} s (host QEMU status $status)"
done

if ((${#boots[@]} > 1)); then
  echo "medians of ${#boots[@]} runs: vmm-start -> child init $(printf '%s\n' "${boots[@]}" | median) s;" \
       "child uptime at init $( ((${#uptimes[@]})) && printf '%s\n' "${uptimes[@]}" | median || echo '?') s;" \
       "io exit $( ((${#exits[@]})) && printf '%s\n' "${exits[@]}" | median || echo '?') us"
fi
[[ -z $logdir ]] || echo "logs in $logdir"
exit "$failed"
