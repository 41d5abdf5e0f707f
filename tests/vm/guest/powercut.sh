#!/bin/bash
# Guest side of test-powercut.sh. $1 = setup|cut|verify, $2 = the shared
# results directory, which holds "plan": one line per DIMM,
#   INDEX OP N ADDR
# OP is one of the updates below, "-rev" appended for the hook to write
# each slot's pieces last to first. N is the metadata write piece after
# which the library stops dead (DEVMEM_FAULT_WRITES, libdevmem/kernel.c),
# or N/K: piece N is torn, only its first K bytes written
# (DEVMEM_FAULT_BYTES). N = 0 marks OP's reference DIMM: the hook is armed
# with a count that is never reached, so the update completes through the
# same 4 KiB-piece path. Regions are found by physical address.
#   OP        state before (setup)          the update (cut)
#   claim     blank                         claim
#   create    claimed, keep-I               create-namespace new-I
#   destroy   claimed, keep-I, victim-I     destroy-namespace victim-I
#   release   claimed, no namespace         release
#   repair    claimed, keep-I, new-I; slot  check --repair (rewrites both
#             0 stale (a create cut after   slots)
#             its first slot)
#   rollback  claimed, keep-I               create-namespace new-I whose
#                                           map fails (DEVMEM_FAULT_MAP):
#                                           the layout is written, then
#                                           written back without new-I
#   setup   give each DIMM its state before OP
#   cut     assemble, then per DIMM: state before -> before-I.json, OP
#           under the hook, exit status -> rc-I, marker -> cut-I; a
#           reference's state after -> ref-I.json. Then the guest powers
#           off without any clean shutdown (sysrq o), after saving its
#           kernel log to dmesg.
#   verify  assemble, list -R/-N, each DIMM's state -> after-I.json and
#           region name -> regions; check --json -> check1.json, check
#           --repair --json -> repair.json, check --json -> check2.json
#           (exit status each -> *.rc), state again -> after2-I.json
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

create_new() { # I REGION
	devmemctl create-namespace -r "$2" -s 2M -a 4K -M mem \
		-n "new-$1" -u "$(uuid 3000 "$1")"
}

run_op() { # OP[-rev] I REGION; -rev: each slot's pieces last to first
	local op=${1%-rev} i=$2 r=$3 order=
	[ "$op" = "$1" ] || order=reverse
	export DEVMEM_FAULT_ORDER=$order
	case $op in
	claim) devmemctl claim "$r" ;;
	create) create_new "$i" "$r" ;;
	destroy) devmemctl destroy-namespace --force "victim-$i" ;;
	release) devmemctl release "$r" ;;
	repair) devmemctl check --repair "$r" ;;
	rollback) DEVMEM_FAULT_MAP=fail create_new "$i" "$r" ;;
	esac
}

case $mode in
setup)
	set -e
	while read -r i op n addr; do
		r=$(vm_region_at "$addr")
		op=${op%-rev}
		[ "$op" = claim ] && continue
		devmemctl claim "$r" >/dev/null
		[ "$op" = release ] && continue
		devmemctl create-namespace -r "$r" -s 3M -a 4K -M mem \
			-n "keep-$i" -u "$(uuid 1000 "$i")" >/dev/null
		case $op in
		destroy)
			devmemctl create-namespace -r "$r" -s 1M -a 4K -M mem \
				-n "victim-$i" -u "$(uuid 2000 "$i")" >/dev/null
			;;
		repair) # cut after the first slot (16 pieces): slot 0 stale
			rc=0
			DEVMEM_FAULT_WRITES=16 create_new "$i" "$r" >/dev/null 2>&1 || rc=$?
			[ "$rc" = 137 ] || { echo "repair setup: create exit $rc, not 137" >&2; exit 1; }
			devmemctl check --json "$r" >"$out/.check" || true
			jq -e '[.[] | select(.severity == "error" and .slot != null)] | length == 1 and
				.[0].code == "slot-stale" and .[0].slot == 0' "$out/.check" >/dev/null ||
				{ echo "repair setup: slot 0 not stale" >&2; cat "$out/.check" >&2; exit 1; }
			;;
		esac
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
		pieces=${n%/*} bytes=
		[ "$pieces" = "$n" ] || bytes=${n#*/}
		rc=0
		DEVMEM_FAULT_WRITES=$((pieces ? pieces : NEVER)) \
			DEVMEM_FAULT_BYTES=$bytes \
			DEVMEM_FAULT_MARKER="$out/cut-$i" \
			run_op "$op" "$i" "$r" >"$out/op-$i.out" 2>"$out/op-$i.err" || rc=$?
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
	: >"$out/regions"
	while read -r i op n addr; do
		r=$(vm_region_at "$addr")
		echo "$i $r" >>"$out/regions"
		state "$r" >"$out/after-$i.json"
	done <"$out/plan"
	# every region at once: each devmemctl call scans all of them
	for step in check1:check repair:"check --repair" check2:check; do
		rc=0
		# shellcheck disable=SC2086 # the options are words
		devmemctl ${step#*:} --json >"$out/${step%%:*}.json" 2>"$out/${step%%:*}.err" || rc=$?
		echo "$rc" >"$out/${step%%:*}.rc"
	done
	snapshot
	while read -r i r; do
		state "$r" >"$out/after2-$i.json"
	done <"$out/regions"
	echo "verify done: assemble exit $(cat "$out/assemble.rc"), check $(cat "$out/check1.rc"), repair $(cat "$out/repair.rc"), check $(cat "$out/check2.rc")"
	;;
esac
