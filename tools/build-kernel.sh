#!/usr/bin/env bash
# Builds Rootstock's Linux kernel (bzImage and modules) from Debian's linux-source-6.12 with the
# committed fragment image/linux/rootstock.config over tinyconfig. The built tree is cached
# under ~/.cache/rootstock keyed by the source package version and a hash of the fragment and
# this script, and is kept whole: out-of-tree modules (drivers/hvroot) build against it.
#
# Usage: build-kernel.sh [OUT]      prints the kernel build directory (O=), building if needed;
#                                   with OUT, also installs OUT/bzImage (when it changed) and
#                                   OUT/kernel-tree (the build directory's path)
# Reproducible (../shared/TOOLCHAIN.md): the timestamp comes from the source package, user, host
# and the #N build counter are fixed, so two clean builds give the same bzImage.
#
# The source version is the installed linux-source-6.12's, which moves with Debian's security
# updates. ROOTSTOCK_KERNEL_VERSION=VERSION pins it: a cached tree of that version is used, or
# the installed package if it is that version; anything else fails and says how to get it.
# Beside the tree, source.txt records the package, version and tarball SHA-256 it was built
# from; OUT/kernel-source is a copy, for build/manifest.json (tools/write-manifest.py).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${ROOTSTOCK_CACHE:-$HOME/.cache/rootstock}
tarball=/usr/src/linux-source-6.12.tar.xz
fragment=$top/image/linux/rootstock.config
installed=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
src_ver=${ROOTSTOCK_KERNEL_VERSION:-$installed}
[[ -n $src_ver ]] || { echo "build-kernel: linux-source-6.12 is not installed (./rootstock setup)" >&2; exit 1; }
# Bump when a change to this script changes what it builds (a rebuild takes ~10 minutes; edits
# that do not change the result keep the cache).
recipe_version=1
recipe=$( (cat "$fragment"; echo "recipe $recipe_version") | sha256sum | cut -c1-12)
key="linux-${src_ver}_${recipe}"
key=${key//[:~+]/_}
dir="$cache/$key"
# The tarball is the source only while the installed package is the wanted version.
source_installed() { [[ $installed == "$src_ver" && -f $tarball ]]; }
record_source() {
  local sum=unknown
  source_installed && sum=$(sha256sum "$tarball" | cut -d' ' -f1)
  printf 'package=linux-source-6.12\nversion=%s\narchive=%s\nsha256=%s\nkey=%s\n' \
    "$src_ver" "$(basename "$tarball")" "$sum" "$key" >"$dir/source.txt.$$"
  mv -f "$dir/source.txt.$$" "$dir/source.txt"
}
install_to() {
  [[ -n ${1:-} ]] || return 0
  mkdir -p "$1"
  cmp -s "$dir/out/arch/x86/boot/bzImage" "$1/bzImage" ||
    cp "$dir/out/arch/x86/boot/bzImage" "$1/bzImage"
  cmp -s "$dir/source.txt" "$1/kernel-source" || cp "$dir/source.txt" "$1/kernel-source"
  echo "$dir/out" >"$1/kernel-tree"
}
if [[ -f $dir/.complete ]]; then
  # Trees built before source.txt existed get it now, if their tarball is still installed.
  [[ -f $dir/source.txt ]] || record_source
  install_to "${1:-}"
  echo "$dir/out"
  exit 0
fi
if [[ -z ${ROOTSTOCK_KERNEL_VERSION:-} && ! -f $tarball ]]; then
  echo "build-kernel: $tarball missing (./rootstock setup)" >&2
  exit 1
fi
if ! source_installed; then
  {
    echo "build-kernel: the kernel is pinned to linux-source-6.12 $src_ver (ROOTSTOCK_KERNEL_VERSION),"
    echo "  but ${installed:-no version} is installed and no build of $src_ver is cached ($dir)."
    offered=$(apt-cache madison linux-source-6.12 2>/dev/null | awk '{print $3}' | xargs)
    echo "  The apt sources offer: ${offered:-nothing}."
    if [[ " $offered " == *" $src_ver "* ]]; then
      echo "  Install it: ROOTSTOCK_KERNEL_VERSION=$src_ver ./rootstock setup"
    fi
  } >&2
  exit 1
fi

log() { echo "build-kernel: $*" >&2; }
unset LIBRARY_PATH
export ARCH=x86_64
# The source package's own file date: the same for everyone with this package version.
export SOURCE_DATE_EPOCH=$(stat -c %Y "$tarball")
export KBUILD_BUILD_TIMESTAMP=$(date -u -d "@$SOURCE_DATE_EPOCH" '+%Y-%m-%d %H:%M:%S UTC')
export KBUILD_BUILD_USER=rootstock KBUILD_BUILD_HOST=rootstock KBUILD_BUILD_VERSION=1

mkdir -p "$cache"
# Built in place under its final name: the O= tree records absolute paths (its Makefile includes
# the source tree's), so it cannot be moved afterwards. .complete marks a finished tree; a
# directory without it (an interrupted build) is started afresh.
rm -rf "$dir" "$dir.partial"
mkdir -p "$dir/src" "$dir/out"
log "building $key (once; ~10 minutes on 2 cores)"
tar -xf "$tarball" -C "$dir/src" --strip-components=1
make_k() { make -C "$dir/src" O="$dir/out" -s "$@"; }
make_k tinyconfig >/dev/null
"$dir/src/scripts/kconfig/merge_config.sh" -m -O "$dir/out" "$dir/out/.config" "$fragment" >/dev/null
make_k olddefconfig >/dev/null
# Every line of the fragment must have survived: a missing dependency drops a driver silently.
missing=0
while IFS= read -r line; do
  [[ $line =~ ^CONFIG_ ]] || continue
  if ! grep -qxF "$line" "$dir/out/.config"; then
    log "fragment line did not survive olddefconfig: $line"
    missing=1
  fi
done <"$fragment"
((missing == 0)) || exit 1
make_k -j"$(nproc)" bzImage modules
record_source
touch "$dir/.complete"
log "done: $dir/out ($(stat -c %s "$dir/out/arch/x86/boot/bzImage") bytes bzImage)"
install_to "${1:-}"
echo "$dir/out"
