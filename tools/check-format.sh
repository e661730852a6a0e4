#!/usr/bin/env bash
# Checks that every C++ source of the project follows .clang-format (clang-format-19).
# With --fix, rewrites the files instead. The kernel module in drivers/ follows the kernel's
# own style and is checked by checkpatch there, not here.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=(--dry-run --Werror)
[[ ${1:-} == --fix ]] && mode=(-i)
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- \
  '*.cpp' '*.hpp' '*.h' ':!:drivers/**' | while read -r f; do [[ -f $f ]] && echo "$f"; done)
((${#files[@]})) || { echo "check-format: no sources found"; exit 1; }
clang-format-19 "${mode[@]}" "${files[@]}"
echo "check-format: ${#files[@]} files follow .clang-format"
