#!/bin/bash
# VM test: devmem installed inside the machine as an administrator does it,
# then a real systemd boot assembles the namespaces, nothing else.
# Both boots are `vm-run --systemd --persist ROOT.img`: PID 1 is the host's
# /lib/systemd/systemd on an overlay root over the host's (read-only) root
# whose writable layer lives on ROOT.img, an ext4 disk image, so what boot 1
# writes to / is there in boot 2 (a machine's disk), and nothing else is
# laid over the root: the host stages nothing.
# Boot 1, a labelled and a label-less DIMM: with the checkout's build, a
# map=dev namespace on the first and a map=mem one on the second, 32 MiB of
# random data each; names, uuids, /dev/daxN.M and sha256 recorded. Then, as
# root in the built checkout, `make install PREFIX=/usr` (README.md,
# "Install"): the files, and depmod -a, ldconfig, udevadm control --reload,
# systemctl daemon-reload, all inside the VM.
# Boot 2, DIMMs moved by 4 KiB and their slots swapped, the same ROOT.img:
# systemd boots devmem-vm.target (sysinit.target: journald, udevd, the
# cold-plug trigger, ...) + the harness's CMD service; only the installed
# rule and devmem-assemble@.service can bring the namespaces back.
# guest/systemd-verify.sh (the CMD service) only checks: every installed
# file is boot 1's copy in ROOT.img's layer, the units ran and succeeded, no
# failure in the journal, the loaded module is the installed file (build
# id), the same names/uuids/chardevs through the installed devmemctl, same
# sha256. The host then checks the results and the saved journal again. A
# VM that did not boot or did not report fails the test.
. "$(dirname "$0")/testlib.sh"
require_build
[ -x /lib/systemd/systemd ] || { echo "SKIP: no /lib/systemd/systemd (apt-get install systemd)"; exit 77; }
command -v udevadm >/dev/null || { echo "SKIP: no udev (apt-get install udev)"; exit 77; }

passed=0
keep=$TOP/build/test-logs/test-systemd-boot
cleanup() {
	if [ "$passed" = 0 ] && [ -d "$WORK" ]; then
		rm -rf "$keep" && mkdir -p "$keep"
		cp "$WORK"/*.dmesg "$WORK"/*.journal "$WORK"/*.json "$WORK"/*.txt "$WORK"/*.log \
			"$WORK"/*.out "$WORK"/sums "$keep"/ 2>/dev/null
		echo "kept the guest logs in $keep" >&2
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

kver=$("$TOP/scripts/kernel-version")
G=$((1 << 30))
addr_l=$((4 * G)) addr_u=$((6 * G))
labelled() { printf -- '--nvdimm %s,size=1G,addr=0x%x,label-size=128K' "$WORK/nv-l.img" $((addr_l + $1)); }
labelless() { printf -- '--nvdimm %s,size=512M,addr=0x%x' "$WORK/nv-u.img" $((addr_u + $1)); }

# what make install writes, for boot 2 to find in the persistent layer
make -s -C "$TOP" install-files PREFIX=/usr >"$WORK/install-files.txt"
root=$WORK/root.img # the VM's disk: the root's writable layer, boot 1 and 2

step "1. boot 1 (systemd): claim, create on a labelled and a label-less DIMM, write; make install PREFIX=/usr"
t0=$(date +%s)
# shellcheck disable=SC2046 # the checkout shared: make install runs there
vm boot1 --systemd --persist "$root" --timeout 900 --journal "$WORK/boot1.journal" \
	$(labelled 0) $(labelless 0) --shared "$WORK" --shared "$TOP" -- \
	tests/vm/guest/systemd-create.sh "$WORK" "$addr_l" "$addr_u"
echo "boot 1: $(($(date +%s) - t0)) s"
[ -f "$WORK/boot1-ok" ] || fail "the guest did not write boot1-ok"
jq -r '.[] | "\(.name) \(.uuid) \(.chardev) \(.map)"' "$WORK/created.json"
echo "written to the root's persistent layer in boot 1:"
cat "$WORK/boot1-upper.txt"
for f in usr/bin/devmemctl usr/lib/libdevmem.so.1 "usr/lib/modules/$kver/extra/devmem.ko" \
	"usr/lib/modules/$kver/modules.dep" usr/lib/udev/rules.d/80-devmem.rules \
	usr/lib/systemd/system/devmem-assemble@.service; do
	# (/lib is usr/lib on a merged-/usr root like this one)
	grep -qxF -e "./$f" -e "./${f#usr/}" "$WORK/boot1-upper.txt" || fail "boot 1's install did not write $f"
done

step "2. boot 2: DIMMs moved by 4 KiB, slots swapped; PID 1 = /lib/systemd/systemd"
t0=$(date +%s)
rc=0
# shellcheck disable=SC2046
"$VM" --systemd --persist "$root" --timeout 600 \
	--dmesg "$WORK/boot2.dmesg" --journal "$WORK/boot2.journal" \
	$(labelless 4096) $(labelled 4096) --shared "$WORK" -- \
	tests/vm/guest/systemd-verify.sh "$WORK" >"$WORK/boot2.out" 2>&1 || rc=$?
wall=$(($(date +%s) - t0))
cat "$WORK/boot2.out"
echo "boot 2: vm-run exit status $rc after $wall s"
[ "$rc" = 0 ] || fail "boot 2 (systemd) failed: vm-run exit status $rc"
check_dmesg "$WORK/boot2.dmesg"

step "3. host side: what the guest reported"
[ -f "$WORK/boot2-ok" ] || fail "the guest did not write boot2-ok"
j=$WORK/boot2.journal
[ -s "$j" ] || fail "no journal from boot 2"
grep -q 'systemd\[1\]: .*Reached target devmem-vm.target' "$j" || fail "the journal does not show systemd reaching devmem-vm.target"
n=0
for f in "$WORK"/boot2-jobs-region*.txt; do
	[ -e "$f" ] || fail "no job results from the guest"
	r=${f##*/boot2-jobs-} r=${r%.txt}
	grep -qx 'done' "$f" && ! grep -vqx 'done' "$f" ||
		fail "devmem-assemble@$r.service start jobs: $(tr '\n' ' ' <"$f")"
	grep -q "systemd\[1\]: Starting devmem-assemble@$r.service" "$j" ||
		fail "the journal does not show systemd starting devmem-assemble@$r.service"
	grep -q "systemd\[1\]: devmem-assemble@$r.service: Deactivated successfully" "$j" ||
		fail "the journal does not show devmem-assemble@$r.service finishing"
	grep -q "Deactivated successfully" "$WORK/boot2-status-$r.txt" ||
		fail "systemctl status devmem-assemble@$r does not show it succeeding"
	grep -qx "SYSTEMD_WANTS=devmem-assemble@$r.service" "$WORK/boot2-udevtest-$r.txt" ||
		fail "udevadm test: no SYSTEMD_WANTS=devmem-assemble@$r.service"
	n=$((n + 1))
done
[ "$n" = 2 ] || fail "expected 2 regions' results, got $n"
if grep -E 'devmem-assemble@.*(Failed|failed|error)' "$j"; then fail "the journal shows a failure of devmem-assemble@ (above)"; fi
# every journal entry of a devmemctl process came from a devmem-assemble@ unit
[ -s "$WORK/boot2-devmemctl-units.txt" ] || fail "no journal entry of devmemctl in boot 2"
if grep -v '^devmem-assemble@region[0-9]*\.service$' "$WORK/boot2-devmemctl-units.txt"; then
	fail "devmemctl ran outside devmem-assemble@ (above)"
fi
grep -E 'Startup finished' "$j" || :
passed=1
echo PASS
