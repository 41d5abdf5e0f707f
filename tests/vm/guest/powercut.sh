#!/bin/bash
# Guest side of test-powercut.sh. $1 = setup|cut|verify, $2 = the shared
# results directory, which holds "plan": one line per DIMM,
#   INDEX OP N ADDR
# OP is claim, create or destroy, or one of them with -rev (the hook
# writes each slot's pieces last to first); N the metadata write piece after which
# the library stops dead (DEVMEM_FAULT_WRITES, see libdevmem/kernel.c);
# N = 0 marks the reference DIMM of OP: there the hook is armed with a
# count that is never reached, so the update completes through the same
# 4 KiB-piece path. Regions are found by physical address.
#   setup   give each DIMM its state before OP: nothing (claim); claimed
#           with namespace keep-I (create); keep-I and victim-I (destroy)
#   cut     assemble, then per DIMM: state before -> before-I.json, OP
#           under the hook, marker -> cut-I; the reference's state after
#           -> ref-I.json. Then the guest powers off without any clean
#           shutdown (sysrq o), after saving its kernel log to dmesg.
#   verify  assemble, list -R/-N, each DIMM's state -> after-I.json
set -uo pipefail
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
mode=$1 out=$2
NEVER=100000 # a piece count no single update reaches

uuid() { printf '%s0000-0000-4000-8000-%012d\n' "$1" "$2"; } # ROLE(4 hex) I

# state REGION: claimed flag and the namespaces, as comparable JSON
state() {
	local r=$1
	jq -n --arg r "$r" --slurpfile R "$out/.list-R" --slurpfile N "$out/.list-N" '{
		claimed: ($R[0] | map(select(.dev == $r)) | .[0].claimed),
		namespaces: ($N[0] | map(select(.region == $r)
			| {name, uuid, size, offset, align, map, mode})
			| sort_by(.name))
	}'
}

snapshot() { # refresh the cached listings
	devmemctl list -R >"$out/.list-R"
	devmemctl list -N >"$out/.list-N"
}

run_op() { # OP[-rev] I REGION; -rev: each slot's pieces last to first
	local op=${1%-rev} i=$2 r=$3 order=
	[ "$op" = "$1" ] || order=reverse
	export DEVMEM_FAULT_ORDER=$order
	case $op in
	claim) devmemctl claim "$r" ;;
	create) devmemctl create-namespace -r "$r" -s 2M -a 4K -M mem \
		-n "new-$i" -u "$(uuid 3000 "$i")" ;;
	destroy) devmemctl destroy-namespace --force "victim-$i" ;;
	esac
}

case $mode in
setup)
	set -e
	while read -r i op n addr; do
		r=$(vm_region_at "$addr")
		[ "${op%-rev}" = claim ] && continue
		devmemctl claim "$r" >/dev/null
		devmemctl create-namespace -r "$r" -s 3M -a 4K -M mem \
			-n "keep-$i" -u "$(uuid 1000 "$i")" >/dev/null
		[ "${op%-rev}" = destroy ] || continue
		devmemctl create-namespace -r "$r" -s 1M -a 4K -M mem \
			-n "victim-$i" -u "$(uuid 2000 "$i")" >/dev/null
	done <"$out/plan"
	echo "setup done: $(devmemctl list -N | jq length) namespaces"
	;;
cut)
	set -e
	devmemctl assemble >/dev/null
	snapshot
	while read -r i op n addr; do
		r=$(vm_region_at "$addr")
		state "$r" >"$out/before-$i.json"
		rc=0
		DEVMEM_FAULT_WRITES=$((n ? n : NEVER)) \
			DEVMEM_FAULT_MARKER="$out/cut-$i" \
			run_op "$op" "$i" "$r" >/dev/null 2>"$out/op-$i.err" || rc=$?
		echo "$rc" >"$out/rc-$i"
		if [ "$n" = 0 ]; then
			snapshot
			state "$r" >"$out/ref-$i.json"
		fi
	done <"$out/plan"
	echo "cuts done"
	dmesg >"$out/dmesg"
	sync "$out/dmesg"
	# power cut: no unmount, no sync, no driver shutdown
	echo o >/proc/sysrq-trigger
	while :; do :; done # the root filesystem is going away: no exec
	;;
verify)
	rc=0
	devmemctl assemble >"$out/assemble.json" 2>"$out/assemble.err" || rc=$?
	echo "$rc" >"$out/assemble.rc"
	set -e
	snapshot
	while read -r i op n addr; do
		state "$(vm_region_at "$addr")" >"$out/after-$i.json"
	done <"$out/plan"
	echo "verify done: assemble exit $rc"
	;;
esac
