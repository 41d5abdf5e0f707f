#!/bin/bash
# Guest side of test-boot-assemble.sh, later boots (DIMMs moved): do only
# what a booting system does once the nvdimm drivers are up -- start udevd,
# replay the "add" events of every device (cold plug, as
# systemd-udev-trigger.service does), wait for udev to settle -- and never
# run devmemctl assemble or modprobe devmem by hand. Then the installed
# udev rule must have brought the namespaces back: /dev/daxN.M present,
# same uuid/size, data with the sha256 of boot 1.
# $2 = "udev": no systemd (no /run/systemd/system), the rule's RUN+= runs
# devmemctl. $2 = "systemd": /run/systemd/system exists (as under systemd),
# the rule must only ask for devmem-assemble@regionN.service through
# SYSTEMD_WANTS; this script then does what systemd does with that: runs
# the ExecStart= of the installed unit, once per wanted instance.
# $2 = "softdep": as "udev", but booted with `vm-run --late-module nd_pmem`
# (guest-init, not the initramfs, modprobes nd_pmem, so the installed
# "softdep nd_pmem pre: devmem" applies, as at a real boot): devmem must
# be loaded before udev runs, the raw namespace of the label-less devmem
# DIMM at $3 held by devmem's nd driver with no block device, and that of
# the label-less DIMM at $4 that devmem never claimed bound to nd_pmem
# with its /dev/pmemN.
set -euo pipefail
out=$1 mode=$2
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
# udevd's debug log ends up next to the results, for a failure's post-mortem
trap 'cp /tmp/udevd.log "$out/udevd-$mode.log" 2>/dev/null || true' EXIT
unset DEVMEM_KMOD LD_LIBRARY_PATH
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
if [ "$mode" = softdep ]; then
	[ -e /sys/module/devmem ] || { echo "modprobe nd_pmem did not load devmem first (softdep)" >&2; exit 1; }
	ns_driver() { # ns_driver ADDR: "NAMESPACE DRIVER BLOCKDEV" of the DIMM's raw namespace
		local r n d b=-
		r=$(vm_region_at "$1")
		n=$(basename "$(ls -d "/sys/bus/nd/devices/$r/namespace${r#region}".*)")
		d=$(basename "$(readlink "/sys/bus/nd/devices/$n/driver")")
		[ ! -d "/sys/bus/nd/devices/$n/block" ] || b=$(ls "/sys/bus/nd/devices/$n/block")
		echo "$n $d $b"
	}
	read -r n d b <<<"$(ns_driver "$3")"
	echo "devmem DIMM: $n driver $d block $b"
	[ "$d" = devmem ] && [ "$b" = - ] || { echo "$n: driver $d, block $b; want devmem, none" >&2; exit 1; }
	dmesg | grep -F "$n: held for devmem"
	read -r n d b <<<"$(ns_driver "$4")"
	echo "other label-less DIMM: $n driver $d block $b"
	[ "$d" = nd_pmem ] && [ -b "/dev/$b" ] || { echo "$n: driver $d, block $b; want nd_pmem, a disk" >&2; exit 1; }
else
	[ ! -e /sys/module/devmem ] || { echo "devmem is loaded before udev ran" >&2; exit 1; }
fi
case $mode in
udev | softdep) [ ! -e /run/systemd/system ] ;;
systemd) mkdir -p /run/systemd/system ;;
*) echo "mode: udev, softdep or systemd, not $mode" >&2; exit 2 ;;
esac

udevd=/lib/systemd/systemd-udevd
[ -x "$udevd" ] || udevd=$(command -v systemd-udevd)
"$udevd" --debug 2>/tmp/udevd.log &
for ((i = 0; i < 300; i++)); do
	udevadm control --ping --timeout=5 2>/dev/null && break
	sleep 0.1
done
udevadm control --ping --timeout=5
start=$(date +%s)
udevadm trigger --type=subsystems --action=add
udevadm trigger --type=devices --action=add
udevadm settle --timeout=180
echo "udev: cold plug settled in $(($(date +%s) - start)) s"

if [ "$mode" != systemd ]; then
	# the rule started devmemctl assemble in the background, outside the
	# event; a booting system's consumers wait for their /dev/dax node, the
	# test waits for the assemble runs to end
	for ((i = 0; i < 180; i++)); do
		pgrep -x devmemctl >/dev/null || break
		sleep 1
	done
	! pgrep -x devmemctl >/dev/null || { echo "devmemctl assemble still running after 180 s" >&2; exit 1; }
	udevadm settle --timeout=60
	echo "background assemble done after $(($(date +%s) - start)) s; its log:"
	cat /run/devmem-assemble.log
fi
echo "devmem module: $(cat /sys/module/devmem/initstate 2>/dev/null || echo absent)"

if [ "$mode" = systemd ]; then
	[ ! -e /sys/module/devmem ] || { echo "udev ran devmemctl itself although systemd is up" >&2; exit 1; }
	unit=/lib/systemd/system/devmem-assemble@.service
	exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
	wanted=()
	for r in /sys/bus/nd/devices/region*; do
		props=$(udevadm info -q property "$r")
		w=$(sed -n 's/^SYSTEMD_WANTS=//p' <<<"$props")
		[ "$w" = "devmem-assemble@${r##*/}.service" ] ||
			{ echo "${r##*/}: SYSTEMD_WANTS='$w'" >&2; exit 1; }
		grep -q '^TAGS=.*:systemd:' <<<"$props" || { echo "${r##*/}: not tagged systemd" >&2; exit 1; }
		wanted+=("$w")
	done
	echo "udev wants: ${wanted[*]}; running their ExecStart=$exec_start (in parallel)"
	pids=()
	for w in "${wanted[@]}"; do
		# systemd expands %i to the instance name (regionN)
		inst=${w#devmem-assemble@} inst=${inst%.service}
		${exec_start//%i/$inst} >"$out/$w.json" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
fi
ls /dev/dax* 2>/dev/null || true

devmemctl list -N >"$out/$mode.json"
cat "$out/$mode.json"
vm_ns_same "$out" "$out/$mode.json" "uuid size map align offset" boot-a boot-b
echo "assembled through the $mode path"
