#!/usr/bin/env bash
# fetch.sh: the Debian packages of the benchmark peer (issue 19), Linux/KVM with Debian's QEMU
# `-M microvm` as the VMM, unpacked into a cache folder. Nothing is installed on the host: every
# package comes with `apt-get download` and is unpacked with `dpkg-deb -x`.
#
# Usage: fetch.sh            prints the cache folder on stdout (progress on stderr)
#
# The cache folder, ~/.cache/rootstock/peer-<key> (or $ROOTSTOCK_CACHE/peer-<key>), the key made
# of the top packages' versions and this recipe's version, so that a second run only asks apt
# which versions it would take:
#   l1/vmlinuz          the L1 kernel (Debian 6.12, with kvm_amd as a module)
#   l1/release          its release (uname -r)
#   l1/modules/*.ko     kvm_amd and what it needs, uncompressed; l1/modules.load: their order
#   rootfs/             what the L1 initramfs takes as it is: bin/busybox (static),
#                       usr/bin/qemu-system-x86_64 (and Debian's microvm-only build of it,
#                       qemu-system-x86_64-microvm), lib/x86_64-linux-gnu/* (every shared
#                       library the binaries need, by soname), lib64/ld-linux-x86-64.so.2,
#                       usr/share/seabios/bios-microvm.bin (what Debian's QEMU loads for
#                       -M microvm), usr/share/qemu/{qboot.rom,linuxboot*.bin,pvh.bin,kvmvapic.bin}
#   packages            "package version" of every .deb used
#   debs/               the .deb files
#
# Which packages (each may be pinned with the variable in brackets, NAME=VERSION):
#   the L1 kernel   [PEER_L1_KERNEL]: the package Debian's meta package linux-image-6.12-cloud-amd64
#                   depends on (its candidate: the newest 6.12 the apt sources offer; in
#                   December 2026 6.12.118-1~deb12u1 from bookworm-security, newer than
#                   bookworm-backports' 6.12.95-1~bpo12+1); PEER_L1_META picks another meta
#                   package (e.g. linux-image-6.12-amd64, or linux-image-cloud-amd64 with
#                   bookworm-backports, see below);
#   qemu-system-x86, qemu-system-data, seabios: bookworm-backports' version (QEMU 10), else the
#                   candidate;
#   busybox-static: the candidate;
#   the libraries:  the package that has each soname (dpkg -S on the host, at the host's installed
#                   version), else found among the Depends of the packages already fetched.
set -euo pipefail

cache=${ROOTSTOCK_CACHE:-$HOME/.cache/rootstock}
recipe_version=3
l1_meta=${PEER_L1_META:-linux-image-6.12-cloud-amd64}
arch_dir=x86_64-linux-gnu

die() { echo "peer-fetch: $*" >&2; exit 1; }
log() { echo "peer-fetch: $*" >&2; }

# The version of PKG in bookworm-backports, or else the candidate.
version_of() {
  local v
  v=$(apt-cache madison "$1" 2>/dev/null |
      awk -F'|' '$3 ~ /bookworm-backports\/.* Packages/ {gsub(/ /, "", $2); print $2; exit}')
  [[ -n $v ]] || v=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')
  [[ -n $v && $v != "(none)" ]] || die "the apt sources offer no $1"
  echo "$v"
}

if [[ -n ${PEER_L1_KERNEL:-} ]]; then
  [[ $PEER_L1_KERNEL == *=* ]] || die "PEER_L1_KERNEL must be NAME=VERSION"
  kpkg=${PEER_L1_KERNEL%%=*} kver=${PEER_L1_KERNEL#*=}
else
  meta_ver=$(apt-cache policy "$l1_meta" 2>/dev/null | awk '/Candidate:/ {print $2}')
  if [[ $l1_meta == linux-image-cloud-amd64 || $l1_meta == linux-image-amd64 ]]; then
    meta_ver=$(version_of "$l1_meta")   # the plain meta packages: bookworm-backports' 6.12
  fi
  [[ -n $meta_ver && $meta_ver != "(none)" ]] || die "the apt sources offer no $l1_meta"
  dep=$(apt-cache show "$l1_meta=$meta_ver" | sed -n 's/^Depends: //p' | head -n1 | tr ',' '\n' |
        grep -m1 -E '^ *linux-image-[^ ]+ \(= [^)]+\)' || true)
  [[ -n $dep ]] || die "cannot read the kernel package $l1_meta $meta_ver depends on"
  kpkg=$(awk '{print $1}' <<<"$dep")
  kver=$(sed -E 's/.*\(= ([^)]+)\).*/\1/' <<<"$dep")
fi
[[ $kpkg =~ ^linux-image-6\.12\.[a-z0-9.+-]+$ ]] || die "not a 6.12 kernel image package: $kpkg"
qver=$(version_of qemu-system-x86)
dver=$(version_of qemu-system-data)
sver=$(version_of seabios)
bver=$(version_of busybox-static)

key="peer-${kpkg#linux-image-}_${kver}_qemu-${qver#*:}_seabios-${sver}_busybox-${bver#*:}_r${recipe_version}"
key=${key//[:~+]/_}
dir="$cache/$key"
if [[ -f $dir/.complete ]]; then
  echo "$dir"
  exit 0
fi

log "fetching into $dir (once)"
rm -rf "$dir"
mkdir -p "$dir/debs" "$dir/l1/modules" "$dir/rootfs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# apt's sandbox user (_apt) must be able to write where it downloads.
mkdir -p "$work/dl" "$work/tree"
chmod 777 "$work/dl"
tree=$work/tree

declare -A fetched   # package name -> version
# fetch NAME VERSION: downloads and unpacks one package into $tree (once).
fetch() {
  local name=$1 ver=$2 deb
  [[ -n ${fetched[$name]:-} ]] && return 0
  (cd "$work/dl" && apt-get download -q "$name=$ver" >/dev/null 2>"$work/apt.err") ||
    { cat "$work/apt.err" >&2; die "apt-get download $name=$ver failed"; }
  deb=$(ls "$work"/dl/*.deb)
  dpkg-deb -x "$deb" "$tree"
  mv "$deb" "$dir/debs/"
  fetched[$name]=$ver
  log "  $name $ver"
}

fetch "$kpkg" "$kver"
fetch qemu-system-x86 "$qver"
fetch qemu-system-data "$dver"
fetch seabios "$sver"
fetch busybox-static "$bver"

# --- the L1 kernel and the kvm modules ---------------------------------------------------------
vmlinuz=$(ls "$tree"/boot/vmlinuz-* | head -n1)
release=${vmlinuz##*/vmlinuz-}
moddir=$tree/lib/modules/$release
[[ -d $moddir ]] || die "$kpkg has no /lib/modules/$release"
cp "$vmlinuz" "$dir/l1/vmlinuz"
echo "$release" >"$dir/l1/release"
# path_of NAME: the module file of NAME ('-' and '_' alike), or nothing.
path_of() {
  local n=${1//_/[-_]}
  find "$moddir/kernel" -regextype posix-extended -regex ".*/${n}\.ko(\.xz|\.zst|\.gz)?" | head -n1
}
declare -A placed
order=()
# place NAME: NAME's dependencies (modinfo -F depends of the module file), then NAME.
place() {
  local name=${1//-/_} src ko dep
  [[ -n ${placed[$name]:-} ]] && return 0
  placed[$name]=1
  src=$(path_of "$name")
  if [[ -z $src ]]; then
    grep -qE "/${1//_/[-_]}\.ko$" "$moddir/modules.builtin" ||
      die "$kpkg has $name neither as a module nor built in"
    return 0
  fi
  ko="$dir/l1/modules/$name.ko"
  case $src in
    *.ko) cp "$src" "$ko" ;;
    *.ko.xz) xz -dc "$src" >"$ko" ;;
    *.ko.zst) zstd -qdc "$src" >"$ko" ;;
    *.ko.gz) gzip -dc "$src" >"$ko" ;;
  esac
  for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do place "$dep"; done
  order+=("$name.ko")
}
place kvm_amd
[[ -f $dir/l1/modules/kvm.ko && -f $dir/l1/modules/kvm_amd.ko ]] ||
  die "$kpkg lacks kvm.ko or kvm-amd.ko"
printf '%s\n' "${order[@]}" >"$dir/l1/modules.load"
log "  modules: ${order[*]}"

# --- busybox, QEMU and its libraries -----------------------------------------------------------
root=$dir/rootfs
mkdir -p "$root/bin" "$root/usr/bin" "$root/lib/$arch_dir" "$root/lib64" \
         "$root/usr/share/seabios" "$root/usr/share/qemu"
cp "$tree/bin/busybox" "$root/bin/busybox"
cp "$tree/usr/bin/qemu-system-x86_64" "$tree/usr/bin/qemu-system-x86_64-microvm" "$root/usr/bin/"
cp "$tree/usr/share/seabios/bios-microvm.bin" "$root/usr/share/seabios/"
for f in qboot.rom linuxboot_dma.bin linuxboot.bin pvh.bin kvmvapic.bin; do
  cp "$tree/usr/share/qemu/$f" "$root/usr/share/qemu/"
done

# find_lib SONAME: the file of SONAME in the unpacked packages (the x86-64 library folders).
find_lib() {
  local d
  for d in lib/$arch_dir usr/lib/$arch_dir lib64 usr/lib64 lib usr/lib; do
    if [[ -e $tree/$d/$1 ]]; then echo "$tree/$d/$1"; return 0; fi
  done
  return 1
}
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }

# The host's package for SONAME (dpkg -S), if the host has it, as "name version".
host_package() {
  local p
  p=$(dpkg -S "*/$arch_dir/$1" 2>/dev/null | grep -E '^[^ ]+(:amd64)?: ' | head -n1 | cut -d: -f1) ||
    true
  [[ -n $p ]] || return 1
  echo "$p $(offered_version "$p")"
}

# The version of PKG to fetch: the host's installed one if the apt sources still offer it (the
# host's QEMU runs with it), else the candidate.
offered_version() {
  local inst
  inst=$(dpkg-query -W -f='${Version}' "$1:amd64" 2>/dev/null ||
         dpkg-query -W -f='${Version}' "$1" 2>/dev/null) || true
  if [[ -n $inst ]] &&
     apt-cache madison "$1" | awk -F'|' -v v="$inst" '{gsub(/ /, "", $2)} $2 == v && $3 ~ /Packages/ {f=1} END {exit !f}'; then
    echo "$inst"
  else
    apt-cache policy "$1" | awk '/Candidate:/ {print $2}'
  fi
}

# The Depends (and Pre-Depends) of the packages fetched so far that are not fetched yet.
unfetched_depends() {
  local name
  for name in "${!fetched[@]}"; do
    apt-cache show "$name=${fetched[$name]}" 2>/dev/null |
      sed -n 's/^\(Pre-\)\?Depends: //p' | tr ',' '\n' | sed -E 's/^ *//; s/[ |].*//'
  done | sort -u | while read -r p; do
    [[ -n $p && -z ${fetched[$p]:-} ]] && echo "$p"
  done
}

# The closure: every soname the binary needs, and what they need, found in the unpacked packages
# or fetched.
declare -A have
queue=("$tree/usr/bin/qemu-system-x86_64" "$tree/usr/bin/qemu-system-x86_64-microvm")
missing=()
while ((${#queue[@]})); do
  elf=${queue[0]}
  queue=("${queue[@]:1}")
  for so in $(needed "$elf"); do
    [[ -n ${have[$so]:-} ]] && continue
    if ! f=$(find_lib "$so"); then
      if pv=$(host_package "$so"); then
        fetch "${pv% *}" "${pv#* }"
      fi
      if ! f=$(find_lib "$so"); then
        # Not on the host: the Depends of what we fetched, one level at a time.
        for p in $(unfetched_depends); do
          [[ $p == lib* ]] || continue
          fetch "$p" "$(offered_version "$p")"
        done
        f=$(find_lib "$so") || { missing+=("$so"); continue; }
      fi
    fi
    have[$so]=1
    cp -L "$f" "$root/lib/$arch_dir/$so"
    queue+=("$f")
  done
done
((${#missing[@]} == 0)) || die "no package found for: ${missing[*]}"
# The dynamic loader, at the path the binaries name (PT_INTERP).
for b in qemu-system-x86_64 qemu-system-x86_64-microvm; do
  interp=$(readelf -l "$tree/usr/bin/$b" | sed -n 's/.*interpreter: \(.*\)\]/\1/p')
  [[ $interp == /lib64/ld-linux-x86-64.so.2 ]] || die "unexpected interpreter of $b: $interp"
done
[[ -n ${fetched[libc6]:-} ]] || fetch libc6 "$(offered_version libc6)"
ld=$(find_lib ld-linux-x86-64.so.2) || die "libc6 has no ld-linux-x86-64.so.2"
cp -L "$ld" "$root/lib64/ld-linux-x86-64.so.2"

# Check: the binaries' loader finds every library in rootfs alone (ldd, with the rootfs's
# loader and library folder; nothing of the host's).
for b in qemu-system-x86_64 qemu-system-x86_64-microvm; do
if out=$("$root/lib64/ld-linux-x86-64.so.2" --library-path "$root/lib/$arch_dir" --list \
         "$root/usr/bin/$b" 2>&1); then
  if grep -q 'not found' <<<"$out"; then
    die "libraries missing: $(grep 'not found' <<<"$out" | xargs)"
  fi
  if grep -E '=> /' <<<"$out" | grep -v "=> $root/" >&2; then
    die "libraries resolved outside $root (above)"
  fi
else
  die "ld.so --list $b failed: $out"
fi
done
log "  $(ls "$root/lib/$arch_dir" | wc -l) libraries"

for name in "${!fetched[@]}"; do echo "$name ${fetched[$name]}"; done | sort >"$dir/packages"
touch "$dir/.complete"
log "cached in $dir"
echo "$dir"
