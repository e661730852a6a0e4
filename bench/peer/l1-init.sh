#!/bin/sh
# The peer's L1 /init (busybox sh; bench/peer/make-l1-initramfs.sh puts it into the L1
# initramfs). Loads kvm_amd, then runs the child under Debian's QEMU -M microvm with KVM and
# stamps its console with this kernel's clock. Lines for bench/peer/run.sh, all "peer: WORD ...",
# times in seconds of /proc/uptime (10 ms steps):
#   peer: l1-init UPTIME ...          this script started
#   peer: kvm ...                     kvm_amd's parameters (npt, nested, avic)
#   peer: vmm-start UPTIME            just before QEMU starts
#   peer: child-uptime UPTIME SECS    the child's own uptime at its PID 1 (with
#                                     make-l1-initramfs.sh --child-uptime-overlay)
#   peer: child-init UPTIME           the child's "rootstock-child: init reached" line arrived
#   peer: vmm-exit UPTIME status=N    QEMU ended
#   peer: error ...                   something failed; the L1 powers off
# The child's console lines pass through unchanged in between.
export PATH=/bin:/usr/bin
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /tmp
[ -t 1 ] || exec </dev/console >/dev/console 2>&1

up() { read -r u _ </proc/uptime; echo "$u"; }
fail() {
  echo "peer: error $*"
  poweroff -f
  sleep 60
}

echo "peer: l1-init $(up) kernel=$(uname -r) cpus=$(nproc)"

# The run's settings: PEER_VMM (the QEMU binary), PEER_SMP, PEER_MEM, PEER_BIOS (default: what
# QEMU loads itself for -M microvm; qboot: -bios qboot.rom), PEER_APPEND (the child's command
# line), PEER_QEMU_EXTRA.
. /etc/peer.conf

while read -r ko; do
  insmod "/lib/modules/peer/$ko" || fail "insmod $ko failed"
done </lib/modules/peer/modules.load
[ -c /dev/kvm ] || { dmesg | tail -n 20; fail "no /dev/kvm after loading kvm_amd"; }
p=/sys/module/kvm_amd/parameters
echo "peer: kvm npt=$(cat $p/npt) nested=$(cat $p/nested) avic=$(cat $p/avic 2>/dev/null)"

bios=
[ "$PEER_BIOS" = qboot ] && bios="-bios /usr/share/qemu/qboot.rom"

# QEMU's console (its stdout) goes through this loop, which stamps the lines that matter with
# the uptime when they arrive; read and echo are sh builtins, so a stamp forks nothing.
stamp() {
  while IFS= read -r line; do
    case $line in
      *"rootstock-child: init reached"*)
        read -r u _ </proc/uptime
        echo "peer: child-init $u"
        ;;
      *"peer-child: uptime-at-init "*)
        read -r u _ </proc/uptime
        c=${line#*uptime-at-init }
        echo "peer: child-uptime $u ${c%% *}"
        ;;
      "peer-qemu-status "*)
        read -r u _ </proc/uptime
        echo "peer: vmm-exit $u status=${line#peer-qemu-status }"
        continue
        ;;
    esac
    printf '%s\n' "$line"
  done
}

read -r u _ </proc/uptime
echo "peer: vmm-start $u"
# shellcheck disable=SC2086  # $bios and $PEER_QEMU_EXTRA are lists of words
{
  "$PEER_VMM" -M microvm,rtc=on -enable-kvm -cpu host -smp "$PEER_SMP" -m "$PEER_MEM" \
    -nodefaults -no-user-config -nographic -serial stdio -no-reboot $bios $PEER_QEMU_EXTRA \
    -kernel /child/vmlinuz -initrd /child/initrd.cpio -append "$PEER_APPEND" 2>&1
  echo "peer-qemu-status $?"
} | stamp
poweroff -f
sleep 60
