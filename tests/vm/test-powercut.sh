#!/bin/bash
# VM test: a power cut during a metadata update leaves exactly the old or
# exactly the new layout, devmemctl check finds at most the one copy the
# cut left stale or torn (and check --repair makes it clean), and no byte
# outside the metadata area changes.
#
# The library's fault hook (DEVMEM_FAULT_WRITES=N, libdevmem/kernel.c)
# issues metadata writes in 4 KiB pieces, each flushed by the module, and
# stops the process dead (SIGKILL) right after the N-th; with
# DEVMEM_FAULT_BYTES=K only the first K bytes of piece N are written (a
# tear inside a piece). One update writes 2 slots x 64 KiB = 32 pieces;
# a claim then writes the anchor page (piece 33, the commit point); a
# release zeroes the rest of the head (pieces 1-31), the anchor (32) and
# the slots (33-64). Every path of libdevmem that writes metadata is an
# operation here:
#   claim create destroy release repair (check --repair) rollback (a
#   create whose map fails, DEVMEM_FAULT_MAP=fail: the create's 32 pieces,
#   then the 32 of the write that takes it out again = 64)
# and create-rev/destroy-rev (DEVMEM_FAULT_ORDER=reverse: each slot's
# pieces last to first, the header last; claim-rev, release-rev,
# repair-rev and rollback-rev run when named). One small label-less DIMM per
# cut point, plus one reference DIMM per operation where the update
# completes through the same piecewise path; all in one VM (one VM per
# operation for big sweeps):
#   boot 1  setup: each DIMM gets the state before its operation
#   boot 2  every cut, one DIMM after the other, then a power-off with no
#           clean shutdown (sysrq o; vm-run reports 125 for it)
#   boot 3  devmemctl assemble (must succeed), list -R/-N, then check
#           --json, check --repair --json, check --json on every region
# Then per DIMM: state after == state before, or == the reference's state
# after (names/uuids normalised from the DIMM index; for rollback "new" is
# the layout with the namespace in it, the create reference's); check
# finds nothing (references: always), or exactly one error, about a slot,
# marked repairable (a slot, or an anchor copy); after the repair check is
# clean and the layout unchanged; the image outside the metadata (the
# first 128 KiB, which release zeroes, and the slots at the start of the
# tail guard) is byte-identical (sha256) to what it was after boot 1 - it
# holds every namespace's data (random bytes).
#
# Cut points, DEVMEM_POWERCUT_CUTS (words):
#   N | N/K           piece N (N/K: piece N torn after K bytes), every op
#   OP:N | OP:N/K     only for OP
#   all | OP:all      every piece (1..32; claim 1..33; release, rollback 1..64)
#   tears | OP:tears  a set of tears inside pieces (tears_for below)
# e.g. "create:7 destroy:3 create-rev:16/100". When words name operations
# and DEVMEM_POWERCUT_OPS is unset, only those operations run. Unset: the
# table below (make check). DEVMEM_POWERCUT_OPS="create repair" picks
# operations.
. "$(dirname "$0")/testlib.sh"
require_build
command -v jq >/dev/null || fail "jq missing"

SIZE=$((16 << 20)) META=$((128 << 10))
SLOTS=$((SIZE - (2 << 20) + 4096)) # a 2.0 layout's slots: the tail guard
all_ops="claim create destroy create-rev destroy-rev release repair rollback"
# also accepted when named (not in "all" or make check)
more_ops="claim-rev release-rev repair-rev rollback-rev"
pieces() { case $1 in rollback* | release*) echo 64 ;; claim*) echo 33 ;; *) echo 32 ;; esac; } # OP

# make check (30 DIMMs, as many as before release/repair/rollback were
# cut): the first piece of each slot, the last of each slot for create,
# a random piece (printed; DEVMEM_POWERCUT_CUTS replays it), tears inside
# a header and inside a table entry, the first piece of the rollback write
rnd=$((2 + RANDOM % 30))
declare -A default_cuts=(
	[claim]="1 17 33/40"
	[create]="1 16 17 32 $rnd 2/192 17/40"
	[destroy]="1 17 32 $rnd"
	[create-rev]="15 16"
	[destroy-rev]="16 16/36"
	[release]="1 32/100 33"
	[repair]="1"
	[rollback]="32 33"
)

# tears_for OP: pieces torn inside (N/K) for "tears": the header of each
# slot after K = 8 (inside the magic), 28 (inside seq) and 36 (inside the
# checksum) bytes, the first table piece inside entry 1 (192) and half-way
# (2048); with -rev the header is the 16th piece of a slot
tears_for() {
	local h1=1 h2=17 t1=2 t2=18 l=''
	case $1 in *-rev) h1=16 h2=32 t1=15 t2=31 ;; esac
	for k in 8 28 36; do
		l+=" $h1/$k $h2/$k"
	done
	l+=" $t1/192 $t1/2048 $t2/192"
	case $1 in
	rollback) l+=" 33/36 49/8" ;;
	claim) l+=" 33/8 33/40 33/100 33/2100" ;; # the anchor page
	release) l+=" 32/8 32/100 32/2100 33/36" ;;
	esac
	echo "$l"
}

# cuts_for OP: OP's cut points from DEVMEM_POWERCUT_CUTS or the table
cuts_for() {
	local op=$1 w list='' n p
	if [ -z "${DEVMEM_POWERCUT_CUTS:-}" ]; then
		echo "${default_cuts[$op]}"
		return
	fi
	p=$(pieces "$op")
	for w in $DEVMEM_POWERCUT_CUTS; do
		case $w in
		"$op":*) n=${w#*:} ;;
		*:*) continue ;;
		*) n=$w ;;
		esac
		case $n in
		all) n=$(seq -s ' ' 1 "$p") ;;
		tears) n=$(tears_for "$op") ;;
		esac
		list+=" $n"
	done
	echo "$list"
}

# valid_cut OP N[/K]
valid_cut() {
	local n=${2%/*} k=
	[ "$n" = "$2" ] || k=${2#*/}
	if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt "$(pieces "$1")" ]; then
		fail "$1: cut point '$2': N must be 1..$(pieces "$1")"
	fi
	if [ -n "$k" ] && { ! [[ $k =~ ^[0-9]+$ ]] || [ "$k" -lt 1 ] || [ "$k" -gt 4095 ]; }; then
		fail "$1: cut point '$2': K must be 1..4095"
	fi
}

# operations: DEVMEM_POWERCUT_OPS, else those named in the cut points when
# every word names one, else all
ops=${DEVMEM_POWERCUT_OPS:-}
if [ -z "$ops" ]; then
	for w in ${DEVMEM_POWERCUT_CUTS:-}; do
		case $w in
		*:*) case " $ops " in *" ${w%%:*} "*) ;; *) ops+=" ${w%%:*}" ;; esac ;;
		*) ops=$all_ops && break ;;
		esac
	done
	[ -n "$ops" ] || ops=$all_ops
fi
for op in $ops; do
	case " $all_ops $more_ops " in *" $op "*) ;; *) fail "unknown operation '$op' (one of: $all_ops $more_ops)" ;; esac
	for n in $(cuts_for "$op"); do valid_cut "$op" "$n"; done
done

# sweep OPS NAME [CUTS]: the three boots for the operations OPS, in
# $WORK/NAME; CUTS (with one operation) replaces its cut points
sweep() {
	local ops=$1 w="$WORK/$2" only=${3:-} cuts
	local out="$w/out" i n op addr rc r got off what old=0 new=0 same=0 ndimm dimms=() tails=() lines=()
	local -A ref
	mkdir -p "$out"

	step "0. plan ($2)"
	head -c $SIZE /dev/urandom >"$w/random.img"
	for op in $ops; do
		cuts=${only:-$(cuts_for "$op")}
		echo "  $op: cut points $cuts"
		for n in 0 $cuts; do lines+=("$op $n"); done
	done
	# rollback's "new" layout is the one a create makes: its reference
	case " $ops " in
	*" rollback "* | *" rollback-rev "*)
		case " $ops " in *" create "*) ;; *) lines+=("create 0") ;; esac ;;
	esac
	i=0
	for l in "${lines[@]}"; do
		addr=$(printf '0x%x' $((0x100000000 + i * SIZE)))
		echo "$i $l $addr" >>"$out/plan"
		# random bytes everywhere but where the metadata goes, blank
		cp "$w/random.img" "$w/nv$i.img"
		dd if=/dev/zero of="$w/nv$i.img" bs=$META count=1 conv=notrunc status=none
		dd if=/dev/zero of="$w/nv$i.img" bs=4096 seek=$((SLOTS / 4096)) count=$((META / 4096)) conv=notrunc status=none
		dimms+=(--nvdimm "$w/nv$i.img,size=$SIZE,addr=$addr")
		i=$((i + 1))
	done
	ndimm=$i
	echo "$ndimm DIMMs"
	tail_sum() { # the image but the head and the slots
		{
			dd if="$w/nv$1.img" bs=4096 skip=$((META / 4096)) count=$(((SLOTS - META) / 4096)) status=none
			dd if="$w/nv$1.img" bs=4096 skip=$(((SLOTS + META) / 4096)) status=none
		} | sha256sum | cut -d' ' -f1
	}

	step "1. setup: the state before each operation"
	vm "$2-setup" --timeout 1800 --shared "$out" "${dimms[@]}" -- tests/vm/guest/powercut.sh setup "$out"
	for ((i = 0; i < ndimm; i++)); do tail_sum $i; done >"$w/tails.before"

	step "2. one cut per DIMM, then a power-off without shutdown"
	rc=0
	"$VM" --timeout 1800 --shared "$out" "${dimms[@]}" -- tests/vm/guest/powercut.sh cut "$out" || rc=$?
	[ "$rc" = 125 ] || fail "the cut boot should end in a power-off (vm-run 125), got $rc"
	[ -s "$out/dmesg" ] || fail "the cut boot did not finish its cuts (no dmesg saved)"
	check_dmesg "$out/dmesg"

	step "3. every cut happened where asked; every reference update completed"
	while read -r i op n addr; do
		r=$(cat "$out/rc-$i")
		if [ "$n" = 0 ]; then
			[ ! -e "$out/cut-$i" ] || fail "$op reference (DIMM $i) was cut: $(cat "$out/cut-$i")"
			if [ "${op%-rev}" = rollback ]; then
				[ "$r" = 1 ] || fail "$op reference (DIMM $i): create should fail (exit 1), got $r: $(cat "$out/op-$i.err")"
				grep -q "refused to map it" "$out/op-$i.err" && ! grep -q "stays in the layout" "$out/op-$i.err" ||
					fail "$op reference (DIMM $i): no map failure, or no rollback: $(cat "$out/op-$i.err")"
			else
				[ "$r" = 0 ] || fail "$op reference (DIMM $i) failed ($r): $(cat "$out/op-$i.err")"
			fi
		else
			[ "$r" = 137 ] || fail "$op cut $n (DIMM $i): exit $r, not SIGKILL: $(cat "$out/op-$i.err")"
			read -r got _ <"$out/cut-$i" || fail "$op cut $n (DIMM $i): no marker"
			[ "$got" = "${n%/*}" ] || fail "$op cut $n (DIMM $i): marker says $got"
		fi
	done <"$out/plan"

	step "4. reboot: assemble, list, check, check --repair, check"
	vm "$2-verify" --timeout 1800 --shared "$out" "${dimms[@]}" -- tests/vm/guest/powercut.sh verify "$out"
	cat "$out/assemble.err"
	[ "$(cat "$out/assemble.rc")" = 0 ] || fail "devmemctl assemble failed after the cuts (above)"
	for f in check1 repair check2; do
		jq -e 'type == "array"' "$out/$f.json" >/dev/null ||
			fail "devmemctl $f: no JSON array: $(cat "$out/$f.json" "$out/$f.err")"
	done
	[ "$(cat "$out/repair.rc")" = 0 ] || fail "check --repair exited $(cat "$out/repair.rc"): $(cat "$out/repair.json" "$out/repair.err")"
	[ "$(cat "$out/check2.rc")" = 0 ] || fail "check after the repair exited $(cat "$out/check2.rc"): $(cat "$out/check2.json")"
	jq -e 'all(.[]; .severity == "info")' "$out/check2.json" >/dev/null ||
		fail "check after the repair is not clean: $(cat "$out/check2.json")"

	step "5. old or new layout, check findings, data byte-identical"
	norm='walk(if type == "string" then sub("-[0-9]+$"; "") else . end)'
	while read -r i op n addr; do
		[ "$n" = 0 ] && ref[$op]=$(jq -cS "$norm" "$out/ref-$i.json")
	done <"$out/plan"
	local -A region
	while read -r i r; do region[$i]=$r; done <"$out/regions"
	tails=()
	mapfile -t tails <"$w/tails.before"
	local errs nerr repaired=0 want_repaired=0 new_ref finding
	while read -r i op n addr; do
		after=$(jq -cS "$norm" "$out/after-$i.json")
		before=$(jq -cS "$norm" "$out/before-$i.json")
		new_ref=${ref[$op]}
		case ${op%-rev} in
		rollback)
			[ "${ref[$op]}" = "$before" ] || fail "$op: the rolled-back layout is not the old one:
  old   $before
  after ${ref[$op]}"
			new_ref=${ref[create]}
			;;
		repair)
			[ "$new_ref" = "$before" ] || fail "repair changed the layout:
  old   $before
  new   $new_ref"
			;;
		*)
			[ "$before" != "$new_ref" ] || fail "$op: old and new layouts are the same"
			;;
		esac
		if [ "${op%-rev}" = repair ] && [ "$after" = "$before" ]; then
			what=unchanged same=$((same + 1))
		elif [ "$after" = "$before" ]; then
			what=old old=$((old + 1))
		elif [ "$after" = "$new_ref" ]; then
			what=new new=$((new + 1))
		else
			fail "$op cut $n (DIMM $i): layout is neither old nor new:
  old   $before
  new   $new_ref
  after $after"
		fi
		[ "$(jq -cS . "$out/after2-$i.json")" = "$(jq -cS . "$out/after-$i.json")" ] ||
			fail "$op cut $n (DIMM $i): check --repair changed the layout"
		# check: clean, or exactly one repairable finding about one slot
		errs=$(jq -c --arg r "${region[$i]}" '[.[] | select(.region == $r and .severity == "error")]' "$out/check1.json")
		nerr=$(jq length <<<"$errs")
		finding=clean
		if [ "$nerr" != 0 ]; then
			[ "$n" != 0 ] || fail "$op reference (DIMM $i): check is not clean: $errs"
			jq -e 'length == 1 and ((.[0].slot | type) == "number" or .[0].code == "anchor-copy") and
				.[0].repairable' <<<"$errs" >/dev/null ||
				fail "$op cut $n (DIMM $i): check should find one repairable slot or anchor copy at most: $errs"
			finding=$(jq -r '.[0] | "\(if .slot then "slot \(.slot) " else "" end)\(.code)"' <<<"$errs")
			want_repaired=$((want_repaired + 1))
			jq -e --arg r "${region[$i]}" 'any(.[]; .region == $r and .severity == "repaired")' "$out/repair.json" >/dev/null ||
				fail "$op cut $n (DIMM $i): check --repair did not repair $finding: $(cat "$out/repair.json")"
		fi
		[ "$(tail_sum "$i")" = "${tails[$i]}" ] ||
			fail "$op cut $n (DIMM $i): data outside the metadata area changed"
		off=
		[ ! -e "$out/cut-$i" ] || read -r _ off <"$out/cut-$i"
		echo "$op cut ${n/#0/ref}${off:+ (piece at $off)}: $what layout, check: $finding, data intact"
	done <"$out/plan"
	repaired=$(jq '[.[] | select(.severity == "repaired")] | length' "$out/repair.json")
	[ "$repaired" = "$want_repaired" ] || fail "check --repair repaired $repaired findings, $want_repaired expected"
	echo "$ndimm DIMMs: $old old, $new new layouts, $same unchanged (repair); $want_repaired with one stale/torn copy, repaired; every image intact outside the metadata"
}

# every DIMM makes each devmemctl call a little slower (they all scan every
# region): a big sweep runs one operation per VM, and an operation with
# more than MAX_CUTS cut points in several VMs (the module claims at most
# 64 regions; each VM also needs a DIMM per reference)
MAX_CUTS=48
total=0
for op in $ops; do total=$((total + 1 + $(wc -w <<<"$(cuts_for "$op")"))); done
if [ "$total" -gt $MAX_CUTS ]; then
	for op in $ops; do
		read -ra cl <<<"$(cuts_for "$op")"
		if [ ${#cl[@]} -le $MAX_CUTS ]; then
			sweep "$op" "$op"
			continue
		fi
		for ((k = 0; k * MAX_CUTS < ${#cl[@]}; k++)); do
			sweep "$op" "$op-$k" "${cl[*]:k*MAX_CUTS:MAX_CUTS}"
		done
	done
else
	sweep "$ops" all
fi
echo PASS
