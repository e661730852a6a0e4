#!/usr/bin/env bash
# Runs one libFuzzer target for a while and prints one line: executions, coverage (libFuzzer's
# final cov: and ft:), corpus size and findings (crash, leak, timeout and OOM inputs).
#
#   run-fuzzer.sh [--fresh] FUZZER SEEDS CORPUS FINDINGS SECONDS
#
# SEEDS is the committed seed corpus: only ever read. New inputs go to CORPUS, findings and the
# fuzzer's log (log.txt) to FINDINGS. --fresh (the ctest runs) starts CORPUS over as a copy of
# SEEDS and empties FINDINGS; without it (./rootstock fuzz) CORPUS grows from run to run.
# Fails when the fuzzer fails or anything was found.
set -euo pipefail

fresh=0
[[ ${1:-} == --fresh ]] && { fresh=1; shift; }
(($# == 5)) || { sed -n '5p' "$0" | sed 's/^# *//' >&2; exit 2; }
fuzzer=$1 seeds=$2 corpus=$3 findings=$4 seconds=$5
name=$(basename "$fuzzer")
name=${name#fuzz_}

dirs=("$corpus")
if ((fresh)); then
  rm -rf "$corpus" "$findings"
  mkdir -p "$corpus"
  cp -R "$seeds"/. "$corpus"/
else
  mkdir -p "$corpus"
  dirs+=("$seeds")
fi
mkdir -p "$findings"
log=$findings/log.txt

status=0
# -timeout: an input that takes 10 s is a hang. -rss_limit_mb: libFuzzer's default, written
# out. The fuzzer runs in FINDINGS so that nothing it writes lands elsewhere.
(cd "$findings" && "$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
  -rss_limit_mb=2048 -artifact_prefix="$findings/" "${dirs[@]}") >"$log" 2>&1 || status=$?

executions=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n1)
last=$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -n1 || true)
cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
units=$(find "$corpus" -maxdepth 1 -type f | wc -l)
mapfile -t found < <(find "$findings" -maxdepth 1 -type f \
  \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)

printf '%-16s %10s executions  cov %-6s ft %-7s corpus %-6s findings %s\n' "$name" \
  "${executions:-?}" "${cov:-?}" "${ft:-?}" "$units" "${#found[@]}"
for f in "${found[@]}"; do echo "  finding: $f"; done
if ((status != 0 || ${#found[@]} != 0)); then
  echo "  the fuzzer ended with status $status; its log: $log"
  # The report itself, for ctest --output-on-failure.
  grep -E -A40 '^==[0-9]+==ERROR|runtime error|^==[0-9]+== ERROR' "$log" | head -n 60 || true
  exit 1
fi
