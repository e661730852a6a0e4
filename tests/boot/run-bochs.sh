#!/usr/bin/env bash
# run-bochs.sh ISO MODEL [MEGS]: boots ISO in Bochs with the CPU MODEL (an SVM model such as
# ryzen, or a VMX one) and its serial console on this script's stdout; Bochs's own output is
# kept in $ROOTSTOCK_BOCHS_LOG (default: a temporary file). The script becomes Bochs (exec), so
# whoever started it ends Bochs by this PID. Bochs exits with status 1 even after a clean guest
# power-off (TESTBEDS.md): judge the run by the console.
set -euo pipefail
iso=$1 model=$2 megs=${3:-512}
dir=$(mktemp -d)
log=${ROOTSTOCK_BOCHS_LOG:-$dir/bochs.log}
cat >"$dir/bochsrc" <<RC
cpu: model=$model, count=1, ips=50000000
megs: $megs
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path=$iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=/dev/fd/3
clock: sync=none
log: $log
sound: driver=dummy
speaker: enabled=0
display_library: rfb, options="timeout=0"
RC
# Debian's Bochs includes the debugger, which stops at start: "c" continues.
echo c >"$dir/commands"
exec bochs -q -f "$dir/bochsrc" -rc "$dir/commands" 3>&1 </dev/null >"$dir/bochs.out" 2>&1
