#!/bin/bash
# VM test: boot-time assembly by the installed udev rule, nobody typing
# `devmemctl assemble`. Installs devmem for real on this host (make install
# PREFIX=/usr/local: the guest's root is the host's root over 9p, so the
# guest sees the installed devmemctl, module, depmod data and udev rule) and
# uninstalls it again on every exit path. Refuses (skip) when a devmem
# installation that it did not make is present, and needs root.
# Boot 1: modprobe devmem (the installed, depmod'ed module), claim, create a
# namespace on each of two DIMMs, write 32 MiB of random data each.
# Boot 2, both DIMMs moved by 4 KiB: start systemd-udevd, cold-plug
# trigger (`udevadm trigger --action=add`, as systemd-udev-trigger.service),
# `udevadm settle`; the rule's RUN+= (no systemd) must bring the namespaces
# back (/dev/daxN.M, same uuid/size, same sha256).
# Boot 3, moved by 1 MiB + 4 KiB, with /run/systemd/system present: the rule
# must only set SYSTEMD_WANTS=devmem-assemble@regionN.service (nothing runs
# from udev); the guest then runs the installed unit's ExecStart= once per
# wanted instance, in parallel, as systemd would, and checks the data. (The
# guest's PID 1 is the harness, not systemd: systemd itself does not run.)
# Boot 4, moved by 8 KiB, plus a third label-less DIMM devmem never
# claimed: nd_pmem is loaded by modprobe from the real root (vm-run
# --late-module nd_pmem), so the installed "softdep nd_pmem pre: devmem"
# loads devmem first, as udev's modprobe does at a real boot. The devmem
# DIMM's raw namespace must be held by devmem's nd driver (no /dev/pmemN),
# the third DIMM's bound to nd_pmem; then cold plug as in boot 2.
. "$(dirname "$0")/testlib.sh"
require_build
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (installs into /usr/local and /lib)"; exit 77; }
[ -x /lib/systemd/systemd-udevd ] || command -v systemd-udevd >/dev/null ||
	{ echo "SKIP: systemd-udevd is not installed (apt-get install udev)"; exit 77; }

mk() { make -s -C "$TOP" PREFIX=/usr/local "$@"; }
files=$(mk install-files)
for f in $files; do
	if [ -e "$f" ] || [ -L "$f" ]; then
		echo "SKIP: refusing to run: $f exists, a devmem installation this test did not make (make uninstall PREFIX=/usr/local removes it)"
		exit 77
	fi
done

installed=0 passed=0
keep=$TOP/build/test-logs/test-boot-assemble
cleanup() {
	if [ "$passed" = 0 ] && [ -d "$WORK" ]; then
		rm -rf "$keep" && mkdir -p "$keep"
		cp "$WORK"/*.dmesg "$WORK"/*.json "$WORK"/*.log "$WORK"/sums "$keep"/ 2>/dev/null
		echo "kept the guest logs in $keep" >&2
	fi
	if [ "$installed" = 1 ]; then
		mk uninstall >/dev/null || echo "WARNING: make uninstall failed" >&2
		for f in $files; do
			[ ! -e "$f" ] || echo "WARNING: $f left behind" >&2
		done
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

step "0. make install PREFIX=/usr/local (on this host)"
installed=1
mk install >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log"; fail "make install"; }
for f in $files; do [ -e "$f" ] || fail "make install did not install $f"; done
kver=$(cd "$TOP" && scripts/kernel-version)
modinfo -k "$kver" -n devmem
# the installed softdep: modprobe nd_pmem inserts devmem.ko first
modprobe -S "$kver" --show-depends nd_pmem | tee "$WORK/show-depends.txt"
awk '/\/devmem\.ko/ { d = NR } /\/nd_pmem\.ko/ { p = NR } END { exit !(d && p && d < p) }' \
	"$WORK/show-depends.txt" || fail "modprobe --show-depends nd_pmem does not insert devmem.ko before nd_pmem.ko"

G=$((1 << 30))
base0=$((4 * G)) base1=$((6 * G))
dimms() { # $1 = move in bytes
	printf -- '--nvdimm %s,size=1G,addr=0x%x,label-size=128K ' "$WORK/nv0.img" $((base0 + $1))
	printf -- '--nvdimm %s,size=512M,addr=0x%x ' "$WORK/nv1.img" $((base1 + $1))
}

step "1. installed devmem: modprobe, claim, create, write"
# shellcheck disable=SC2046
vm boot1 $(dimms 0) --shared "$WORK" -- tests/vm/guest/boot-assemble-create.sh \
	"$WORK" "$base0" "$base1"

step "2. DIMMs moved by 4 KiB; only udevd + cold-plug trigger + settle run (no systemd)"
# shellcheck disable=SC2046
vm boot2 $(dimms 4096) --shared "$WORK" -- tests/vm/guest/boot-assemble-verify.sh "$WORK" udev
grep -q 'devmem' "$WORK/boot2.dmesg" || fail "boot 2's kernel log does not mention devmem"

step "3. DIMMs moved by 1 MiB + 4 KiB; /run/systemd/system: udev asks for devmem-assemble@regionN"
# shellcheck disable=SC2046
vm boot3 $(dimms $((1048576 + 4096))) --shared "$WORK" -- \
	tests/vm/guest/boot-assemble-verify.sh "$WORK" systemd

step "4. DIMMs moved by 8 KiB + a label-less DIMM devmem never claimed; nd_pmem loaded by modprobe (softdep)"
base2=$((8 * G))
truncate -s 256M "$WORK/nv2.img"
# shellcheck disable=SC2046
vm boot4 $(dimms 8192) --nvdimm "$WORK/nv2.img,size=256M,addr=$(printf 0x%x "$base2")" \
	--late-module nd_pmem --shared "$WORK" -- \
	tests/vm/guest/boot-assemble-verify.sh "$WORK" softdep "$(printf 0x%x $((base1 + 8192)))" \
	"$(printf 0x%x "$base2")"

step "5. make uninstall"
mk uninstall >/dev/null
installed=0
for f in $files; do [ ! -e "$f" ] || fail "make uninstall left $f"; done
passed=1
echo PASS
