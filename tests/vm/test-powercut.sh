#!/bin/bash
# VM test: a power cut during a metadata update leaves exactly the old or
# exactly the new layout, and no byte outside the metadata area changes.
#
# The library's fault hook (DEVMEM_FAULT_WRITES=N, libdevmem/kernel.c)
# issues metadata writes in 4 KiB pieces, each flushed by the module, and
# stops the process dead (SIGKILL) right after the N-th. One update writes
# 2 slots x 64 KiB = 32 pieces. For each of claim, create-namespace and
# destroy-namespace (and create/destroy with each slot's pieces written
# last to first, "-rev": DEVMEM_FAULT_ORDER=reverse, the header last), one
# small label-less DIMM per cut point N - by default the boundaries 1, 16,
# 17, 32 and one random N; every N from 1 to 32 with
# DEVMEM_POWERCUT_CUTS=all, as make check-powercut runs it - plus a
# reference DIMM where the update completes through the same piecewise
# path; all of them in one VM (one VM per operation for more than 8 cuts):
#   boot 1  setup: each DIMM gets the state before its operation
#   boot 2  every cut, one DIMM after the other, then a power-off with no
#           clean shutdown (sysrq o; vm-run reports 125 for it)
#   boot 3  devmemctl assemble (must succeed), list -R/-N
# Then per DIMM: state after == state before, or == the reference's state
# after (names/uuids normalised from the DIMM index); the image outside
# the metadata area [0, 128 KiB) is byte-identical (sha256) to what it was
# after boot 1 - it holds every namespace's data (random bytes).
# DEVMEM_POWERCUT_CUTS="3 17 29" picks other cut points,
# DEVMEM_POWERCUT_OPS="create" fewer operations.
# TODO(check): when 'devmemctl check' lands, boot 3 should also run it on
# every region and require a clean report (see tests/vm/guest/powercut.sh,
# verify).
. "$(dirname "$0")/testlib.sh"
require_build

PIECES=32 # DM_NR_SLOTS * DM_SLOT_SIZE / 4 KiB
SIZE=$((16 << 20)) META=$((128 << 10))
# default: the first and last piece of each slot, and one random piece
# inside a slot (printed; DEVMEM_POWERCUT_CUTS replays it)
rnd=$((2 + RANDOM % 28))
[ $rnd -lt 16 ] || rnd=$((rnd + 2))
cuts=${DEVMEM_POWERCUT_CUTS:-1 16 17 32 $rnd}
[ "$cuts" != all ] || cuts=$(seq -s ' ' 1 $PIECES)
ops=${DEVMEM_POWERCUT_OPS:-claim create destroy create-rev destroy-rev}

# sweep OPS NAME: the three boots for the operations OPS, in $WORK/NAME
sweep() {
	local ops=$1 w="$WORK/$2"
	local out="$w/out" i n op addr rc r got what old=0 new=0 ndimm dimms=() tails=()
	mkdir -p "$out"

	step "0. plan: ops '$ops', cut points '$cuts'"
	head -c $SIZE /dev/urandom >"$w/random.img"
	i=0
	for op in $ops; do
		for n in 0 $cuts; do
			[ "$n" -le $PIECES ] || fail "cut point $n > $PIECES pieces"
			addr=$(printf '0x%x' $((0x100000000 + i * SIZE)))
			echo "$i $op $n $addr" >>"$out/plan"
			# random bytes everywhere but the metadata area, which is blank
			cp "$w/random.img" "$w/nv$i.img"
			dd if=/dev/zero of="$w/nv$i.img" bs=$META count=1 conv=notrunc status=none
			dimms+=(--nvdimm "$w/nv$i.img,size=$SIZE,addr=$addr")
			i=$((i + 1))
		done
	done
	ndimm=$i
	echo "$ndimm DIMMs"
	tail_sum() { tail -c +$((META + 1)) "$w/nv$1.img" | sha256sum | cut -d' ' -f1; }

	step "1. setup: the state before each operation"
	vm "$2-setup" --timeout 900 --shared "$out" "${dimms[@]}" -- tests/vm/guest/powercut.sh setup "$out"
	for ((i = 0; i < ndimm; i++)); do tail_sum $i; done >"$w/tails.before"

	step "2. one cut per DIMM, then a power-off without shutdown"
	rc=0
	"$VM" --timeout 900 --shared "$out" "${dimms[@]}" -- tests/vm/guest/powercut.sh cut "$out" || rc=$?
	[ "$rc" = 125 ] || fail "the cut boot should end in a power-off (vm-run 125), got $rc"
	[ -s "$out/dmesg" ] || fail "the cut boot did not finish its cuts (no dmesg saved)"
	check_dmesg "$out/dmesg"

	step "3. every cut happened where asked; every reference update completed"
	while read -r i op n addr; do
		r=$(cat "$out/rc-$i")
		if [ "$n" = 0 ]; then
			[ "$r" = 0 ] || fail "$op reference (DIMM $i) failed ($r): $(cat "$out/op-$i.err")"
			[ ! -e "$out/cut-$i" ] || fail "$op reference (DIMM $i) was cut: $(cat "$out/cut-$i")"
		else
			[ "$r" = 137 ] || fail "$op cut $n (DIMM $i): exit $r, not SIGKILL: $(cat "$out/op-$i.err")"
			read -r got _ <"$out/cut-$i" || fail "$op cut $n (DIMM $i): no marker"
			[ "$got" = "$n" ] || fail "$op cut $n (DIMM $i): marker says $got"
		fi
	done <"$out/plan"

	step "4. reboot: assemble, list"
	vm "$2-verify" --timeout 900 --shared "$out" "${dimms[@]}" -- tests/vm/guest/powercut.sh verify "$out"
	cat "$out/assemble.err"
	[ "$(cat "$out/assemble.rc")" = 0 ] || fail "devmemctl assemble failed after the cuts (above)"

	step "5. old or new layout, data byte-identical"
	norm='walk(if type == "string" then sub("-[0-9]+$"; "") else . end)'
	local -A ref
	while read -r i op n addr; do
		[ "$n" = 0 ] && ref[$op]=$(jq -cS "$norm" "$out/ref-$i.json")
	done <"$out/plan"
	tails=()
	mapfile -t tails <"$w/tails.before"
	old=0 new=0
	while read -r i op n addr; do
		after=$(jq -cS "$norm" "$out/after-$i.json")
		before=$(jq -cS "$norm" "$out/before-$i.json")
		if [ "$after" = "${ref[$op]}" ]; then
			what=new new=$((new + 1))
		elif [ "$after" = "$before" ]; then
			what=old old=$((old + 1))
		else
			fail "$op cut $n (DIMM $i): layout is neither old nor new:
  old   $before
  new   ${ref[$op]}
  after $after"
		fi
		[ "$before" != "${ref[$op]}" ] || fail "$op: old and new layouts are the same"
		[ "$(tail_sum "$i")" = "${tails[$i]}" ] ||
			fail "$op cut $n (DIMM $i): data outside the metadata area changed"
		echo "$op cut ${n/#0/ref}: $what layout, data intact"
	done <"$out/plan"
	echo "$((ndimm)) DIMMs: $old old, $new new layouts; every image intact outside the metadata"
}

# every DIMM makes each devmemctl call a little slower (they all scan every
# region): many cut points run one operation per VM
nc=$(wc -w <<<"$cuts")
if [ "$nc" -gt 8 ]; then
	for op in $ops; do sweep "$op" "$op"; done
else
	sweep "$ops" all
fi
echo PASS
