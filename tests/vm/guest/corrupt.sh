#!/bin/bash
# Guest side of test-corrupt.sh. $1 = setup|verify, $2 = the shared results
# directory, which holds "plan": one line per DIMM, "INDEX KIND ADDR".
#   setup   every DIMM but the foreign ones: claim, namespace c<I> (and
#           d<I> for the overlap case)
#   verify  (after the host corrupted the images) assemble once, list -N,
#           and claim (no --force) every region that did not come up;
#           then devmemctl check --json over every region with devmem
#           metadata (check.json, check.rc) and a plain check of each
#           foreign one (check-I.out/.err/.rc): read-only
#   repair  (a later boot) assemble, check --repair --json over the same
#           regions (repair.json/.rc), then check --json (check2.json/.rc)
# outputs in the results directory, by DIMM index
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
	# check: every region with devmem metadata at once (a region assemble
	# refused is read through a temporary claim); the foreign ones alone
	devmem=()
	while read -r i kind addr; do
		r=$(vm_region_at "$addr")
		case $kind in
		foreign-*)
			crc=0
			devmemctl check "$r" >"$out/check-$i.out" 2>"$out/check-$i.err" || crc=$?
			echo "$crc" >"$out/check-$i.rc"
			;;
		*) devmem+=("$r") ;;
		esac
	done <"$out/plan"
	crc=0
	devmemctl check --json "${devmem[@]}" >"$out/check.json" 2>"$out/check.err" || crc=$?
	echo "$crc" >"$out/check.rc"
	echo "verify: assemble exit $rc, check exit $crc"
	;;
repair)
	devmemctl assemble >/dev/null 2>&1 || true
	set -e
	devmem=()
	while read -r i kind addr; do
		case $kind in foreign-*) ;; *) devmem+=("$(vm_region_at "$addr")") ;; esac
	done <"$out/plan"
	for f in repair:--repair check2:; do
		crc=0
		# shellcheck disable=SC2086 # no option is no word
		devmemctl check ${f#*:} --json "${devmem[@]}" >"$out/${f%%:*}.json" 2>"$out/${f%%:*}.err" || crc=$?
		echo "$crc" >"$out/${f%%:*}.rc"
	done
	echo "repair: check --repair exit $(cat "$out/repair.rc"), check exit $(cat "$out/check2.rc")"
	;;
esac
