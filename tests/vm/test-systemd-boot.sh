#!/bin/bash
# VM test: a real systemd boot assembles the namespaces, nothing else.
# Boot 1 (vm-run's own guest-init, the checkout's build): a labelled and a
# label-less DIMM, a map=dev namespace on the first and a map=mem one on
# the second, 32 MiB of random data each; names, uuids, /dev/daxN.M and
# sha256 recorded. Then `make install DESTDIR=STAGE PREFIX=/usr` on this
# host (nothing outside STAGE is touched; on a merged-/usr host STAGE's
# /lib is folded into STAGE/usr/lib as dpkg would see it). Boot 2, DIMMs
# moved by 4 KiB and their slots swapped: `vm-run --systemd`, so PID 1 is
# the host's /lib/systemd/systemd on an overlay of STAGE over the host
# root; it boots devmem-vm.target (sysinit.target: journald, udevd, the
# cold-plug trigger, ...). depmod for the staged root runs on the host
# (depmod -b; install.mk runs depmod -a when DESTDIR is unset), its index
# files staged with the rest. Nothing else is added: only the installed
# rule and devmem-assemble@.service
# can bring the namespaces back; guest/systemd-verify.sh (the CMD service)
# only checks: the units ran and succeeded, no failure in the journal, the
# same names/uuids/chardevs through the installed devmemctl, same sha256.
# The host then checks the results and the saved journal again. A VM that
# did not boot or did not report fails the test.
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

G=$((1 << 30))
addr_l=$((4 * G)) addr_u=$((6 * G))
labelled() { printf -- '--nvdimm %s,size=1G,addr=0x%x,label-size=128K' "$WORK/nv-l.img" $((addr_l + $1)); }
labelless() { printf -- '--nvdimm %s,size=512M,addr=0x%x' "$WORK/nv-u.img" $((addr_u + $1)); }

step "1. boot 1 (harness init, checkout build): claim, create on a labelled and a label-less DIMM, write"
# shellcheck disable=SC2046
vm boot1 $(labelled 0) $(labelless 0) --shared "$WORK" -- \
	tests/vm/guest/systemd-create.sh "$WORK" "$addr_l" "$addr_u"
jq -r '.[] | "\(.name) \(.uuid) \(.chardev) \(.map)"' "$WORK/created.json"

step "2. make install DESTDIR=STAGE PREFIX=/usr (nothing outside STAGE touched)"
stage=$WORK/stage
make -s -C "$TOP" install DESTDIR="$stage" PREFIX=/usr >"$WORK/install.log" 2>&1 ||
	{ cat "$WORK/install.log"; fail "make install DESTDIR"; }
# merged /usr: /lib is a symlink to usr/lib here; a directory lib/ in an
# overlay layer would hide that symlink (and every library behind it)
for d in lib lib64 bin sbin; do
	if [ -L "/$d" ] && [ -d "$stage/$d" ] && [ ! -L "$stage/$d" ]; then
		t=$(readlink "/$d")
		mkdir -p "$stage/$t"
		cp -a "$stage/$d/." "$stage/$t/"
		rm -rf "${stage:?}/$d"
	fi
done
(cd "$stage" && find . ! -type d | sort) | tee "$WORK/staged.txt"
kver=$("$TOP/scripts/kernel-version")
for f in usr/bin/devmemctl usr/lib/libdevmem.so.1 "lib/modules/$kver/extra/devmem.ko" \
	lib/udev/rules.d/80-devmem.rules lib/systemd/system/devmem-assemble@.service; do
	[ -e "$stage/$f" ] || [ -e "$stage/usr/$f" ] || fail "make install did not stage $f"
done
# depmod for the staged root, which install.mk runs when DESTDIR is unset:
# on the host, over a tree of the host's modules with the staged ones in
# place (depmod -b), its index files then staged too. (In the guest,
# depmod -a over 9p under TCG took 73 s, 38 s of CPU.)
smod=$stage/lib/modules/$kver
[ -d "$smod" ] || smod=$stage/usr/lib/modules/$kver
db=$WORK/depmod
m=$db/lib/modules/$kver
mkdir -p "$m"
for e in "/lib/modules/$kver"/*; do
	n=${e##*/}
	case $n in
	modules.order | modules.builtin | modules.builtin.modinfo) cp "$e" "$m/" ;;
	modules.*) ;;
	*) [ -e "$smod/$n" ] || ln -s "$e" "$m/$n" ;;
	esac
done
for d in "$smod"/*/; do
	d=${d%/} n=${d##*/}
	mkdir -p "$m/$n"
	for e in "/lib/modules/$kver/$n"/*; do [ ! -e "$e" ] || ln -s "$e" "$m/$n/"; done
	for e in "$d"/*; do ln -sf "$e" "$m/$n/"; done
done
depmod -b "$db" "$kver"
cp "$m"/modules.* "$smod/"
grep "devmem.ko" "$smod/modules.dep"
[ "$(grep -c . "$smod/modules.dep")" -gt 1000 ] || fail "the staged modules.dep is too short"

step "3. boot 2: DIMMs moved by 4 KiB, slots swapped; PID 1 = /lib/systemd/systemd"
t0=$(date +%s)
rc=0
# shellcheck disable=SC2046
"$VM" --systemd --overlay "$stage" --timeout 600 \
	--dmesg "$WORK/boot2.dmesg" --journal "$WORK/boot2.journal" \
	$(labelless 4096) $(labelled 4096) --shared "$WORK" -- \
	tests/vm/guest/systemd-verify.sh "$WORK" >"$WORK/boot2.out" 2>&1 || rc=$?
wall=$(($(date +%s) - t0))
cat "$WORK/boot2.out"
echo "boot 2: vm-run exit status $rc after $wall s"
[ "$rc" = 0 ] || fail "boot 2 (systemd) failed: vm-run exit status $rc"
check_dmesg "$WORK/boot2.dmesg"

step "4. host side: what the guest reported"
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
