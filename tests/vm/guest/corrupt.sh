#!/bin/bash
# Guest side of test-corrupt.sh. $1 = setup|verify, $2 = the shared results
# directory, which holds "plan": one line per DIMM, "INDEX KIND ADDR".
#   setup   every DIMM but the foreign ones: claim, namespace c<I> (and
#           d<I> for the overlap case)
#   verify  (after the host corrupted the images) assemble once, list -N,
#           and claim (no --force) every region that did not come up;
#           outputs in the results directory, by DIMM index
set -uo pipefail
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
mode=$1 out=$2

case $mode in
setup)
	set -e
	while read -r i kind addr; do
		case $kind in foreign-*) continue ;; esac
		r=$(vm_region_at "$addr")
		devmemctl claim "$r" >/dev/null
		devmemctl create-namespace -r "$r" -s 2M -a 4K -M mem -n "c$i" >/dev/null
		[ "$kind" != overlap ] ||
			devmemctl create-namespace -r "$r" -s 1M -a 4K -M mem -n "d$i" >/dev/null
	done <"$out/plan"
	devmemctl list -N >"$out/setup-list.json"
	echo "setup: $(jq length "$out/setup-list.json") namespaces"
	;;
verify)
	rc=0
	devmemctl assemble >"$out/assemble.json" 2>"$out/assemble.err" || rc=$?
	echo "$rc" >"$out/assemble.rc"
	set -e
	devmemctl list -N >"$out/list.json" 2>/dev/null
	devmemctl list -R >"$out/list-R.json" 2>/dev/null
	while read -r i kind addr; do
		r=$(vm_region_at "$addr")
		echo "$i $r" >>"$out/regions"
		# a region devmem did not take must be refused without --force
		if ! jq -e --arg r "$r" 'map(select(.dev == $r))[0].claimed' \
			"$out/list-R.json" >/dev/null; then
			crc=0
			devmemctl claim "$r" >/dev/null 2>"$out/claim-$i.err" || crc=$?
			echo "$crc" >"$out/claim-$i.rc"
		fi
	done <"$out/plan"
	echo "verify: assemble exit $rc"
	;;
esac
