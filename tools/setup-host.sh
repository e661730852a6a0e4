#!/usr/bin/env bash
# Installs everything Rootstock needs on a Debian 12 (bookworm) host, as root. Idempotent: a second
# run on a set-up machine only checks and returns. Called by `./rootstock setup` and, when a tool is
# missing, by `build`, `run` and `test`.
set -euo pipefail

die() { echo "rootstock setup: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (it installs Debian packages)"
. /etc/os-release
[[ ${VERSION_CODENAME:-} == bookworm ]] || echo "rootstock setup: warning: tested on Debian 12 (bookworm), this is ${PRETTY_NAME:-unknown}" >&2

export DEBIAN_FRONTEND=noninteractive
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
sources_changed=0

# bookworm-backports: QEMU 10 and Catch2 3 come from there. deb-src of bookworm main: the LLVM 19
# source for libc++ and the mbedtls source for the sysroot (TOOLCHAIN.md: an explicit signed-by avoids the "Conflicting values set for
# option Signed-By" clash with debian.sources).
add_source() {
  local file=$1 body=$2
  if [[ ! -f $file ]] || [[ $(cat "$file") != "$body" ]]; then
    printf '%s\n' "$body" >"$file"
    sources_changed=1
  fi
}
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ ||
   [[ -f /etc/apt/sources.list.d/rootstock-backports.sources ]]; then
  add_source /etc/apt/sources.list.d/rootstock-backports.sources "Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: $keyring"
fi
add_source /etc/apt/sources.list.d/rootstock-src.sources "Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: $keyring"

stamp=/var/lib/apt/lists/rootstock-updated
if ((sources_changed)) || [[ ! -f $stamp ]] || [[ -n $(find "$stamp" -mmin +1440 2>/dev/null) ]]; then
  apt-get update -q
  touch "$stamp"
fi

# From bookworm (main and security).
base_pkgs=(
  ca-certificates git file cpio xz-utils zstd lz4 python3 make cmake ninja-build
  clang-19 lld-19 llvm-19 libclang-rt-19-dev clang-format-19 libfuzzer-19-dev
  musl-dev linux-libc-dev dpkg-dev
  build-essential bc bison flex libelf-dev libssl-dev kmod
  grub-pc-bin grub-common xorriso mtools dosfstools e2fsprogs
  bochs bochsbios vgabios
  ovmf
  busybox-static util-linux
  nlohmann-json3-dev
  libmbedtls-dev
)
# From bookworm-backports: QEMU 10 (QEMU 7.2 lacks x2APIC under TCG) and Catch2 v3.
bpo_pkgs=(qemu-system-x86 qemu-utils libcatch2-dev)

missing=()
for p in "${base_pkgs[@]}" "${bpo_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
major_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null | sed -E 's/^[0-9]+://; s/\..*//' || true; }
qemu_major=$(major_version qemu-system-x86)
catch_major=$(major_version libcatch2-dev)
if ((${#missing[@]})) || [[ ${qemu_major:-0} -lt 10 ]] || [[ ${catch_major:-0} -lt 3 ]]; then
  [[ -f $stamp ]] || { apt-get update -q; touch "$stamp"; }
  apt-get install -y -q --no-install-recommends "${base_pkgs[@]}"
  apt-get install -y -q --no-install-recommends -t bookworm-backports "${bpo_pkgs[@]}"
fi

# linux-source-6.12: the newest 6.12 Debian offers (bookworm-security is often ahead of
# backports, TOOLCHAIN.md), or the version ROOTSTOCK_KERNEL_VERSION pins (tools/build-kernel.sh).
# apt picks the highest version across all suites when asked by version.
offered=$(apt-cache madison linux-source-6.12 | awk '{print $3}' | sort -V)
[[ -n $offered ]] || die "no linux-source-6.12 package found in the apt sources"
want=${ROOTSTOCK_KERNEL_VERSION:-$(tail -n1 <<<"$offered")}
grep -qxF -- "$want" <<<"$offered" ||
  die "linux-source-6.12 $want (ROOTSTOCK_KERNEL_VERSION) is not offered; the apt sources have: $(xargs <<<"$offered")"
have=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
if [[ $have != "$want" ]]; then
  apt-get install -y -q --no-install-recommends --allow-downgrades "linux-source-6.12=$want"
fi

qemu-system-x86_64 --version | head -n1
echo "rootstock setup: host ready"
