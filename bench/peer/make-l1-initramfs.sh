#!/usr/bin/env bash
# make-l1-initramfs.sh: the peer's L1 initramfs (issue 19): busybox, kvm_amd and its
# dependencies, Debian's qemu-system-x86_64 with its libraries and firmware, the child's kernel
# and initramfs, and /init (bench/peer/l1-init.sh), which loads the modules and runs the child
# under QEMU -M microvm with KVM. An uncompressed newc cpio (nothing to decompress under TCG).
#
# Usage: make-l1-initramfs.sh [options] OUT.cpio
#   --child-kernel FILE   the child's kernel (default: the project's stock-kernel child,
#                         BUILD/stock-kernel/vmlinuz, else ~/.cache/rootstock/stock-linux-image-*/
#                         vmlinuz, the newest)
#   --child-initrd FILE   its initramfs (default: BUILD/stock-kernel/child-initramfs.cpio)
#                         (if neither default exists: BUILD/linux/bzImage and
#                         BUILD/child/initramfs.cpio, the project's own child kernel, with a note)
#   --append TEXT         the child's command line
#                         (default: console=ttyS0 quiet mce=off rootstock.child_cmd=io-exits,
#                         as bench/peer/appliance.sh: the child times 20000 port writes to the
#                         VMM's user space, prints "rootstock-child: io-exits ... ns-per-exit=N"
#                         and powers off)
#   --smp N --mem SIZE    the child's vCPUs and memory (default 2, 256M)
#   --bios default|qboot  default: the firmware QEMU loads itself for -M microvm (Debian: seabios's
#                         bios-microvm.bin); qboot: -bios qboot.rom (qemu-system-data)
#   --vmm full|microvm    which of Debian's QEMU binaries runs the child: full, qemu-system-x86_64
#                         (default), or microvm, qemu-system-x86_64-microvm (Debian's build with
#                         only the microvm machine and its devices, fewer libraries)
#   --qemu-extra TEXT     more words for the child's QEMU command line
#   --child-uptime-overlay  append a small archive to the child's initramfs (in OUT only) whose
#                         /init prints "peer-child: uptime-at-init SECONDS" (the child's
#                         /proc/uptime when its PID 1 starts) and then runs the child's own /init
#                         (kept as /init.child). Off by default: the child's init-reached line
#                         has its uptime (uptime_ms=) since commit 36a3a62, and without the
#                         overlay the child is the very one bench/peer/appliance.sh runs
# BUILD is $ROOTSTOCK_BUILD or the checkout's build/. The packages come from
# bench/peer/fetch.sh (run here; its cache makes that quick).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${ROOTSTOCK_BUILD:-$repo/build}
cache=${ROOTSTOCK_CACHE:-$HOME/.cache/rootstock}

die() { echo "peer-initramfs: $*" >&2; exit 1; }
log() { echo "peer-initramfs: $*" >&2; }

child_kernel='' child_initrd='' append='console=ttyS0 quiet mce=off rootstock.child_cmd=io-exits'
smp=2 mem=256M bios=default vmm=full extra='' child_uptime=0 out=''
while (($#)); do
  case $1 in
    --child-kernel) child_kernel=$2; shift 2 ;;
    --child-initrd) child_initrd=$2; shift 2 ;;
    --append) append=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --bios) bios=$2; shift 2 ;;
    --vmm) vmm=$2; shift 2 ;;
    --qemu-extra) extra=$2; shift 2 ;;
    --child-uptime-overlay) child_uptime=1; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) [[ -z $out ]] || die "one output only"; out=$1; shift ;;
  esac
done
[[ -n $out ]] || die "usage: make-l1-initramfs.sh [options] OUT.cpio (--help)"
[[ $bios == default || $bios == qboot ]] || die "--bios takes default or qboot"
case $vmm in
  full) vmm_bin=qemu-system-x86_64 other=qemu-system-x86_64-microvm ;;
  microvm) vmm_bin=qemu-system-x86_64-microvm other=qemu-system-x86_64 ;;
  *) die "--vmm takes full or microvm" ;;
esac

# The child: the stock-kernel child, else the project's own.
if [[ -z $child_kernel && -z $child_initrd ]]; then
  stock=$(ls -d "$cache"/stock-linux-image-* 2>/dev/null | sort -V | tail -n1 || true)
  if [[ -f $build/stock-kernel/vmlinuz && -f $build/stock-kernel/child-initramfs.cpio ]]; then
    child_kernel=$build/stock-kernel/vmlinuz
    child_initrd=$build/stock-kernel/child-initramfs.cpio
  elif [[ -n $stock && -f $stock/vmlinuz && -f $build/stock-kernel/child-initramfs.cpio ]]; then
    child_kernel=$stock/vmlinuz
    child_initrd=$build/stock-kernel/child-initramfs.cpio
  elif [[ -f $build/linux/bzImage && -f $build/child/initramfs.cpio ]]; then
    child_kernel=$build/linux/bzImage
    child_initrd=$build/child/initramfs.cpio
    log "note: no stock-kernel child; using the project's own child kernel $child_kernel"
  else
    die "no child: neither the stock-kernel child nor $build/linux/bzImage"
  fi
fi
[[ -f $child_kernel ]] || die "no child kernel $child_kernel"
[[ -f $child_initrd ]] || die "no child initramfs $child_initrd"

pkg=$("$here/fetch.sh")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root

# Busybox and its applets (symlinks in /bin), QEMU, its libraries and firmware.
cp -a "$pkg/rootfs" "$root"
rm -f "$root/usr/bin/$other"
mkdir -p "$root"/{dev,proc,sys,tmp,etc,child,lib/modules/peer,usr/bin}
for applet in $("$root/bin/busybox" --list); do
  [[ -e $root/bin/$applet ]] || ln -s busybox "$root/bin/$applet"
done
[[ -e $root/bin/sh && -e $root/bin/insmod && -e $root/bin/poweroff ]] ||
  die "busybox lacks sh, insmod or poweroff"
# The console node for the kernel to open for PID 1 before devtmpfs is mounted (the kernel's
# built-in archive has one too; this one needs root).
if [[ $(id -u) == 0 ]]; then mknod -m 600 "$root/dev/console" c 5 1; fi

# The kvm modules, dependencies first.
cp "$pkg"/l1/modules/*.ko "$pkg/l1/modules.load" "$root/lib/modules/peer/"

cp "$here/l1-init.sh" "$root/init"
chmod 755 "$root/init"

# The run's settings, read by /init.
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
{
  echo "PEER_SMP=$(q "$smp")"
  echo "PEER_MEM=$(q "$mem")"
  echo "PEER_BIOS=$(q "$bios")"
  echo "PEER_VMM=$(q "$vmm_bin")"
  echo "PEER_APPEND=$(q "$append")"
  echo "PEER_QEMU_EXTRA=$(q "$extra")"
} >"$root/etc/peer.conf"
{
  echo "l1_kernel=$(cat "$pkg/l1/release")"
  echo "child_kernel=$child_kernel"
  echo "child_initrd=$child_initrd sha256=$(sha256sum <"$child_initrd" | cut -d' ' -f1)"
  echo "child_uptime_overlay=$child_uptime"
  sed 's/^/package /' "$pkg/packages"
} >"$root/etc/peer.sources"

cp "$child_kernel" "$root/child/vmlinuz"
cp "$child_initrd" "$root/child/initrd.cpio"
if ((child_uptime)); then
  # The overlay: Linux unpacks concatenated archives in order, a later file replacing an
  # earlier one, so this /init comes first and the child's own runs as /init.child.
  ov=$work/overlay
  mkdir -p "$ov"
  (cd "$ov" && cpio -i --quiet --to-stdout init <"$child_initrd" >init.child) ||
    die "cannot read /init from $child_initrd"
  [[ -s $ov/init.child ]] || die "$child_initrd has no /init"
  cat >"$ov/init" <<'EOF'
#!/bin/sh
# bench/peer overlay: the child's uptime when its PID 1 starts, then the child's own /init.
export PATH=/bin
mount -t proc proc /proc
read -r up _ </proc/uptime
echo "peer-child: uptime-at-init $up"
exec /init.child "$@"
EOF
  chmod 755 "$ov/init" "$ov/init.child"
  (cd "$ov" && printf '%s\n' init init.child | cpio -o --quiet -H newc -R 0:0) \
    >>"$root/child/initrd.cpio"
fi

(cd "$root" && find . -mindepth 1 | sed 's#^\./##' | LC_ALL=C sort |
   cpio -o --quiet -H newc -R 0:0) >"$out.tmp"
mv -f "$out.tmp" "$out"
log "$out: $(du -h "$out" | cut -f1), L1 kernel $(cat "$pkg/l1/release"), child $child_kernel"
echo "$pkg/l1/vmlinuz"
