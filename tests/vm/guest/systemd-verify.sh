#!/bin/bash
# Guest side of test-systemd-boot.sh, boot 2: runs as vm-run's
# devmem-vm-cmd.service under the host's systemd as PID 1 (vm-run
# --systemd), on the root that boot 1 installed devmem into (`make install
# PREFIX=/usr` inside the VM; its writable layer, the --persist disk, is
# this boot's again), DIMMs moved by 4 KiB and their slots swapped. It only
# looks: it never runs `devmemctl assemble` or `modprobe devmem`. What must
# have happened without it: udev's cold plug gave every nvdimm region the
# installed rule's SYSTEMD_WANTS, systemd ran devmem-assemble@regionN.service
# (the installed unit) for each, and it succeeded; the namespaces of boot 1
# ($1/created.json, $1/sums) are back under the installed `devmemctl list`
# with the same name, uuid, size, map, align and /dev/daxN.M, and their
# data has the same sha256. Every file `make install` writes
# ($1/install-files.txt) must be the one boot 1 left in the persistent
# layer, and depmod's index there must list devmem.ko. Results (status
# texts, journal excerpts, lists, timings) go to $1/boot2-*; $1/boot2-ok is
# written last, on success.
set -euo pipefail
out=$1
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
res=$out/boot2
# the installed tools only (vm-run puts the checkout's first)
unset DEVMEM_KMOD LD_LIBRARY_PATH
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
SYSTEMD_PAGER='' SYSTEMD_COLORS=0
export SYSTEMD_PAGER SYSTEMD_COLORS

echo "PID 1: $(cat /proc/1/comm) ($(readlink /proc/1/exe))"
[ "$(cat /proc/1/comm)" = systemd ]
[ "$(command -v devmemctl)" = /usr/bin/devmemctl ]
cmp /usr/bin/devmemctl "$DEVMEM_TOP/cli/devmemctl"
mod=$(modinfo -n devmem)
echo "devmem.ko: $mod"
[ "$mod" = "/lib/modules/$(uname -r)/extra/devmem.ko" ]
cmp "$mod" "$DEVMEM_TOP/kmod/devmem.ko"
test -f /lib/udev/rules.d/80-devmem.rules
test -f /lib/systemd/system/devmem-assemble@.service
! grep -q "$DEVMEM_TOP" /lib/udev/rules.d/80-devmem.rules /lib/systemd/system/devmem-assemble@.service
# what this root has of devmem is what boot 1 installed: the files are in
# the persistent layer (not only in the host's root below it), and what
# the guest sees at their paths is that copy
up=/run/devmem-vm-persist/upper
[ -d "$up" ] || { echo "no persistent layer (vm-run --persist)" >&2; exit 1; }
n=0
while read -r f; do
	p=$(readlink -f "${f%/*}")/${f##*/} # merged /usr: /lib is usr/lib
	if [ -L "$f" ]; then
		[ -L "$up$p" ] && [ "$(readlink "$up$p")" = "$(readlink "$f")" ]
	else
		[ -f "$up$p" ] && cmp "$up$p" "$f"
	fi || { echo "$f: not the file boot 1 installed (${up}$p)" >&2; exit 1; }
	n=$((n + 1))
done <"$out/install-files.txt"
[ "$n" -gt 10 ]
dep=$up$(readlink -f "/lib/modules/$(uname -r)")/modules.dep
grep '^extra/devmem.ko:' "$dep"
[ "$(grep -c . "$dep")" -gt 1000 ] || { echo "$dep: too short for a depmod -a" >&2; exit 1; }
echo "all $n files of make install come from boot 1's install (persistent layer); its depmod index ($(grep -c . "$dep") modules) lists devmem.ko"

# Wait (at most 240 s) until udev has handled the cold plug and no
# devmem-assemble@ job is queued or running.
start=$(date +%s)
udevadm settle --timeout=180
regions=()
for r in /sys/bus/nd/devices/region*; do regions+=("${r##*/}"); done
echo "regions: ${regions[*]}"
[ ${#regions[@]} = 2 ]
busy() {
	systemctl list-jobs --no-legend 2>/dev/null | grep -q 'devmem-assemble@' && return 0
	local r
	for r in "${regions[@]}"; do
		case $(systemctl show -P ActiveState "devmem-assemble@$r.service") in
		activating | deactivating | reloading) return 0 ;;
		esac
	done
	return 1
}
while busy && [ $(($(date +%s) - start)) -lt 240 ]; do sleep 1; done
! busy || { echo "devmem-assemble@ still busy after 240 s" >&2; systemctl list-jobs >&2; exit 1; }
udevadm settle --timeout=60
echo "udev settled and devmem-assemble@ done $(($(date +%s) - start)) s after this service started"

# devmem-assemble@ is a oneshot without RemainAfterExit: once it has run,
# it is inactive and systemd unloads it (garbage collection), so
# `systemctl show` has no exit status any more. What it did is in the
# journal: PID 1 logs every job with JOB_TYPE/JOB_RESULT and a unit that
# ended well with "Deactivated successfully"; the udev side is shown by
# `udevadm test` (a dry run of the rules for an "add" of the region:
# assemble's own disable/enable of the region has since replaced the
# properties of the cold-plug "add" in udev's database).
fails=0
for r in "${regions[@]}"; do
	u=devmem-assemble@$r.service
	udevadm test --action=add "/sys/bus/nd/devices/$r" >"$res-udevtest-$r.txt" 2>&1 || :
	w=$(sed -n 's/^SYSTEMD_WANTS=//p' "$res-udevtest-$r.txt" | tail -n 1)
	echo "$r: udevadm test --action=add: SYSTEMD_WANTS=$w"
	[ "$w" = "$u" ] || { echo "$r: the rules do not ask for $u" >&2; fails=1; }
	systemctl status --no-pager -l "$u" >"$res-status-$r.txt" 2>&1 || :
	cat "$res-status-$r.txt"
	[ "$(systemctl show -P FragmentPath "$u")" = /lib/systemd/system/devmem-assemble@.service ] ||
		{ echo "$u: not the installed unit" >&2; fails=1; }
	journalctl -b -q -o export _PID=1 UNIT="$u" JOB_TYPE=start | sed -n 's/^JOB_RESULT=//p' >"$res-jobs-$r.txt"
	echo "$u: start jobs: $(tr '\n' ' ' <"$res-jobs-$r.txt")"
	grep -qx 'done' "$res-jobs-$r.txt" || { echo "$u: no start job done" >&2; fails=1; }
	! grep -vqx 'done' "$res-jobs-$r.txt" || { echo "$u: a start job did not end 'done'" >&2; fails=1; }
	journalctl -b -q -o cat _PID=1 UNIT="$u" >"$res-pid1-$r.txt"
	grep -q 'Deactivated successfully' "$res-pid1-$r.txt" || { echo "$u: never deactivated successfully" >&2; fails=1; }
	! grep -Ei 'fail|exited, code|status=[1-9]' "$res-pid1-$r.txt" || { echo "$u: failure logged (above)" >&2; fails=1; }
done
journalctl -b --no-pager -o short-monotonic -u 'devmem-assemble@*' >"$res-assemble.journal" 2>&1 || fails=1
cat "$res-assemble.journal"
if journalctl -b --no-pager -q -p warning -u 'devmem-assemble@*' | grep .; then
	echo "warnings or errors from devmem-assemble@ in the journal (above)" >&2
	fails=1
fi
if systemctl list-units --failed --no-legend --plain | tee "$res-failed.txt" | grep -E 'devmem'; then
	echo "failed devmem units (above)" >&2
	fails=1
fi
echo "failed units (any): $(wc -l <"$res-failed.txt")"
# the units of every devmemctl process the journal heard from (stdout and
# stderr of a service carry _SYSTEMD_UNIT); the rule's no-systemd branch
# (udev starting devmemctl itself) would have written its log file
journalctl -b -q -o export SYSLOG_IDENTIFIER=devmemctl | sed -n 's/^_SYSTEMD_UNIT=//p' | sort -u >"$res-devmemctl-units.txt"
echo "devmemctl logged from: $(tr '\n' ' ' <"$res-devmemctl-units.txt")"
[ ! -e /run/devmem-assemble.log ] || { echo "udev ran devmemctl itself (/run/devmem-assemble.log)" >&2; fails=1; }
[ "$fails" = 0 ]

# the module that is loaded is the installed one (same GNU build id)
loaded=$(tail -c 20 /sys/module/devmem/notes/.note.gnu.build-id | od -An -tx1 | tr -d ' \n')
file=$(readelf -n "$mod" | awk '/Build ID:/ { print $3 }')
echo "devmem build id: loaded $loaded, $mod $file"
[ -n "$file" ] && [ "$loaded" = "$file" ]
devmemctl list -N >"$res-list.json"
cat "$res-list.json"
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
vm_ns_same "$out" "$res-list.json" "uuid size map align chardev" sd-labelled sd-labelless

{
	systemd-analyze time 2>&1 || :
	echo "slowest units (systemd-analyze blame):"
	systemd-analyze blame 2>&1 | head -n 12 || :
	echo "uptime at the end of the check: $(cut -d' ' -f1 /proc/uptime) s"
} | tee "$res-time.txt"
echo ok >"$res-ok"
