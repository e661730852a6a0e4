#!/usr/bin/env bash
# run-ovmf.sh DIR EFI [SHELL-LINE] -- QEMU ARGS...: boots a UEFI application under OVMF (Debian's
# ovmf package) from an EFI system partition QEMU makes of the folder DIR/esp. Without
# SHELL-LINE the application is the removable-media boot file \EFI\BOOT\BOOTX64.EFI, which the
# firmware's boot manager starts on its own; with it the application is \rootstock.efi and
# \startup.nsh runs SHELL-LINE in the firmware's UEFI shell (which starts when nothing else
# boots), so that the application gets load options. DIR is made afresh with a writable copy of
# OVMF's variable store. The script becomes QEMU (exec): whoever started it ends QEMU by this PID.
set -euo pipefail
dir=$1 efi=$2
shift 2
shell_line=
if [[ $1 != -- ]]; then
  shell_line=$1
  shift
fi
[[ $1 == -- ]] || { echo "usage: run-ovmf.sh DIR EFI [SHELL-LINE] -- QEMU ARGS..." >&2; exit 2; }
shift
code=/usr/share/OVMF/OVMF_CODE_4M.fd
vars=/usr/share/OVMF/OVMF_VARS_4M.fd
[[ -r $code && -r $vars ]] || { echo "run-ovmf.sh: no OVMF (apt-get install ovmf)" >&2; exit 2; }
rm -rf "$dir"
mkdir -p "$dir/esp"
cp "$vars" "$dir/vars.fd"
if [[ -z $shell_line ]]; then
  mkdir -p "$dir/esp/EFI/BOOT"
  cp "$efi" "$dir/esp/EFI/BOOT/BOOTX64.EFI"
else
  cp "$efi" "$dir/esp/rootstock.efi"
  printf '%s\r\n' "$shell_line" >"$dir/esp/startup.nsh"
fi
exec qemu-system-x86_64 \
  -drive "if=pflash,format=raw,readonly=on,file=$code" \
  -drive "if=pflash,format=raw,file=$dir/vars.fd" \
  -drive "file=fat:rw:$dir/esp,format=raw,if=virtio" \
  "$@"
