#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2015 # 'A && B || fail' fails when either fails: intended
# Self-test of the VM harness (tests/vm/vm-run). Exit 0 pass, 1 fail,
# 77 skip (only when qemu-system-x86_64 is not installed).
#
# Four VMs; the two short failure cases run in the background, at the same
# time as the first long boot (which also shows that VMs can run at once):
#   A  --timeout 5 -- sleep 60          -> 124, well before sleep could end
#   B  a kernel that cannot find init   -> 125 (never success without CMD)
#   1  two NVDIMMs (labelled at 0x100001000, label-less unplaced), --dmesg,
#      --shared, from a copy of the checkout under $TMPDIR (like CI):
#      stdout and stderr pass through separately and exactly, arguments
#      with spaces/quotes/newlines survive, the guest environment is right,
#      `ndctl list -R` shows two regions, the first one starts at
#      0x100001000; the guest writes a pattern to /dev/pmemN of the
#      label-less DIMM that the host then finds in its FILE;
#      --late-module nd_btt: guest-init loaded nd_btt and nd_pmem (which
#      needs it, so is late too)
#   2  the label-less DIMM alone at 0x140000000: the pattern from boot 1
#      and one the host wrote into FILE in between read back; exit 3 -> 3;
#      --early-module kmod/devmem.ko: loaded before nd_pmem (/proc/modules
#      order), its two kernel log markers in order in --dmesg, before any
#      pmem line; --skip-module dax_pmem: not loaded
# Plus usage errors (exit 2) of --skip-module and --early-module.
# The guest side of boots 1 and 2 is this script with --guest.
set -E -o pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

fail() { trap - ERR; echo "FAIL: $*" >&2; exit 1; }
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND (status $?)" >&2; exit 1' ERR

# shellcheck disable=SC2016 # literal \$HOME on purpose
args_expected=("two words" "  lead and trail  " 'q"uo'"'"'te' '$HOME *' "" $'new\nline' "-v")
print_args() { printf '[%s]\n' "$@"; }

# --- guest side ---------------------------------------------------------
if [ "${1:-}" = --guest ]; then
	vm_in_guest || fail "--guest is for inside vm-run"
	phase=$2 work=$3
	shift 3
	case $phase in
	boot1)
		echo "stdout line 1"
		echo "stderr line 1" >&2
		print_args "$@"
		# environment
		[ "$PWD" = "$DEVMEM_TOP" ] || fail "cwd $PWD is not the checkout $DEVMEM_TOP"
		[ -f "$PWD/tests/vm/test-harness.sh" ] || fail "checkout not visible at $PWD"
		[ "${PATH%%:*}" = "$DEVMEM_TOP/cli" ] || fail "PATH does not start with \$TOP/cli: $PATH"
		[ "$LD_LIBRARY_PATH" = "$DEVMEM_TOP/libdevmem" ] || fail "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
		[ "$DEVMEM_KMOD" = "$DEVMEM_TOP/kmod/devmem.ko" ] || fail "DEVMEM_KMOD=$DEVMEM_KMOD"
		[ "$HOME" = /root ] && [ "$(id -u)" = 0 ] || fail "not root with HOME=/root"
		for d in /root /tmp /var/tmp /run "$work"; do
			: >"$d/.vm-write-test" && rm "$d/.vm-write-test" || fail "$d is not writable"
		done
		{ : >/usr/.vm-write-test; } 2>/dev/null && fail "the host root is writable in the guest"
		[ "$(uname -r)" = "$(cat "$work/kver")" ] || fail "guest runs $(uname -r)"
		[ -c /dev/null ] && [ -d /sys/bus/nd ] || fail "no devtmpfs or no nvdimm bus"
		[ -d /sys/module/nd_btt ] && [ -d /sys/module/nd_pmem ] ||
			fail "--late-module nd_btt: nd_btt or nd_pmem not loaded"
		# the nvdimm stack is up before CMD runs
		n=$(ndctl list -R | jq length)
		[ "$n" = 2 ] || fail "ndctl list -R shows $n regions, want 2"
		r0=$(vm_region_at 0x100001000)
		[ "$(cat "/sys/bus/nd/devices/$r0/size")" = $((1024 * 1024 * 1024 - 128 * 1024)) ] ||
			fail "$r0 size $(cat "/sys/bus/nd/devices/$r0/size")"
		for r in /sys/bus/nd/devices/region*; do
			[ "${r##*/}" = "$r0" ] || r1=${r##*/}
		done
		pmem=$(vm_region_blockdev "$r1")
		dd if="$work/pattern1" of="$pmem" bs=4096 seek=1 conv=fsync,notrunc status=none
		cmp -n 4096 "$work/pattern1" "$pmem" 0 4096 || fail "read-back of $pmem differs"
		echo "$pmem of $r1 at $(vm_region_start "$r1")" >"$work/guest-report"
		echo "stdout line 2"
		echo "stderr line 2" >&2
		exit 0
		;;
	boot2)
		[ -d /sys/module/devmem ] || fail "--early-module: no /sys/module/devmem"
		[ ! -e /sys/module/dax_pmem ] || fail "--skip-module dax_pmem: dax_pmem is loaded"
		# /proc/modules lists the newest first: nd_pmem must come before devmem
		awk '$1 == "nd_pmem" { p = NR } $1 == "devmem" { d = NR } END { exit !(p && d && p < d) }' \
			/proc/modules || fail "devmem not loaded before nd_pmem: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
		r=$(vm_region_at 0x140000000)
		pmem=$(vm_region_blockdev "$r")
		cmp -n 4096 "$work/pattern1" "$pmem" 0 4096 || fail "pattern from boot 1 lost"
		cmp -n 4096 "$work/pattern2" "$pmem" 0 8192 || fail "pattern the host wrote not seen"
		echo "boot2 ok"
		exit 3
		;;
	esac
	fail "unknown guest phase $phase"
fi

# --- host side ----------------------------------------------------------
vm_require_qemu
kmod=$VM_TOP/kmod/devmem.ko
[ -f "$kmod" ] || fail "no $kmod for --early-module (make kmod)"
work=$(mktemp -d "${TMPDIR:-/tmp}/devmem-harness.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
"$VM_TOP/scripts/kernel-version" >"$work/kver" || fail "no kernel to boot"
now() { date +%s%N; }
ms_since() { echo $((($(now) - $1) / 1000000)); }

echo "== A, B: timeout and boot failure (background)"
tA=$(now)
(
	rc=0
	"$VM_RUN" --timeout 5 -- sleep 60 >"$work/A.out" 2>"$work/A.err" || rc=$?
	echo "$rc $(ms_since "$tA")" >"$work/A.rc"
) &
pids+=($!)
(
	rc=0
	"$VM_RUN" --timeout 60 --append "rdinit=/no/such/init" -- true >"$work/B.out" 2>"$work/B.err" || rc=$?
	echo "$rc" >"$work/B.rc"
) &
pids+=($!)

echo "== 1: two NVDIMMs, output, arguments, environment, regions, data (checkout under ${TMPDIR:-/tmp})"
# a copy of the parts of the checkout the harness needs, under $TMPDIR like a
# CI clone; its build/ points at the real one to share the cached images
co=$work/checkout
mkdir -p "$co/tests" "$co/scripts" "$VM_TOP/build"
cp -r "$VM_TOP/tests/vm" "$co/tests/"
cp "$VM_TOP/scripts/kernel-version" "$co/scripts/"
ln -s "$VM_TOP/build" "$co/build"
mkdir "$work/share"
cp "$work/kver" "$work/share/kver"
head -c 4096 /dev/urandom >"$work/share/pattern1"
head -c 4096 /dev/urandom >"$work/share/pattern2"
t1=$(now)
rc=0
"$co/tests/vm/vm-run" --timeout 120 --dmesg "$work/boot1.dmesg" --shared "$work/share" \
	--nvdimm "$work/nv0.img,size=1G,addr=0x100001000,label-size=128K" \
	--nvdimm "$work/nv1.img,size=256M" --late-module nd_btt \
	-- tests/vm/test-harness.sh --guest boot1 "$work/share" "${args_expected[@]}" \
	>"$work/boot1.out" 2>"$work/boot1.err" || rc=$?
echo "   boot 1 took $(ms_since "$t1") ms"
if [ "$rc" != 0 ]; then
	sed 's/^/   stderr: /' "$work/boot1.err"
	fail "boot 1 exited $rc"
fi
{ echo "stdout line 1"; print_args "${args_expected[@]}"; echo "stdout line 2"; } >"$work/boot1.want"
diff -u "$work/boot1.want" "$work/boot1.out" || fail "stdout of boot 1 differs (above)"
printf 'stderr line 1\nstderr line 2\n' | diff -u - "$work/boot1.err" || fail "stderr of boot 1 differs (above)"
grep -q "Linux version" "$work/boot1.dmesg" || fail "--dmesg file lacks 'Linux version'"
grep -q "ACPI: NFIT" "$work/boot1.dmesg" || fail "--dmesg file lacks the NFIT table line"
[ -s "$work/share/guest-report" ] || fail "nothing written to the --shared dir"
echo "   guest: $(cat "$work/share/guest-report")"
[ "$(stat -c %s "$work/nv0.img")" = $((1 << 30)) ] && [ "$(stat -c %s "$work/nv1.img")" = $((256 << 20)) ] ||
	fail "NVDIMM files not created with their sizes"
cmp -n 4096 "$work/share/pattern1" "$work/nv1.img" 0 4096 || fail "guest's write is not in nv1.img at offset 4096"

echo "== 2: the label-less DIMM moved to 0x140000000; data persists; exit status 3"
dd if="$work/share/pattern2" of="$work/nv1.img" bs=4096 seek=2 conv=notrunc status=none
t2=$(now)
rc=0
"$VM_RUN" --timeout 120 --shared "$work/share" --nvdimm "$work/nv1.img,addr=0x140000000" \
	--early-module "$kmod" --skip-module dax-pmem --dmesg "$work/boot2.dmesg" \
	-- tests/vm/test-harness.sh --guest boot2 "$work/share" >"$work/boot2.out" 2>"$work/boot2.err" || rc=$?
echo "   boot 2 took $(ms_since "$t2") ms"
[ "$rc" = 3 ] || { cat "$work/boot2.err" >&2; fail "boot 2 exited $rc, want 3"; }
[ "$(cat "$work/boot2.out")" = "boot2 ok" ] || fail "boot 2 stdout: $(cat "$work/boot2.out")"
# the markers, in order, before any nd_pmem/pmemN line (not the command line)
read -r lstart lend lpmem < <(awk '/devmem-vm: early-module devmem insert start$/ && !s { s = NR }
	/devmem-vm: early-module devmem insert done$/ && !d { d = NR }
	/nd_pmem|pmem[0-9]/ && !/ommand line/ && !p { p = NR }
	END { print s + 0, d + 0, p + 0 }' "$work/boot2.dmesg")
[ "$lstart" -gt 0 ] && [ "$lend" -gt "$lstart" ] ||
	fail "--early-module markers missing or out of order in the dmesg (lines $lstart, $lend)"
[ "$lpmem" = 0 ] || [ "$lend" -lt "$lpmem" ] || fail "dmesg line $lpmem mentions pmem before the insert-done marker"
read -r t0 t1 < <(sed -n -e "${lstart}s/^\[ *\([0-9.]*\)\].*/\1/p" -e "${lend}s/^\[ *\([0-9.]*\)\].*/\1/p" "$work/boot2.dmesg" | paste -sd ' ' -)
echo "   early module insert: from ${t0}s to ${t1}s (guest uptime)"

echo "== usage errors of the module options"
for bad in "--skip-module foo" "--late-module foo" "--early-module $work/foo.ko"; do
	rc=0
	# shellcheck disable=SC2086 # split on purpose
	"$VM_RUN" $bad -- true 2>"$work/usage.err" || rc=$?
	[ "$rc" = 2 ] && grep -q foo "$work/usage.err" || fail "vm-run $bad: exit $rc, want 2 naming foo: $(cat "$work/usage.err")"
done

echo "== A, B results"
for p in "${pids[@]}"; do wait "$p" || :; done
pids=()
read -r rcA msA <"$work/A.rc"
echo "   A: exit $rcA after $msA ms: $(cat "$work/A.err")"
[ "$rcA" = 124 ] || fail "--timeout 5 -- sleep 60 exited $rcA, want 124"
[ "$msA" -lt 20000 ] || fail "--timeout 5 took $msA ms"
grep -q timeout "$work/A.err" || fail "no timeout message on stderr"
rcB=$(cat "$work/B.rc")
echo "   B: exit $rcB: $(head -n 1 "$work/B.err")"
[ "$rcB" = 125 ] || fail "a boot without init exited $rcB, want 125"
grep -q "VM failed" "$work/B.err" || fail "no 'VM failed' message on stderr"
[ ! -s "$work/B.out" ] || fail "boot failure printed on stdout"

echo PASS
