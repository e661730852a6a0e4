#!/usr/bin/env bash
# check-image-reproducible.sh SOURCE_DIR BUILD_OUT: builds the appliance image (the hv part:
# hv with the root's kernel, initramfs and command line embedded) twice, in two build folders at
# different paths, from BUILD_OUT's kernel and initramfs, and checks the two rootstock.elf are
# bit-identical (DESIGN.md §1: reproducible builds). The kernel's own reproducibility is checked
# where it is built (docs/kernel.md).
set -euo pipefail
src=$1 out=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for side in first second-with-a-longer-path; do
  dir="$work/$side"
  mkdir -p "$dir/out/linux" "$dir/out/root"
  cp "$out/linux/bzImage" "$dir/out/linux/bzImage"
  cp "$out/root/initramfs.cpio" "$dir/out/root/initramfs.cpio"
  cmake -G Ninja -S "$src" -B "$dir/build" -DROOTSTOCK_PART=hv -DROOTSTOCK_OUT="$dir/out" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_TOOLCHAIN_FILE="$src/cmake/toolchain-hv.cmake" >/dev/null
  cmake --build "$dir/build" --target rootstock_image >/dev/null
done
a="$work/first/out/rootstock.elf" b="$work/second-with-a-longer-path/out/rootstock.elf"
if ! cmp "$a" "$b"; then
  echo "check-image-reproducible: the two images differ" >&2
  exit 1
fi
echo "check-image-reproducible: two builds give the same image: $(sha256sum <"$a" | cut -c1-16)"
