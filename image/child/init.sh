#!/bin/sh
# The default child VM's /init (busybox sh). The root reads the child's console: the marker line
# below says the child reached user space and what it sees; rootstock.child_cmd=NAME on the
# kernel command line runs one named check before the shell (or ends the VM: poweroff, reboot).

# Not `set -e`: if PID 1 exits the kernel panics, so a failed step is reported and we go on.
export PATH=/bin

# The kernel mounts nothing for an initramfs. A mount that is already there (a second run of
# this script by hand) is kept.
mounted() { grep -q "^[^ ]* $1 " /proc/mounts 2>/dev/null; }
mounted /proc || mount -t proc proc /proc
mounted /sys || mount -t sysfs sysfs /sys
mounted /dev || mount -t devtmpfs devtmpfs /dev
# On a disk root file system the kernel opened /dev/console before devtmpfs was there only if
# the disk holds the node; either way PID 1's output goes to the console from here on.
[ -t 1 ] || exec </dev/console >/dev/console 2>&1

# A distribution kernel (the stock-kernel child, image/examples/stock-kernel) has its virtio
# drivers as modules: its initramfs lists them, dependencies first, in modules.load, and they are
# loaded before anything looks for a device. The project's own kernel has them built in and its
# initramfs no such list.
modules=/lib/modules/$(uname -r)
if [ -f "$modules/modules.load" ]; then
  while read -r ko; do
    insmod "$modules/$ko" || echo "rootstock-child: insmod $ko failed"
  done <"$modules/modules.load"
  # hvc0 (virtio_console) exists only now: /dev/console, opened again, is the last console=.
  exec </dev/console >/dev/console 2>&1
fi

mem_kib=
while read -r key value _; do
  if [ "$key" = MemTotal: ]; then
    mem_kib=$value
    break
  fi
done </proc/meminfo

cmd=
peer=
url=
read -r cmdline </proc/cmdline
set -f # the command line's words are not file patterns
for word in $cmdline; do
  case $word in
    rootstock.child_cmd=*) cmd=${word#*=} ;;
    rootstock.peer=*) peer=${word#*=} ;;
    rootstock.url=*) url=${word#*=} ;;
  esac
done
# The ACPI power button (the appliance presses it to stop a VM in order): busybox's acpid maps
# the button's key to the action PWRF/00000080 under its configuration folder and runs it. With
# -d (foreground, its log on this console: "acpid: PWRF/00000080"), in this script's
# background: as a daemon, or with -f alone, Debian's busybox 1.35 ran no action here.
mkdir -p /etc/acpi/PWRF
# rootstock.child_cmd=ignore-button makes a child that ignores it (the appliance then stops it
# once its shutdown bound has passed).
if [ "$cmd" = ignore-button ]; then
  printf '#!/bin/sh\necho "rootstock-child: power button ignored"\n' >/etc/acpi/PWRF/00000080
else
  printf '#!/bin/sh\necho "rootstock-child: power button"\nsync\npoweroff -f\n' \
    >/etc/acpi/PWRF/00000080
fi
chmod +x /etc/acpi/PWRF/00000080
acpid -d -c /etc/acpi &

# The child's uptime in milliseconds, in the 10 ms steps /proc/uptime gives (its leading zeros
# dropped: sh reads a number with one as octal).
uptime_ms() {
  read -r up _ </proc/uptime
  cs=${up%.*}${up#*.}
  cs=${cs#"${cs%%[!0]*}"}
  echo $((${cs:-0} * 10))
}

# After acpid has started, so that whoever reads this line may press the power button.
# nproc counts the CPUs PID 1 may run on: at boot, every online CPU; uptime_ms is the child
# kernel's own time to here (bench/peer compares it with KVM's).
echo "rootstock-child: init reached cpus=$(nproc) mem_kib=$mem_kib kernel=$(uname -r)" \
  "uptime_ms=$(uptime_ms)"

# How virtio disk $1 (vda, …) reaches this kernel: "bus=pci msix=N" (the PCI transport and
# the MSI-X vectors its driver took: /proc/interrupts names their chip PCI-MSIX-<device> from
# Linux 6.2 on, PCI-MSI before; virtio-pci takes no plain MSI) or "bus=mmio".
virtio_bus() {
  dev=$(readlink -f /sys/block/$1/device)
  case $dev in
    */pci0000:*) echo "bus=pci msix=$(grep -c "PCI-MSI.*${dev##*/}-" /proc/interrupts)" ;;
    */virtio-mmio*) echo "bus=mmio" ;;
    *) echo "bus=unknown" ;;
  esac
}

# The transport of network interface $1.
virtio_bus_of_net() {
  case $(readlink -f /sys/class/net/$1/device) in
    */pci0000:*) echo "bus=pci" ;;
    */virtio-mmio*) echo "bus=mmio" ;;
    *) echo "bus=unknown" ;;
  esac
}

case $cmd in
  '') ;;
  # The root times the gap between the two lines against its own clock.
  sleep2)
    echo "rootstock-child: sleep2 start"
    sleep 2
    echo "rootstock-child: sleep2 end"
    ;;
  poweroff) poweroff -f ;;
  # A reset from inside: the appliance restarts the VM when its spec says on-reset=restart.
  reboot)
    echo "rootstock-child: rebooting"
    reboot -f
    ;;
  ignore-button) ;;
  # A root file system on a virtio disk: a count of the boots it has seen, written and synced
  # (the journal's commit and a FLUSH); the first boot restarts the VM (on-reset: restart),
  # the second finds its count.
  root-check)
    root=$(grep ' / ' /proc/mounts | head -n 1)
    n=$(cat /boot-count 2>/dev/null || echo 0)
    n=$((n + 1))
    echo $n >/boot-count
    sync
    echo "rootstock-child: root ${root%% rw*} boots=$n $(virtio_bus vda)"
    [ "$n" -ge 2 ] || reboot -f
    ;;
  # Each virtio disk (/dev/vd*): its size, read-only flag, serial and the SHA-256 of its first
  # 64 KiB; then a line written 4 KiB in with a flush (conv=fsync: VIRTIO_BLK_T_FLUSH), the
  # page cache dropped and the line read back from the device, or the write refused.
  disk-check)
    set +f # file patterns again (off while the command line was read)
    # The console this init writes to (the last console= word: hvc0, virtio-console) and the
    # entropy device (virtio-rng, the kernel's current hw_random).
    case " $(cat /sys/class/tty/console/active) " in
      *" hvc0 "*) echo "rootstock-child: console on hvc0" ;;
    esac
    if [ -e /dev/hwrng ]; then
      n=$(dd if=/dev/hwrng bs=32 count=1 2>/dev/null | wc -c)
      echo "rootstock-child: rng $(cat /sys/class/misc/hw_random/rng_current) read=$n"
    fi
    for d in /sys/block/vd*; do
      [ -e "$d" ] || { echo "rootstock-child: no virtio disks (command line: $cmdline)"; break; }
      n=${d##*/}
      sum=$(dd if=/dev/$n bs=4096 count=16 2>/dev/null | sha256sum)
      echo "rootstock-child: disk $n sectors=$(cat $d/size) ro=$(cat $d/ro)" \
        "serial=$(cat $d/serial 2>/dev/null) sha256=${sum%% *} $(virtio_bus $n)"
      if echo "rootstock-child wrote $n" | dd of=/dev/$n bs=512 seek=8 conv=fsync 2>/dev/null; then
        echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || blockdev --flushbufs /dev/$n
        echo "rootstock-child: read back $n: $(dd if=/dev/$n bs=512 skip=8 count=1 2>/dev/null | head -n 1)"
      else
        echo "rootstock-child: write refused $n"
      fi
    done
    ;;
  # A network interface configured by the kernel's DHCP client (ip=dhcp) over virtio-net.
  net-check)
    addr=$(ip -o -4 addr show dev eth0 | grep -o 'inet [0-9./]*')
    echo "rootstock-child: net eth0 ${addr:-no address} $(virtio_bus_of_net eth0) mtu=$(cat /sys/class/net/eth0/mtu)"
    ;;
  # A file over HTTP (rootstock.url=) through the bridge, once eth0 has its lease (ip=dhcp:
  # the kernel waits for it before it starts init): busybox's wget fetches it into /tmp and the
  # line gives its size, its SHA-256 and the time wget took by the child's clock. (Not wget -T:
  # Debian's busybox 1.35 crashes with it; the boot test's own limit ends a stalled fetch.)
  net-fetch)
    addr=$(ip -o -4 addr show dev eth0 | grep -o 'inet [0-9./]*')
    if [ -z "$addr" ]; then
      echo "rootstock-child: fetch failed: no address on eth0"
    else
      echo "rootstock-child: fetching $url from eth0 ${addr#inet }"
      t0=$(uptime_ms)
      if wget -q -O /tmp/fetched "$url"; then
        ms=$(($(uptime_ms) - t0))
        bytes=$(wc -c </tmp/fetched)
        sum=$(sha256sum </tmp/fetched)
        echo "rootstock-child: fetched bytes=$bytes sha256=${sum%% *} ms=$ms" \
          "bytes_per_ms=$((bytes / (ms > 0 ? ms : 1)))"
      else
        echo "rootstock-child: fetch failed: wget $url exited $?"
      fi
      rm -f /tmp/fetched
    fi
    ;;
  # Two children on the VMs' bridge: this one pings its peer (rootstock.peer=ADDRESS) until it
  # answers, for at most a minute (the peer may still be booting).
  net-peer)
    reached=no
    for i in $(seq 60); do
      if ping -c 1 -W 1 "$peer" >/dev/null 2>&1; then reached=yes; break; fi
    done
    echo "rootstock-child: peer $peer reached=$reached"
    ;;
  # A hostile virtio driver (virtio-hostile, image/child/virtio_hostile.cpp) takes the disk whose
  # serial is "victim" from Linux and hands it malformed virtqueues, a line per case, once a line
  # is typed (so that whoever watches can have other VMs busy first). Then the child's other
  # devices must still answer: hvc0, the disk whose serial is "reference" (its known text, read
  # past the page cache), virtio-rng; and the victim, given back to Linux's driver, reads as
  # before.
  virtio-hostile)
    set +f
    victim=
    reference=
    for d in /sys/block/vd*; do
      case $(cat $d/serial 2>/dev/null) in
        victim) victim=${d##*/} ;;
        reference) reference=${d##*/} ;;
      esac
    done
    if [ -z "$victim" ] || [ -z "$reference" ]; then
      echo "rootstock-child: hostile: no disks with serials victim and reference"
    else
      dev=$(readlink -f /sys/block/$victim/device)
      pci=${dev%/*}
      bdf=${pci##*/}
      echo "rootstock-child: hostile ready"
      read -r _
      virtio-hostile "$bdf"
      case " $(cat /sys/class/tty/console/active) " in
        *" hvc0 "*) echo "rootstock-child: after hostile: console on hvc0" ;;
      esac
      echo 3 >/proc/sys/vm/drop_caches
      sum=$(dd if=/dev/$reference bs=4096 count=16 2>/dev/null | sha256sum)
      echo "rootstock-child: after hostile: disk serial=reference sha256=${sum%% *}"
      n=$(dd if=/dev/hwrng bs=32 count=1 2>/dev/null | wc -c)
      echo "rootstock-child: after hostile: rng $(cat /sys/class/misc/hw_random/rng_current) read=$n"
      echo "$bdf" >/sys/bus/pci/drivers/virtio-pci/bind
      back=
      for d in /sys/block/vd*; do
        [ "$(cat $d/serial 2>/dev/null)" = victim ] && back=${d##*/}
      done
      sum=$(dd if=/dev/${back:-none} bs=4096 count=16 2>/dev/null | sha256sum)
      echo "rootstock-child: after hostile: disk serial=victim back=${back:-no} sha256=${sum%% *}"
    fi
    ;;
  # Disk I/O in rounds, one after the other until the VM stops (the sibling of virtio-hostile):
  # a line written 4 KiB into the first virtio disk with a flush, the page cache dropped, the
  # line read back; a console line per round.
  disk-loop)
    i=0
    while [ $i -lt 100000 ]; do
      i=$((i + 1))
      line="rootstock-child disk-loop round $i"
      echo "$line" | dd of=/dev/vda bs=512 seek=8 conv=fsync 2>/dev/null
      echo 3 >/proc/sys/vm/drop_caches
      got=$(dd if=/dev/vda bs=512 skip=8 count=1 2>/dev/null | head -n 1)
      if [ "$got" = "$line" ]; then
        echo "rootstock-child: disk-loop ok round=$i"
      else
        echo "rootstock-child: disk-loop failed round=$i read: $got"
      fi
    done
    ;;
  # Threads on every CPU pass a token 200 times round, each spinning for its turn
  # (image/child/cpu_handoff.cpp); with more vCPUs than the root has CPUs, only vCPUs that give
  # way while they spin keep this fast (boot test root-overcommit).
  cpu-handoff) cpu-handoff 200 ;;
  # The cost of an exit to the VMM's user space by this child's clock, then off (bench/peer).
  io-exits)
    io-exits 20000
    # The serial driver sends the line from its buffer; poweroff -f would not wait for it
    # (a UART at 115200 baud needs ~6 ms for the line; tcdrain is not in busybox's sh).
    sleep 1
    poweroff -f
    ;;
  # A vsock echo server on port 5000 (virtio-vsock) for the root's vsock-echo self-test, in the
  # background so the shell follows; it says "vsock listening port=5000 cid=N" once it listens.
  vsock-echo)
    vsock-echo 5000 &
    ;;
  # The virtio-exits self-test's workloads: before each, a line and a wait for a typed line
  # (the root reads its exit counters then), after it a line (it reads them again). 1024 direct
  # 4 KiB reads of the first virtio disk; 200 pings of rootstock.peer= (once it answers).
  exit-figures)
    echo "rootstock-child: blk-reads ready"
    read -r _
    records=$(dd if=/dev/vda of=/dev/null bs=4096 count=1024 iflag=direct 2>&1 | grep 'records in')
    echo "rootstock-child: blk-reads done read=${records%%+*}" \
      "clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
    for i in $(seq 60); do ping -c 1 -W 1 "$peer" >/dev/null 2>&1 && break; done
    echo "rootstock-child: net-pings ready"
    read -r _
    summary=$(ping -q -c 200 -i 0.02 "$peer" 2>&1 | grep transmitted)
    set -- $summary
    echo "rootstock-child: net-pings done sent=${1:-0} received=${4:-0}"
    ;;
  *) echo "rootstock-child: unknown rootstock.child_cmd=$cmd" ;;
esac

# /dev/console cannot be a controlling terminal, so without help the shell has no job control:
# setsid gives a new session and cttyhack reopens the real console (ttyS0) as its terminal.
setsid cttyhack sh
# Nothing restarts the shell; a child VM with no shell left has nothing to do.
poweroff -f
