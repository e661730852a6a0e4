#!/usr/bin/env bash
# ./rootstock fuzz [TARGET] [SECONDS]: builds the libFuzzer targets of tests/fuzz/ and runs each
# (or TARGET alone) for SECONDS (default 600), one after the other. The working corpus of each
# grows in BUILD/fuzz-corpus/<target>/ from run to run (the committed seeds in
# tests/fuzz/corpus/ are only read); findings and the fuzzer's log go to
# BUILD/fuzz-findings/<target>/. Prints per target: executions, cov and ft (libFuzzer's final
# coverage figures), corpus size and findings; fails if anything was found.
#
#   tools/fuzz.sh BUILD [TARGET] [SECONDS]     (a lone number is SECONDS for every target)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: fuzz.sh BUILD [TARGET] [SECONDS]}
shift
mapfile -t all < <(find "$top/tests/fuzz/corpus" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' |
  sort)
targets=("${all[@]}")
seconds=600
if [[ ${1:-} =~ ^[0-9]+$ ]]; then
  seconds=$1
elif [[ -n ${1:-} ]]; then
  [[ " ${all[*]} " == *" $1 "* ]] || { echo "fuzz: no target '$1' (targets: ${all[*]})" >&2; exit 2; }
  targets=("$1")
  seconds=${2:-600}
fi

# The fuzzers live in the host part: the superbuild's when it exists, else a host-only build of
# their own (no sysroot, kernel or hv needed).
host=$build/parts/host
if [[ ! -f $host/build.ninja ]]; then
  host=$build/fuzz
  [[ -f $host/build.ninja ]] ||
    cmake -G Ninja -S "$top" -B "$host" -DROOTSTOCK_PART=host -DROOTSTOCK_OUT="$build" \
      -DCMAKE_TOOLCHAIN_FILE="$top/cmake/toolchain-host.cmake" -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$host" --target "${targets[@]/#/fuzz_}"

status=0
for t in "${targets[@]}"; do
  echo "fuzz: $t for ${seconds} s" >&2
  "$top/tests/fuzz/run-fuzzer.sh" "$host/tests/fuzz/fuzz_$t" "$top/tests/fuzz/corpus/$t" \
    "$build/fuzz-corpus/$t" "$build/fuzz-findings/$t" "$seconds" || status=1
done
exit $status
