#!/usr/bin/env bash
# build-module.sh SRC_DIR BUILD_DIR OUT_KO: builds an out-of-tree kernel module (drivers/hvroot)
# against the kernel tree named in build/linux/kernel-tree, in a copy of SRC_DIR under BUILD_DIR
# so that the source tree stays clean, warning-free (W=1, -Werror), and with paths that do not
# depend on where the project was checked out or built (a reproducible image).
set -euo pipefail
src=$(realpath "$1") build=$2 out=$3
root=$(realpath "$(dirname "$0")/..")
tree_file=$(dirname "$(realpath -m "$out")")/../linux/kernel-tree
[[ -f $tree_file ]] || { echo "build-module: no kernel tree ($tree_file): build the kernel first" >&2; exit 1; }
kdir=$(cat "$tree_file")
mkdir -p "$build"
build=$(realpath "$build")
# A fresh copy every time: Kbuild decides what to rebuild from its own .cmd files.
find "$src" -maxdepth 2 \( -name '*.c' -o -name '*.h' -o -name Kbuild \) -printf '%P\n' |
  while read -r f; do mkdir -p "$build/$(dirname "$f")"; cp -p "$src/$f" "$build/$f"; done
make -s -C "$kdir" M="$build" W=1 \
  ROOTSTOCK_COMMON_INCLUDE="$root/common/include" \
  KCFLAGS="-Werror -ffile-prefix-map=$build/=drivers/hvroot/ -ffile-prefix-map=$root/=" modules
cp "$build/$(basename "$out")" "$out"
