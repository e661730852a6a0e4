#!/usr/bin/env bash
# Who may include whom (docs/DESIGN.md §3): init/ → selftest/ → appliance/ → vmm/ → the driver's
# UAPI → common/, each only what is below it; hv/ and common/ include no user-space layer, and
# efi/ (the UEFI loader) includes only common/.
# Prints every #include that reaches up or across, and fails if there is one.
set -euo pipefail
top=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
cd "$top"

# folder: the folders it must not include from
declare -A forbidden=(
  [common]="hv vmm appliance selftest init drivers"
  # hv/selftest/ is hv's own (hv/ is its include root); the root's selftest/ is out of its reach.
  [hv]="vmm appliance init drivers"
  # rootstock.efi's loader boots hv; it shares only common/ with it.
  [efi]="hv vmm appliance selftest init drivers"
  [vmm]="appliance selftest init"
  [appliance]="selftest init"
  [selftest]="init"
)

bad=0
for layer in "${!forbidden[@]}"; do
  [[ -d $layer ]] || continue
  pattern=$(tr ' ' '|' <<<"${forbidden[$layer]}")
  while IFS= read -r hit; do
    echo "check-layers: $hit (${layer}/ may not include ${forbidden[$layer]// //, }/)"
    bad=1
  done < <(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"<](${pattern})/" "$layer" \
             --include='*.c' --include='*.h' --include='*.cpp' --include='*.hpp' --include='*.S' \
           || true)
done
if ((bad)); then
  exit 1
fi
echo "check-layers: every include points down (init → selftest → appliance → vmm → common)"
