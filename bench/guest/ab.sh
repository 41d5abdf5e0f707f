#!/bin/bash
# Guest side of an A/B of two devmemctl builds (the library is linked in
# statically): warm re-up of one namespace, `A assemble` vs `B assemble` vs
# stock `ndctl enable-namespace`, interleaved, the order rotating per
# repetition. $1 = output dir, $2 = stock DIMM address (labelled), $3 =
# devmem DIMM address, $4 = reps, $5 = devmemctl A, $6 = devmemctl B.
# Writes $1/results.tsv (section ab, case = map, sides A B stock).
set -Eeuo pipefail
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
out=$1 reps=$4
export A=$5 B=$6 # read as "${!1}" in one()
S=$(vm_region_at "$2")
D=$(vm_region_at "$3")
T=bench/bench-tool
res=$out/results.tsv
: >"$res"
us() { echo "${EPOCHREALTIME/./}"; }
rec() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$res"; }
ndctl disable-region "$S" >/dev/null
ndctl init-labels "$(ndctl list -D -r "$S" | jq -r '.[0].dev')" >/dev/null
ndctl enable-region "$S" >/dev/null
ns=$(ndctl create-namespace -r "$S" -m devdax -M mem -a 2M -s 256M | jq -r .dev)
devmemctl claim "$D" >/dev/null
devmemctl create-namespace -r "$D" -M mem -a 2M -s 254M -n p >/dev/null
dax=$(devmemctl list -n p | jq -r '.[0].chardev')
c=${dax#dax}
id=$((${c%.*} - 100))
one() {
	local t0 t1
	case $1 in
	stock)
		ndctl disable-namespace "$ns" >/dev/null
		t0=$(us)
		ndctl enable-namespace "$ns" >/dev/null
		t1=$(us)
		;;
	*)
		$T unmap "$id" 0
		t0=$(us)
		"${!1}" assemble >/dev/null
		t1=$(us)
		[ -e "/dev/$dax" ]
		;;
	esac
	rec ab 256M.mem "$1" "$2" reup_us $((t1 - t0))
}
for rep in $(seq 1 "$reps"); do
	case $((rep % 3)) in
	0) one A "$rep"; one B "$rep"; one stock "$rep" ;;
	1) one B "$rep"; one stock "$rep"; one A "$rep" ;;
	2) one stock "$rep"; one A "$rep"; one B "$rep" ;;
	esac
done
echo "guest: ab done"
