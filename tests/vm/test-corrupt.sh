#!/bin/bash
# VM test: hand-corrupted metadata. Boot 1 lays out one small label-less
# DIMM per case (claim + namespace c<I>; two namespaces for "overlap");
# then the host edits each image at the offsets of docs/format.md (a
# label-less DIMM's region starts at file offset 0: the 2.0 anchor at 0,
# two copies of 2 KiB; slot 0 at the anchor's slots offset, slot 1 64 KiB
# after it, the namespace table at slot + 0x1000, 128 bytes an entry), and
# boot 2 runs devmemctl assemble once, list -N, and a plain claim of every
# region devmem did not take. Per case:
#   good            control: assembles, no message
#   slot0 / slot1   one copy damaged (a flipped bit in its table): the
#                   namespace comes up from the other copy, and assemble
#                   names the damaged slot and the copy used
#   both            slot 0 without magic, slot 1 damaged: not assembled,
#                   both problems named; claim refused
#   checksum        the checksum field wrong in both copies: "checksum ...
#                   does not match computed ..."
#   outside         entry 0 ends beyond the region, both copies re-sealed
#                   (checksum right): the layout check names it; claim
#                   refused ("already holds a devmem layout")
#   overlap         entry 1 moved onto entry 0, re-sealed: "overlaps";
#                   claim refused
#   major           slots of major version 3, re-sealed: "layout version 3.0
#                   is not supported"
#   anchor0         anchor copy 0 damaged: assembles from copy 1, assemble
#                   is silent about it, check names it (repairable)
#   v1              the layout rewritten by the host as the 1.0 format
#                   (slots at offsets 0 and 0x10000, no anchor): assembles,
#                   and check is clean (1.x layouts are still read)
#   foreign-pfn/dax blank devmem area with a stock nvdimm pfn / device-dax
#                   info block signature at 0x1000: assemble leaves it
#                   alone, claim names what it found
# and every image is byte-identical after boot 2 (nothing written without
# --force). assemble exits non-zero (some regions are refused).
# Boot 2 also runs devmemctl check --json over every region with devmem
# metadata (read-only, a refused region through a temporary claim): it
# must name the damaged copy (slot, code, "repairable from slot N" only
# where a good copy exists) or the bad entry (index), and a plain check of
# a foreign region must say it holds no devmem metadata. Boot 3 runs check
# --repair, then check: slot0/slot1 come back clean (both slots rewritten
# from the good copy; anchor0: the anchor too), every other case keeps its
# findings and its image byte-identical; the repaired ones change inside
# the metadata (anchor page and slots) only.
. "$(dirname "$0")/testlib.sh"
require_build

SIZE=$((16 << 20))
kinds=(good slot0 slot1 both checksum outside overlap major foreign-pfn foreign-dax anchor0 v1)
out="$WORK/out"
mkdir -p "$out"
dimms=()
for i in "${!kinds[@]}"; do
	addr=$(printf '0x%x' $((0x100000000 + i * SIZE)))
	echo "$i ${kinds[$i]} $addr" >>"$out/plan"
	dimms+=(--nvdimm "$WORK/nv$i.img,size=$SIZE,addr=$addr")
done

step "1. lay out one DIMM per case"
vm setup --shared "$out" "${dimms[@]}" -- tests/vm/guest/corrupt.sh setup "$out"

step "2. corrupt the images on the host"
# edit IMG KIND: the metadata edits; re-seal = recompute the Fletcher-64
python3 - "$WORK" "${kinds[@]}" <<'EOF'
import struct, sys
work, kinds = sys.argv[1], sys.argv[2:]
SLOT, HDR, ENT = 0x10000, 0x1000, 128

def fletcher64(b):
    lo = hi = 0
    for (w,) in struct.iter_unpack('<I', b):
        lo = (lo + w) & 0xffffffff
        hi = (hi + lo) & 0xffffffff
    return hi << 32 | lo

def reseal(m, s):
    m[s + 32:s + 40] = bytes(8)
    m[s + 32:s + 40] = struct.pack('<Q', fletcher64(bytes(m[s:s + SLOT])))

def u64(m, off, v=None):
    if v is None:
        return struct.unpack_from('<Q', m, off)[0]
    struct.pack_into('<Q', m, off, v)

for i, kind in enumerate(kinds):
    path = f'{work}/nv{i}.img'
    with open(path, 'r+b') as f:
        m = bytearray(f.read())
        base = 0
        if not kind.startswith('foreign'):
            assert m[0:13] == b'DEVMEM_REGION' and m[16] == 2, kind
            base = u64(m, 56)                    # the anchor's slots offset
            with open(f'{path}.slots', 'w') as o:
                o.write(f'{base}\n')
        s0, s1 = base, base + SLOT
        e0, e1 = HDR, HDR + ENT
        if kind == 'slot0':
            m[s0 + e0 + 100] ^= 0x10             # slot 0, entry 0 size
        elif kind == 'slot1':
            m[s1 + e0 + 100] ^= 0x10
        elif kind == 'both':
            m[s0:s0 + 16] = b'XXXXXXXXXXXXXXXX'  # slot 0: magic gone
            m[s1 + e0 + 20] ^= 0x01              # slot 1: name bit
        elif kind == 'checksum':
            for s in (s0, s1):
                u64(m, s + 32, u64(m, s + 32) ^ 1)
        elif kind == 'outside':
            for s in (s0, s1):
                u64(m, s + e0 + 96, 0x4000000)   # size 64 MiB
                reseal(m, s)
        elif kind == 'overlap':
            for s in (s0, s1):
                m[s + e1 + 80:s + e1 + 104] = m[s + e0 + 80:s + e0 + 104]
                reseal(m, s)
        elif kind == 'major':
            for s in (s0, s1):
                struct.pack_into('<II', m, s + 16, 3, 0)  # 3.0
                reseal(m, s)
        elif kind == 'anchor0':
            m[40] ^= 0x01                        # copy 0: region uuid bit
        elif kind == 'v1':
            # the 1.0 format: the same slots at 0 and 0x10000, major 1,
            # no slots offset field; no anchor, nothing at the tail
            for k, s in enumerate((s0, s1)):
                slot = bytearray(m[s:s + SLOT])
                struct.pack_into('<II', slot, 16, 1, 0)  # 1.0
                slot[92:100] = bytes(8)
                m[s:s + SLOT] = bytes(SLOT)
                m[k * SLOT:(k + 1) * SLOT] = slot
                reseal(m, k * SLOT)
        elif kind == 'foreign-pfn':
            m[0x1000:0x1010] = b'NVDIMM_PFN_INFO\0'
        elif kind == 'foreign-dax':
            m[0x1000:0x1010] = b'NVDIMM_DAX_INFO\0'
        f.seek(0)
        f.write(m)
EOF
before=$(cd "$WORK" && sha256sum nv*.img)
# data_sum IMG: sha256 of the image without its metadata (the 4 KiB anchor
# page and the 128 KiB of slots; the first 128 KiB for a 1.0 layout)
data_sum() {
	python3 - "$1" <<'EOF'
import hashlib, os, sys
p = sys.argv[1]
m = bytearray(open(p, 'rb').read())
base = int(open(p + '.slots').read()) if os.path.exists(p + '.slots') else 0
for lo, hi in ((0, 0x20000 if m[16] == 1 else 0x1000), (base, base + 0x20000)):
    m[lo:hi] = bytes(hi - lo)
print(hashlib.sha256(m).hexdigest())
EOF
}
for i in "${!kinds[@]}"; do data_sum "$WORK/nv$i.img" >"$WORK/nv$i.img.data"; done

step "3. boot: assemble, list, claim what did not come up"
vm verify --shared "$out" "${dimms[@]}" -- tests/vm/guest/corrupt.sh verify "$out"
cat "$out/assemble.err"
[ "$(cat "$out/assemble.rc")" != 0 ] || fail "assemble succeeded over corrupt regions"

step "4. each case: the right namespaces, the right sentence"
region() { awk -v i="$1" '$1 == i { print $2 }' "$out/regions"; }
up() { jq -e --arg n "$1" 'map(select(.name == $n and .state == "active")) | length == 1' "$out/list.json" >/dev/null; }
says() { # I TEXT: assemble's stderr has TEXT on a line naming I's region
	local r
	r=$(region "$1")
	grep -F -- "$r: " "$out/assemble.err" | grep -qF -- "$2" ||
		fail "case ${kinds[$1]} ($r): assemble does not say '$2'"
}
silent() {
	local r
	r=$(region "$1")
	! grep -qE -- "$r(:| )" "$out/assemble.err" ||
		fail "case ${kinds[$1]} ($r): assemble has something to say: $(grep -E -- "$r(:| )" "$out/assemble.err")"
}
refused() { # I TEXT: a plain claim was refused and named TEXT
	[ "$(cat "$out/claim-$1.rc" 2>/dev/null)" = 1 ] ||
		fail "case ${kinds[$1]}: claim without --force was not refused"
	grep -qF -- "$2" "$out/claim-$1.err" ||
		fail "case ${kinds[$1]}: claim does not say '$2': $(cat "$out/claim-$1.err")"
	echo "  claim: $(grep -F -- "$(region "$1"): " "$out/claim-$1.err" | grep -F -- "$2")"
}
for i in "${!kinds[@]}"; do
	kind=${kinds[$i]}
	echo "-- $kind ($(region "$i"))"
	case $kind in
	good)
		up "c$i" || fail "good: c$i is not active"
		silent "$i" ;;
	slot0)
		up "c$i" || fail "slot0: c$i did not come up from slot 1"
		says "$i" "slot 0: checksum 0x"
		says "$i" "using slot 1 (generation" ;;
	slot1)
		up "c$i" || fail "slot1: c$i did not come up from slot 0"
		says "$i" "slot 1: checksum 0x"
		says "$i" "using slot 0 (generation" ;;
	both)
		! up "c$i" || fail "both: c$i came up from nowhere"
		says "$i" "no valid metadata copy"
		says "$i" "slot 0: no devmem magic"
		says "$i" "slot 1: checksum 0x"
		refused "$i" "no valid metadata copy" ;;
	checksum)
		! up "c$i" || fail "checksum: c$i came up"
		says "$i" "does not match computed 0x"
		refused "$i" "does not match computed 0x" ;;
	outside)
		! up "c$i" || fail "outside: c$i came up"
		says "$i" "namespace 0: data [0x"
		says "$i" "ends beyond"
		# claim points back at assemble (check/--repair will do better)
		refused "$i" "already holds a devmem layout" ;;
	overlap)
		! up "c$i" && ! up "d$i" || fail "overlap: a namespace came up"
		says "$i" ": reservation [0x"
		says "$i" "overlaps namespace"
		refused "$i" "already holds a devmem layout" ;;
	major)
		! up "c$i" || fail "major: c$i came up"
		says "$i" "layout version 3.0 is not supported (this library reads 1.x and 2.x)"
		refused "$i" "layout version 3.0 is not supported" ;;
	anchor0 | v1)
		up "c$i" || fail "$kind: c$i is not active"
		silent "$i" ;;
	foreign-pfn)
		silent "$i"
		refused "$i" "found an nvdimm pfn info block (ndctl fsdax/sector namespace) at offset 0x1000" ;;
	foreign-dax)
		silent "$i"
		refused "$i" "found an nvdimm device-dax info block (ndctl devdax namespace) at offset 0x1000" ;;
	esac
	grep -E -- "$(region "$i")(:| )" "$out/assemble.err" | sed 's/^/  assemble: /' || true
done

step "5. nothing written: every image byte-identical"
after=$(cd "$WORK" && sha256sum nv*.img)
[ "$before" = "$after" ] || fail "images changed: $(diff <(echo "$before") <(echo "$after"))"

step "6. check (read-only, same boot): the damaged copy or entry named"
jq -e 'type == "array"' "$out/check.json" >/dev/null || fail "check --json: $(cat "$out/check.json" "$out/check.err")"
[ "$(cat "$out/check.rc")" = 1 ] || fail "check exited $(cat "$out/check.rc") over corrupt regions, not 1"
# errs FILE I: the error findings of I's region, one JSON array
errs() { jq -c --arg r "$(region "$2")" '[.[] | select(.region == $r and .severity == "error")]' "$1"; }
expect() { # I JQ-TEST [FILE]: the test holds for I's error findings
	local e
	e=$(errs "${3:-$out/check.json}" "$1")
	jq -e "$2" <<<"$e" >/dev/null || fail "case ${kinds[$1]}: check findings fail '$2': $e"
}
for i in "${!kinds[@]}"; do
	kind=${kinds[$i]}
	case $kind in
	good) expect "$i" 'length == 0' ;;
	slot0 | slot1)
		k=${kind#slot} o=$((1 - ${kind#slot}))
		expect "$i" "length == 1 and .[0].slot == $k and .[0].code == \"slot-checksum\" and .[0].repairable and
			(.[0].message | contains(\"slot $k: checksum 0x\") and contains(\"repairable from slot $o\"))" ;;
	both)
		expect "$i" 'any(.[]; .slot == 0 and .code == "slot-foreign") and
			any(.[]; .slot == 1 and .code == "slot-checksum") and
			any(.[]; .code == "meta-corrupt") and all(.[]; .repairable | not)' ;;
	checksum)
		expect "$i" '[.[] | select(.code == "slot-checksum") | .slot] == [0, 1] and
			all(.[]; .message | contains("does not match computed 0x") or contains("no valid metadata copy")) and
			any(.[]; .code == "meta-corrupt") and all(.[]; .repairable | not)' ;;
	outside)
		expect "$i" 'length >= 1 and all(.[]; .code == "layout" and (.repairable | not)) and
			any(.[]; .index == 0 and (.message | contains("ends beyond")))' ;;
	overlap)
		expect "$i" 'length >= 1 and all(.[]; .code == "layout" and (.repairable | not)) and
			any(.[]; (.index | type) == "number" and (.message | contains("overlaps namespace")))' ;;
	major)
		expect "$i" '[.[] | select(.code == "slot-unsupported") | .slot] == [0, 1] and
			all(.[] | select(.code == "slot-unsupported"); .message | contains("layout version 3.0 is not supported")) and
			all(.[]; .code == "slot-unsupported" or .code == "meta-corrupt") and
			all(.[]; .repairable | not)' ;;
	anchor0)
		expect "$i" 'length == 1 and .[0].code == "anchor-copy" and .[0].repairable and
			(.[0].message | contains("anchor copy 0: checksum 0x") and contains("repairable from anchor copy 1"))' ;;
	v1)
		expect "$i" 'length == 0'
		jq -e --arg r "$(region "$i")" 'any(.[]; .region == $r and .code == "slot-valid" and (.message | contains("layout version 1.0")))' \
			"$out/check.json" >/dev/null || fail "case v1: check does not report a 1.0 layout" ;;
	foreign-*)
		[ "$(cat "$out/check-$i.rc")" = 1 ] || fail "case $kind: check exited $(cat "$out/check-$i.rc"), not 1"
		grep -qF "holds no devmem metadata: " "$out/check-$i.err" && grep -qF "info block" "$out/check-$i.err" ||
			fail "case $kind: check does not say what it found: $(cat "$out/check-$i.err")"
		echo "-- $kind: $(grep -F "$(region "$i"): " "$out/check-$i.err")"
		continue ;;
	esac
	echo "-- $kind: $(errs "$out/check.json" "$i" | jq -r 'if length == 0 then "clean" else map("\(.code)\(if .slot then " slot \(.slot)" else "" end)\(if .index then " entry \(.index)" else "" end)\(if .repairable then " (repairable)" else "" end)") | join(", ") end')"
done

step "7. boot: check --repair, then check"
vm repair --shared "$out" "${dimms[@]}" -- tests/vm/guest/corrupt.sh repair "$out"
[ "$(cat "$out/repair.rc")" = 1 ] || fail "check --repair exited $(cat "$out/repair.rc"): the other cases keep findings, 1 expected"
repaired=$(cd "$WORK" && sha256sum nv*.img)
for i in "${!kinds[@]}"; do
	kind=${kinds[$i]}
	img="nv$i.img"
	case $kind in
	slot0 | slot1 | anchor0)
		jq -e --arg r "$(region "$i")" '[.[] | select(.region == $r and .severity == "repaired")] | length == 1' "$out/repair.json" >/dev/null ||
			fail "case $kind: not repaired: $(cat "$out/repair.json" "$out/repair.err")"
		expect "$i" 'length == 0' "$out/repair.json"
		expect "$i" 'length == 0' "$out/check2.json"
		[ "$(grep " $img\$" <<<"$before")" != "$(grep " $img\$" <<<"$repaired")" ] || fail "case $kind: image unchanged by the repair"
		[ "$(data_sum "$WORK/$img")" = "$(cat "$WORK/$img.data")" ] ||
			fail "case $kind: the repair wrote outside the metadata"
		echo "-- $kind: repaired, then clean" ;;
	*)
		jq -e --arg r "$(region "$i")" 'all(.[]; .region != $r or .severity != "repaired")' "$out/repair.json" >/dev/null ||
			fail "case $kind: something was repaired: $(cat "$out/repair.json")"
		[ "$(grep " $img\$" <<<"$before")" = "$(grep " $img\$" <<<"$repaired")" ] || fail "case $kind: --repair wrote to the image"
		case $kind in foreign-*) ;; *)
			[ "$(errs "$out/check2.json" "$i")" = "$(errs "$out/check.json" "$i")" ] ||
				fail "case $kind: findings changed: $(errs "$out/check2.json" "$i")" ;;
		esac
		echo "-- $kind: nothing written, same findings" ;;
	esac
done
echo PASS
