#!/usr/bin/env bash
# repeat.sh COUNT NAME COMMAND...: runs a boot test COMMAND (rootstock-boottest ... --name NAME)
# COUNT times in a row and fails at the first failing run, saying which. AP start-up under
# trapped INIT/SIPI is known to fail intermittently elsewhere: this shows it does not here.
set -uo pipefail
count=$1 name=$2
shift 2
for ((i = 1; i <= count; i++)); do
  if ! "$@"; then
    echo "repeat: run $i of $count of $name failed" >&2
    exit 1
  fi
  echo "repeat: run $i of $count of $name passed" >&2
done
echo "repeat: $count of $count runs of $name passed"
