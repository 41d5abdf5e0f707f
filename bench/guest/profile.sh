#!/bin/bash
# Guest side of bench/profile: where does a warm `devmemctl assemble`
# (one namespace unmapped, module loaded) spend its time? strace -c and
# strace -r of one call, plus the whole-command times of a few reference
# commands. $1 = output dir, $2 = stock DIMM address, $3 = devmem DIMM
# address, $4 = repetitions of the timed calls.
set -Eeuo pipefail
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
out=$1 reps=${4:-5}
S=$(vm_region_at "$2")
D=$(vm_region_at "$3")
T=bench/bench-tool
us() { echo "${EPOCHREALTIME/./}"; }
ndctl disable-region "$S" >/dev/null
ndctl init-labels "$(ndctl list -D -r "$S" | jq -r '.[0].dev')" >/dev/null
ndctl enable-region "$S" >/dev/null
ndctl create-namespace -r "$S" -m devdax -M mem -a 2M -s 256M >"$out/stock.json"
ns=$(jq -r .dev "$out/stock.json")
devmemctl claim "$D" >/dev/null
devmemctl create-namespace -r "$D" -M mem -a 2M -s 254M -n p >/dev/null
dax=$(devmemctl list -n p | jq -r '.[0].chardev')
c=${dax#dax}
id=$((${c%.*} - 100))
timeit() { # LABEL CMD...: median of $reps whole-command times, us
	local l=$1 t0 t1
	shift
	for _ in $(seq 1 "$reps"); do
		t0=$(us)
		"$@" >/dev/null
		t1=$(us)
		echo "$l $((t1 - t0))"
	done
}
{
	for i in $(seq 1 "$reps"); do
		$T unmap "$id" 0
		t0=$(us)
		devmemctl assemble >/dev/null
		t1=$(us)
		echo "assemble $((t1 - t0))"
		ndctl disable-namespace "$ns" >/dev/null
		t0=$(us)
		ndctl enable-namespace "$ns" >/dev/null
		t1=$(us)
		echo "enable-namespace $((t1 - t0))"
	done
	timeit true /bin/true
	timeit devmemctl-help devmemctl --help
	timeit devmemctl-list devmemctl list
	timeit ndctl-list-R ndctl list -R
	timeit ndctl-list-N ndctl list -N
	timeit assemble-nothing-to-do devmemctl assemble
} >"$out/times.txt"
$T unmap "$id" 0
strace -f -c -o "$out/assemble.strace-c" devmemctl assemble >/dev/null
$T unmap "$id" 0
strace -f -r -T -o "$out/assemble.strace-r" devmemctl assemble >/dev/null
ndctl disable-namespace "$ns" >/dev/null
strace -f -c -o "$out/enable.strace-c" ndctl enable-namespace "$ns" >/dev/null
ndctl disable-namespace "$ns" >/dev/null
strace -f -r -T -o "$out/enable.strace-r" ndctl enable-namespace "$ns" >/dev/null
$T unmap "$id" 0
if perf record -q -g -o "$out/perf.data" -- devmemctl assemble >/dev/null 2>"$out/perf.err"; then
	perf report -i "$out/perf.data" --stdio --no-children 2>/dev/null | head -150 >"$out/perf.txt" || true
fi
echo "guest: profile done"
