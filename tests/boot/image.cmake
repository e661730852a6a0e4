# ---- rootstock.img, the disk image users flash, under UEFI (OVMF) ----------------------------
# Included at the end of tests/boot/CMakeLists.txt, whose helpers (root_boot_steps, efi_modules,
# BOOTTEST) it uses.
#
# image_boot_test(NAME TIMEOUT <s> DISK nvme|virtio|usb [SIZE <size>] [CONFIG <file>
#   [ESP_FILES <files>]] [AGAIN <test>] [ACCEL <accel>] QEMU <args> STEPS <steps>):
#   run-ovmf-disk.sh boots a sparse copy of rootstock.img (with CONFIG as its ESP's
#   rootstock.json and ESP_FILES beside it; with AGAIN, of the disk that test left), grown to
#   SIZE (the image's own size when not given), as the machine's one disk of that kind, in the
#   test's folder ${ROOTSTOCK_OUT}/test-logs/NAME.ovmf, where it stays after the run; the
#   monitor as qemu_monitor_test has it. ACCEL defaults to multi-threaded TCG.
set(DISK_IMAGE ${ROOTSTOCK_OUT}/rootstock.img)

function(image_boot_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "TIMEOUT;DISK;SIZE;ACCEL;CONFIG;AGAIN"
                        "QEMU;STEPS;ESP_FILES")
  if(NOT arg_ACCEL)
    set(arg_ACCEL tcg)
  endif()
  set(size)
  if(arg_SIZE)
    set(size --size ${arg_SIZE})
  endif()
  if(arg_CONFIG)
    list(APPEND size --config ${arg_CONFIG})
  endif()
  foreach(file IN LISTS arg_ESP_FILES)
    list(APPEND size --esp-file ${file})
  endforeach()
  # AGAIN <test>: a copy of the disk and firmware variables that test's run left.
  set(dir ${ROOTSTOCK_OUT}/test-logs/${name}.ovmf)
  if(arg_AGAIN)
    list(APPEND size --from ${ROOTSTOCK_OUT}/test-logs/${arg_AGAIN}.ovmf)
  endif()
  set(socket ${ROOTSTOCK_OUT}/test-logs/${name}.monitor)
  add_test(NAME boot.${name}
    COMMAND ${BOOTTEST} --name ${name} --timeout ${arg_TIMEOUT}
            --log-dir ${ROOTSTOCK_OUT}/test-logs --monitor-socket ${socket} ${arg_STEPS}
            -- ${CMAKE_CURRENT_SOURCE_DIR}/run-ovmf-disk.sh ${dir}
               ${DISK_IMAGE} --disk ${arg_DISK} ${size} --
               -accel ${arg_ACCEL} -machine q35 -display none -vga none -serial stdio
               -monitor unix:${socket},server,nowait -no-reboot ${arg_QEMU})
  math(EXPR outer "${arg_TIMEOUT} + 30")
  set_tests_properties(boot.${name} PROPERTIES TIMEOUT ${outer} LABELS boot)
endfunction()

# The image as a user boots it: the firmware finds \EFI\BOOT\BOOTX64.EFI on the disk's EFI
# system partition by itself (no boot entry, no load options), so the appliance comes up with
# the default child VM. The loader names the partition it was started from, and PID 1 finds that
# disk, reads the configuration on its ESP, gives the disk fresh GUIDs, grows the data partition
# to the disk's end and mounts it. On each disk kind the firmware reads the image from (under
# OVMF a USB stick is read by the firmware's own xHCI and mass storage drivers, then by the
# root's). The disk is 256 MiB, larger than the image (130 MiB), as a real one is.
# Single-threaded TCG as efi-bootx64, for the default child.
set(IMG_QEMU -cpu EPYC,+svm,+npt -smp 2 -m 1G -nic none)
set(img_loader
  --text "rootstock.efi: started from GPT partition 08956129-8e61-46f8-a220-009da94b488f@300"
  --text "rootstock.efi: no graphics output (GOP): the root gets no framebuffer@10"
  --text "rootstock.efi: hv at 0x100000-@10"
  --text "rootstock.efi: command line \"console=tty0 console=ttyS0 loglevel=5 rootstock.esp=08956129-8e61-46f8-a220-009da94b488f\"@10"
  --text "rootstock.efi: leaving the firmware@10"
  --text "entered through Multiboot2@60")
# first_boot_steps(OUT PARTITION [AFTER <steps>]): a first boot's state, then AFTER.
function(first_boot_steps out partition)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "AFTER")
  root_boot_steps(steps 2
    BEFORE_INIT ${efi_modules}
    AFTER_INIT
      --text "rootstock: boot disk: fresh GUIDs for the disk and its partitions in place of the image's@120"
      --milestone "data-grown device=/dev/${partition} from_mib=64 to_mib>=150 to_mib<=192@60"
      --milestone "data-mounted device=/dev/${partition} boots=1@60"
      ${arg_AFTER})
  set(${out} ${img_loader} ${steps} PARENT_SCOPE)
endfunction()

# NVMe: the first boot, then the same disk twice more. The second boot finds its state (the boot
# counter) and nothing to grow or renew, and then loses power at once: a hard stop, no shutdown.
# The third finds what the second wrote before its milestone. Each later boot starts from a copy
# of the disk the one before left (a ctest fixture: it is skipped when that one failed), so a
# retried test boots the same disk again.
first_boot_steps(steps nvme0n1p2 AFTER
  --milestone "config source=esp hostname=rootstock api=off vms=0@60"
  --milestone "vm-started id=0 vcpus=2 mem_mib=256@60")
image_boot_test(img-nvme TIMEOUT 600 DISK nvme SIZE 256M ACCEL tcg,thread=single
  QEMU ${IMG_QEMU} STEPS ${steps})
set(again_steps
  --text "rootstock.efi: started from GPT partition@300"
  --milestone "root-init cpus=2@240"
  --fail "fresh GUIDs" --fail "data-grown")
image_boot_test(img-nvme-again TIMEOUT 600 DISK nvme AGAIN img-nvme ACCEL tcg,thread=single
  QEMU ${IMG_QEMU}
  STEPS ${again_steps}
        --milestone "data-mounted device=/dev/nvme0n1p2 size_mib>=150 boots=2@120"
        --monitor "quit@10" --exit 0@30)
image_boot_test(img-nvme-after-cut TIMEOUT 600 DISK nvme AGAIN img-nvme-again ACCEL tcg,thread=single
  QEMU ${IMG_QEMU}
  STEPS ${again_steps}
        --milestone "data-mounted device=/dev/nvme0n1p2 boots=3@120"
        --monitor "quit@10" --exit 0@30)
set_tests_properties(boot.img-nvme PROPERTIES FIXTURES_SETUP img-nvme-disk)
set_tests_properties(boot.img-nvme-again PROPERTIES FIXTURES_REQUIRED img-nvme-disk
  FIXTURES_SETUP img-nvme-again-disk)
set_tests_properties(boot.img-nvme-after-cut PROPERTIES
  FIXTURES_REQUIRED "img-nvme-disk;img-nvme-again-disk")

# A power cut during the first boot, right as the disk gets its fresh GUIDs (after the GPT has
# grown, before the file system has): the disk still boots, and that boot finishes the work —
# the file system grown, the state mounted and counted as the first boot.
image_boot_test(img-nvme-cut-first-boot TIMEOUT 600 DISK nvme SIZE 256M ACCEL tcg,thread=single
  QEMU ${IMG_QEMU}
  STEPS --milestone "root-init cpus=2@400"
        --text "rootstock: boot disk: fresh GUIDs for the disk and its partitions@120"
        --monitor "quit@10" --exit 0@30)
image_boot_test(img-nvme-after-first-cut TIMEOUT 600 DISK nvme AGAIN img-nvme-cut-first-boot
  ACCEL tcg,thread=single QEMU ${IMG_QEMU}
  STEPS --text "rootstock.efi: started from GPT partition@300"
        --milestone "root-init cpus=2@240"
        --milestone "data-grown device=/dev/nvme0n1p2 from_mib=64 to_mib>=150@120"
        --milestone "data-mounted device=/dev/nvme0n1p2 boots=1@60"
        --monitor "quit@10" --exit 0@30)
set_tests_properties(boot.img-nvme-cut-first-boot PROPERTIES FIXTURES_SETUP img-nvme-cut-disk)
set_tests_properties(boot.img-nvme-after-first-cut PROPERTIES FIXTURES_REQUIRED img-nvme-cut-disk)

# virtio-blk, with the configuration a user wrote on the ESP before the first boot: its host
# name (as the kernel has it now), its API token, its static network on QEMU's user network
# (restrict=on) with the VMs on a network of their own (the address on eth0, not the bridge),
# and its VM, which the first boot writes to the data partition as a spec file and starts beside
# the default child.
#
# Then its management API, over HTTPS from this host through a port QEMU forwards (docs/api.md),
# the certificate pinned to the fingerprint the api-ready milestone prints: a request without
# the token is refused; an initramfs is uploaded (with its SHA-256) into the image store;
# Firecracker's start sequence, as its Go SDK sends it, makes and starts a VM booting it, with a
# drive and a network interface, which reaches its init (a kernel outside the image folders is
# refused); configuring it after the start is refused in Firecracker's words, and so is deleting
# the image it uses; it pauses and resumes; its console is read back; Ctrl-Alt-Del powers it off
# and it is deleted, then its image.
# The VMs made here boot with loglevel=1: under emulation their kernels warn now and then (the
# clocksource watchdog), and a warning printed into the middle of their init's line would break
# the line the test waits for.
set(kernel /lib/rootstock/child/bzImage)
set(initrd /lib/rootstock/child/initramfs.cpio)
set(api_steps
  --api-forward 8080 --api-token rootstock-boot-test-token-0123456789abcdefXYZ --api-tls API_SHA256
  --milestone "api-ready address=0.0.0.0 port=8080 tls=on sha256=>API_SHA256@60"
  --http "anonymous GET /vms -> 401 fault_message@30"
  --http "GET /version -> 200 firecracker_version@30"
  --http "GET /vms -> 200 \"id\":\"web\"@30"
  --http "GET /vms/api-vm/machine-config -> 200 \"vcpu_count\":1@30"
  --http [=[PUT /vms/api-vm/machine-config {"vcpu_count": 1, "mem_size_mib": 64} -> 204@30]=]
  --http "GET /vms/api-vm/machine-config -> 200 \"mem_size_mib\":64@30"
  --http "PUT /images/child-initramfs @${ROOTSTOCK_OUT}/child/initramfs.cpio -> 201 \"name\":\"child-initramfs\"@300"
  --http "GET /images -> 200 \"path\":\"/var/lib/rootstock/images/child-initramfs\"@30"
  --http "PUT /vms/api-vm/boot-source {\"kernel_image_path\": \"/init\"} -> 400 is not an image@30"
  --http "PUT /vms/api-vm/boot-source {\"kernel_image_path\": \"${kernel}\", \"initrd_path\": \"/var/lib/rootstock/images/child-initramfs\", \"boot_args\": \"console=ttyS0 loglevel=1\"} -> 204@30"
  --http [=[PUT /vms/api-vm/drives/data {"drive_id": "data", "path_on_host": "/usr/share/rootstock/examples/disks/reference.img", "is_root_device": false, "is_read_only": true} -> 204@30]=]
  --http [=[PUT /vms/api-vm/drives/data {"drive_id": "data", "path_on_host": "/nonexistent.img", "is_root_device": false} -> 400 does not exist@30]=]
  --http [=[PUT /vms/api-vm/network-interfaces/eth0 {"iface_id": "eth0", "host_dev_name": "api-vm0", "mtu": 1400} -> 204@30]=]
  --http [=[PUT /vms/api-vm/logger {"log_path": "/var/lib/rootstock/log/vms/api-vm.log", "level": "Info", "show_level": true} -> 204@30]=]
  --http [=[PUT /vms/api-vm/metrics {"metrics_path": "/etc/api-vm.metrics"} -> 400 outside the folders VMs may write to@30]=]
  --http [=[PUT /vms/api-vm/metrics {"metrics_path": "/var/lib/rootstock/log/vms/api-vm.metrics"} -> 204@30]=]
  --http "cut PUT /images/cut-upload @${ROOTSTOCK_OUT}/child/initramfs.cpio -> none@60"
  --http "until GET /logs -> 200 \"path\":\"/images/cut-upload\",\"status\":0@60"
  --http "GET /images -> 200 !cut-upload@30"
  --http [=[PUT /vms/api-vm/actions {"action_type": "InstanceStart"} -> 204@120]=]
  --milestone "vm-started id=api-vm name=api-vm vcpus=1 mem_mib=64 start=1@60"
  --text "api-vm: rootstock-child: init reached cpus=1@400"
  --http "GET /vms/api-vm/ -> 200 \"state\":\"Running\"@30"
  --http [=[PUT /vms/api-vm/boot-source {"kernel_image_path": "/k"} -> 400 not supported after starting the microVM@30]=]
  --http [=[PATCH /vms/api-vm/vm {"state": "Paused"} -> 204@60]=]
  --http "GET /vms/api-vm/ -> 200 \"state\":\"Paused\"@30"
  --http [=[PATCH /vms/api-vm/vm {"state": "Resumed"} -> 204@60]=]
  --http "GET /vms/api-vm/console -> 200 rootstock-child: init reached@30"
  --http [=[PUT /vms/api-vm/console/size {"cols": 0, "rows": 43} -> 400 cols@30]=]
  --http [=[PUT /vms/api-vm/console/size {"cols": 132, "rows": 43} -> 204@30]=]
  --http "POST /vms/api-vm/console (until [ \"$(stty size)\" != \"0 0\" ]\ndo sleep 0.1\ndone\necho hvc0-size $(stty size)) < /dev/hvc0\n -> 204@30"
  --text "api-vm: hvc0-size 43 132@120"
  --http [=[PATCH /vms/api-vm/drives/data {"drive_id": "data", "path_on_host": "/var/lib/rootstock/images/child-initramfs"} -> 204@30]=]
  --http "GET /vms/api-vm/vm/config -> 200 \"path_on_host\": \"/var/lib/rootstock/images/child-initramfs\"@30"
  --http "GET /vms/api-vm/metrics -> 200 \"update_count\":1@30"
  --http [=[PUT /vms/api-vm/actions {"action_type": "FlushMetrics"} -> 204@30]=]
  --http "GET /metrics -> 200 rootstock_vm_block_reads_total{id=\"api-vm\",drive=\"data\"}@30"
  --http "GET /metrics -> 200 rootstock_vm_vcpu_seconds_total{id=\"api-vm\"}@30"
  --http "GET /metrics -> 200 rootstock_vm_exits_total{id=\"api-vm\",kind=\"io\"}@30"
  --http "GET /metrics -> 200 rootstock_hv_frames{state=\"child\"}@30"
  --http "GET /logs -> 200 \"method\":\"PUT\",\"path\":\"/vms/api-vm/actions\",\"status\":204@30"
  --http "GET /logs -> 200 \"kind\":\"vm\",\"id\":\"api-vm\",\"event\":\"started\"@30"
  --http "DELETE /vms/api-vm -> 400 running@30"
  --http "DELETE /images/child-initramfs -> 400 is used by vm 'api-vm'@30"
  --http [=[PUT /vms/api-vm/actions {"action_type": "SendCtrlAltDel"} -> 204@30]=]
  --milestone "vm-exited id=api-vm name=api-vm reason=poweroff@120"
  --http "DELETE /vms/api-vm -> 204@30"
  --http "GET /vms/api-vm -> 404@30"
  --http "DELETE /images/child-initramfs -> 204@30"
  --http "PUT /vms/keeper {\"name\": \"keeper\", \"autostart\": true, \"boot-source\": {\"kernel_image_path\": \"${kernel}\", \"initrd_path\": \"${initrd}\", \"boot_args\": \"console=ttyS0 loglevel=1\"}, \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 64}} -> 201@30")
first_boot_steps(steps vda2 AFTER
  --milestone "config source=esp hostname=edge-7 api=on vms=1@60"
  --milestone "network-up interface=eth0 mode=static address=10.0.2.15/24 gateway=10.0.2.2 bridge=none@60"
  --milestone "vm-started id=web name=web vcpus=1 mem_mib=64@120"
  ${api_steps})
image_boot_test(img-virtio TIMEOUT 1200 DISK virtio SIZE 256M
  CONFIG ${CMAKE_CURRENT_SOURCE_DIR}/configs/edge-7.json ACCEL tcg,thread=single
  QEMU -cpu EPYC,+svm,+npt -smp 2 -m 1G -nic user,model=e1000e,restrict=on STEPS ${steps})
# The same disk booted again: the VM the API made with autostart was kept on the data partition
# and starts by itself; the one it deleted does not come back. Then ten VMs made, started to
# their init, powered off and deleted through the API leave hv's frames as they found them:
# every frame the children had is back with the root.
set(churn_make)
set(churn_up)
set(churn_down)
foreach(i RANGE 1 10)
  list(APPEND churn_make
    --http "PUT /vms/churn${i} {\"boot-source\": {\"kernel_image_path\": \"${kernel}\", \"initrd_path\": \"${initrd}\", \"boot_args\": \"console=ttyS0 loglevel=1\"}, \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 64}} -> 201@30"
    --http "PUT /vms/churn${i}/actions {\"action_type\": \"InstanceStart\"} -> 204@60")
  list(APPEND churn_up --seen-text "churn${i}: rootstock-child: init reached@400")
  list(APPEND churn_down
    --http "PUT /vms/churn${i}/actions {\"action_type\": \"SendCtrlAltDel\"} -> 204@30"
    --seen "vm-exited id=churn${i} name=churn${i} reason=poweroff@120"
    --http "DELETE /vms/churn${i} -> 204@30")
endforeach()
set(frames "rootstock_hv_frames{state=")
root_boot_steps(steps 2
  BEFORE_INIT ${efi_modules}
  AFTER_INIT
  --milestone "data-mounted device=/dev/vda2 boots=2@120"
  --seen "vm-started id=keeper name=keeper vcpus=1 mem_mib=64 start=1@120"
  --milestone "api-ready address=0.0.0.0 port=8080 tls=on sha256=>API_SHA256@60"
  --text "keeper: rootstock-child: init reached cpus=1@400"
  --api-forward 8080 --api-token rootstock-boot-test-token-0123456789abcdefXYZ --api-tls API_SHA256
  --http "GET /vms/keeper -> 200 \"state\":\"running\"@30"
  --http "GET /vms/api-vm -> 404@30"
  --http "GET /metrics -> 200 ${frames}\"child\"} =>CHILD_FRAMES@30"
  --http "GET /metrics -> 200 ${frames}\"root\"} =>ROOT_FRAMES@30"
  --http "GET /metrics -> 200 \nrootstock_hv_partitions =>PARTITIONS@30"
  ${churn_make} ${churn_up} ${churn_down}
  --http "GET /vms -> 200 !churn@30"
  --http "until GET /metrics -> 200 ${frames}\"child\"} {{CHILD_FRAMES}}\n@60"
  --http "GET /metrics -> 200 ${frames}\"root\"} {{ROOT_FRAMES}}\n@30"
  --http "GET /metrics -> 200 \nrootstock_hv_partitions {{PARTITIONS}}\n@30")
image_boot_test(img-virtio-again TIMEOUT 900 DISK virtio AGAIN img-virtio ACCEL tcg,thread=single
  QEMU -cpu EPYC,+svm,+npt -smp 2 -m 2G -nic user,model=e1000e,restrict=on
  STEPS --text "rootstock.efi: started from GPT partition@300" --fail "id=api-vm" ${steps})
set_tests_properties(boot.img-virtio PROPERTIES FIXTURES_SETUP img-virtio-disk)
set_tests_properties(boot.img-virtio-again PROPERTIES FIXTURES_REQUIRED img-virtio-disk)

# The user's own certificate for the management API (a test key, made for this test only),
# named by the configuration and copied beside it onto the ESP: the API serves HTTPS with it,
# and the api-ready milestone prints its fingerprint (openssl x509 -outform DER | sha256sum).
set(own_cert ${CMAKE_CURRENT_SOURCE_DIR}/configs/own-cert)
first_boot_steps(steps vda2 AFTER
  --milestone "config source=esp hostname=edge-own-cert api=on vms=0@60"
  --milestone "api-ready address=0.0.0.0 port=8080 tls=on sha256=>API_SHA256@120"
  --seen "api-ready sha256=ed183cd97c626f75004aad593539277ff70f60c81ddef658371933275c38431b@10"
  --api-forward 8080 --api-token rootstock-boot-test-token-0123456789abcdefXYZ --api-tls API_SHA256
  --http "GET /version -> 200 firecracker_version@30")
image_boot_test(img-own-cert TIMEOUT 600 DISK virtio SIZE 256M
  CONFIG ${own_cert}/own-cert.json ESP_FILES ${own_cert}/api.crt ${own_cert}/api.key
  ACCEL tcg,thread=single
  QEMU -cpu EPYC,+svm,+npt -smp 2 -m 1G -nic user,model=e1000e,restrict=on STEPS ${steps})

# A USB stick with a configuration the appliance refuses (an API token too short): the key is
# named, and the appliance comes up with the defaults, its default child VM and its data
# partition all the same.
first_boot_steps(steps sda2 AFTER
  --seen-text "rootstock: configuration rootstock.json: api.token: @10"
  --milestone "config-refused file=rootstock.json key=api.token@10"
  --milestone "config source=defaults hostname=rootstock api=off vms=0@60"
  --milestone "vm-started id=0 vcpus=2 mem_mib=256@60")
image_boot_test(img-usb TIMEOUT 600 DISK usb SIZE 256M
  CONFIG ${CMAKE_CURRENT_SOURCE_DIR}/configs/bad-token.json ACCEL tcg,thread=single
  QEMU ${IMG_QEMU} STEPS ${steps})
