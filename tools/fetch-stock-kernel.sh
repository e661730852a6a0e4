#!/usr/bin/env bash
# Fetches a stock Debian kernel (one the project does not build) for the child boot test
# root-stock-kernel: its bzImage and the few modules a child needs for our virtio devices, which
# Debian builds as modules. Nothing is installed on the build host: the package is fetched with
# `apt-get download` and unpacked with `dpkg-deb -x` into the cache, ~/.cache/rootstock (or
# ROOTSTOCK_CACHE), under a folder keyed by the package's name and version and this recipe.
#
# Usage: fetch-stock-kernel.sh OUT
#   OUT/vmlinuz          the kernel (a bzImage, as the package has it in /boot)
#   OUT/release          its release, `uname -r` in the child (the modules' folder name)
#   OUT/modules/*.ko     the modules, uncompressed, dependencies first in OUT/modules.load
#   OUT/initramfs.list   mkcpio lines (image/initramfs/mkcpio) that put them into a child's
#                        initramfs at /lib/modules/RELEASE/, which image/child/init.sh loads
#   OUT/kernel-source    package, version and the .deb's SHA-256
# Files in OUT are replaced only when they changed, so a warm cache rebuilds nothing.
#
# The package: ROOTSTOCK_STOCK_KERNEL=NAME=VERSION pins one (a kernel image package, e.g.
# linux-image-6.1.0-57-cloud-amd64=6.1.192-3); otherwise the one Debian's meta package
# linux-image-cloud-amd64 depends on in the apt sources' candidate version (bookworm's kernel,
# moving with its security updates). A pinned package that is cached needs no apt sources.
set -euo pipefail

out=${1:?usage: fetch-stock-kernel.sh OUT}
cache=${ROOTSTOCK_CACHE:-$HOME/.cache/rootstock}
meta=linux-image-cloud-amd64
# The drivers a child of ours needs (virtio-pci and virtio-mmio transports, disk, network,
# console, entropy) and the ACPI power button with the event device busybox's acpid reads
# (the appliance stops a VM with it); whatever of these the kernel has built in is skipped.
wanted=(virtio_pci virtio_mmio virtio_blk virtio_net virtio_console virtio_rng button evdev)
# Bump when a change here changes what lands in the cache.
recipe_version=2

die() { echo "fetch-stock-kernel: $*" >&2; exit 1; }
log() { echo "fetch-stock-kernel: $*" >&2; }

if [[ -n ${ROOTSTOCK_STOCK_KERNEL:-} ]]; then
  [[ $ROOTSTOCK_STOCK_KERNEL == *=* ]] || die "ROOTSTOCK_STOCK_KERNEL must be NAME=VERSION"
  pkg=${ROOTSTOCK_STOCK_KERNEL%%=*}
  ver=${ROOTSTOCK_STOCK_KERNEL#*=}
else
  # "Depends: linux-image-6.1.0-57-cloud-amd64 (= 6.1.192-3)" of the candidate meta package.
  cand=$(apt-cache policy "$meta" 2>/dev/null | awk '/Candidate:/ {print $2}')
  [[ -n $cand && $cand != "(none)" ]] ||
    die "the apt sources offer no $meta (run ./rootstock setup, or pin ROOTSTOCK_STOCK_KERNEL)"
  dep=$(apt-cache show "$meta=$cand" | sed -n 's/^Depends: //p' | head -n1 | tr ',' '\n' |
        grep -m1 -E '^ *linux-image-[^ ]+ \(= [^)]+\)' || true)
  [[ -n $dep ]] || die "cannot read the kernel package $meta $cand depends on"
  pkg=$(awk '{print $1}' <<<"$dep")
  ver=$(sed -E 's/.*\(= ([^)]+)\).*/\1/' <<<"$dep")
fi
[[ $pkg =~ ^linux-image-[a-z0-9.+-]+$ ]] || die "not a kernel image package: $pkg"

key="stock-${pkg}_${ver}_r${recipe_version}"
key=${key//[:~+]/_}
dir="$cache/$key"

if [[ ! -f $dir/.complete ]]; then
  log "fetching $pkg $ver (once)"
  rm -rf "$dir"
  mkdir -p "$dir/deb" "$dir/tree" "$dir/modules"
  # apt's sandbox user cannot write into root's home: fetch in a folder it may write to.
  fetch=$(mktemp -d)
  chmod 755 "$fetch"
  trap 'rm -rf "$fetch"' EXIT
  (cd "$fetch" && apt-get download -q "$pkg=$ver" >&2) ||
    die "apt-get download $pkg=$ver failed (is it still offered? apt-cache policy $pkg)"
  deb=$(ls "$fetch"/*.deb)
  mv "$deb" "$dir/deb/"
  deb="$dir/deb/$(basename "$deb")"
  dpkg-deb -x "$deb" "$dir/tree"
  vmlinuz=$(ls "$dir"/tree/boot/vmlinuz-* 2>/dev/null | head -n1)
  [[ -f $vmlinuz ]] || die "$pkg has no /boot/vmlinuz-*"
  release=${vmlinuz##*/vmlinuz-}
  moddir="$dir/tree/lib/modules/$release"
  [[ -d $moddir ]] || die "$pkg has no /lib/modules/$release"
  # The package leaves modules.dep to depmod at installation; make it in the unpacked tree.
  depmod -b "$dir/tree" "$release"

  # modules.dep: "kernel/a/b.ko[.xz]: dep.ko …"; file names use '-' or '_' as they please.
  declare -A path_of deps_of
  while IFS= read -r line; do
    file=${line%%:*}
    base=${file##*/}
    name=${base%%.ko*}
    name=${name//-/_}
    path_of[$name]=$file
    deps_of[$name]=${line#*:}
  done <"$moddir/modules.dep"
  builtin_names=$(sed -E 's#.*/##; s/\.ko$//; s/-/_/g' "$moddir/modules.builtin")
  declare -A placed
  order=()
  place() {
    local name=$1 dep d
    [[ -n ${placed[$name]:-} ]] && return 0
    placed[$name]=1
    for dep in ${deps_of[$name]}; do
      d=${dep##*/}
      d=${d%%.ko*}
      place "${d//-/_}"
    done
    order+=("$name")
  }
  for name in "${wanted[@]}"; do
    if [[ -n ${path_of[$name]:-} ]]; then
      place "$name"
    elif ! grep -qx "$name" <<<"$builtin_names"; then
      die "$pkg has $name neither as a module nor built in"
    fi
  done
  : >"$dir/modules.load"
  for name in "${order[@]}"; do
    src="$moddir/${path_of[$name]}"
    # Compressed modules (Debian's 6.12 packages have .ko.xz) are unpacked here, so the child
    # needs neither CONFIG_MODULE_DECOMPRESS nor a decompressor.
    case $src in
      *.ko) cp "$src" "$dir/modules/$name.ko" ;;
      *.ko.xz) xz -dc "$src" >"$dir/modules/$name.ko" ;;
      *.ko.zst) zstd -qdc "$src" >"$dir/modules/$name.ko" ;;
      *.ko.gz) gzip -dc "$src" >"$dir/modules/$name.ko" ;;
      *) die "unknown module format: $src" ;;
    esac
    echo "$name.ko" >>"$dir/modules.load"
  done
  cp "$vmlinuz" "$dir/vmlinuz"
  echo "$release" >"$dir/release"
  printf 'package=%s\nversion=%s\narchive=%s\nsha256=%s\nkey=%s\n' "$pkg" "$ver" \
    "$(basename "$deb")" "$(sha256sum "$deb" | cut -d' ' -f1)" "$key" >"$dir/kernel-source"
  # Only what the build uses stays: the unpacked package is ~100 MiB.
  rm -rf "$dir/tree"
  touch "$dir/.complete"
  log "cached in $dir ($(wc -l <"$dir/modules.load") modules)"
fi

release=$(cat "$dir/release")
update() { cmp -s "$1" "$2" || cp "$1" "$2"; }
mkdir -p "$out/modules"
update "$dir/vmlinuz" "$out/vmlinuz"
update "$dir/release" "$out/release"
update "$dir/kernel-source" "$out/kernel-source"
update "$dir/modules.load" "$out/modules.load"
# Modules of an earlier package go.
for f in "$out"/modules/*.ko; do
  [[ -e $f ]] || continue
  grep -qxF "${f##*/}" "$dir/modules.load" || rm -f "$f"
done
list="/lib/modules/$release"
{
  echo "# $(grep -E '^(package|version)=' "$dir/kernel-source" | xargs): its modules (tools/fetch-stock-kernel.sh)"
  echo "dir /lib 0755 0 0"
  echo "dir /lib/modules 0755 0 0"
  echo "dir $list 0755 0 0"
  echo "file $list/modules.load $out/modules.load 0644 0 0"
  while IFS= read -r ko; do
    update "$dir/modules/$ko" "$out/modules/$ko"
    echo "file $list/$ko $out/modules/$ko 0644 0 0"
  done <"$dir/modules.load"
} >"$out/initramfs.list.new"
if cmp -s "$out/initramfs.list.new" "$out/initramfs.list"; then
  rm -f "$out/initramfs.list.new"
else
  mv -f "$out/initramfs.list.new" "$out/initramfs.list"
fi
echo "$dir"
