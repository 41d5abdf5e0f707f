#!/bin/bash
# Guest side of tests/vm/reboot-matrix, one boot of one batch.
#   matrix.sh create DIR BOOT   make the namespaces, fill them, record them
#   matrix.sh verify DIR BOOT   find them again, compare identity and data
# DIR is the batch directory (shared with the host). DIR/BOOT.dimms names
# this boot's DIMMs, one per line: SIDE TAG ADDR, SIDE = stock (ndctl
# create-namespace -m devdax) or devmem (devmemctl), ADDR the DIMM's
# physical start (regions are found by address: kernel region numbers do
# not follow DIMM order). A DIMM of another SIDE (e.g. "blank") is left
# alone.
#
# Every DIMM gets the same kinds of namespace (KINDS below); "shared" is
# three namespaces of sizes that are not 2 MiB multiples, created back to
# back, so each boundary falls inside a sub-section next to the neighbour.
# The stock stack may refuse those sizes: that is recorded, not an error.
#
# create writes DIR/created, one line per namespace:
#   TAG SIDE KIND MEMBER NAME UUID SIZE LEN SHA256 CHARDEV MAP ALIGN OFFSET
# (LEN bytes of random data were written through daxio; NAME is "-" on the
# stock side, which is found by UUID), and DIR/notcreated: TAG SIDE KIND MSG.
# verify writes DIR/BOOT.results, one line per TAG SIDE KIND:
#   TAG SIDE KIND SURVIVED DATA NOTE
# SURVIVED yes = every member is back with the same uuid, size (and for
# devmem name, map, align, offset, /dev/daxN.M), active, its chardev there;
# DATA yes = every member reads back to the recorded sha256.
# Exit status: 0 unless the script itself could not do its job (a devmem
# create failing, a DIMM not found); losses are results, not errors.
set -uo pipefail
phase=$1 dir=$2 boot=$3
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
MAXLEN=$((8 << 20))
KINDS="2M-dev 4K-dev 2M-mem 4K-mem shared"
uname -r >"$dir/kernel"

members() { # KIND: "MEMBER ALIGN MAP SIZE" per namespace of that kind
	case $1 in
	shared)
		echo "s1 4K mem $((10 * 1048576 + 4096))"
		echo "s2 4K dev $((6 * 1048576 + 12288))"
		echo "s3 4K mem $((4 * 1048576 + 8192))"
		;;
	*) echo "ns ${1%-*} ${1#*-} $((32 << 20))" ;;
	esac
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# fill CHARDEV LEN: random data through daxio, prints its sha256
fill() {
	head -c "$2" /dev/urandom >/tmp/data
	daxio -i /tmp/data -o "/dev/$1" -l "$2" >/dev/null 2>>"$dir/$boot.log" || return 1
	sha /tmp/data
}

create_stock() { # TAG REGION
	local tag=$1 r=$2 kind m a map size j uuid chardev usable len sum
	ndctl disable-region "$r" >/dev/null 2>&1
	ndctl init-labels "$(ndctl list -D -r "$r" | jq -r '.[0].dev')" >/dev/null 2>&1
	ndctl enable-region "$r" >/dev/null 2>&1
	for kind in $KINDS; do
		while read -r m a map size; do
			if ! j=$(ndctl create-namespace -r "$r" -m devdax -a "$a" -M "$map" -s "$size" 2>/tmp/err); then
				echo "$tag stock $kind $m: $(tr '\n' ' ' </tmp/err)" >>"$dir/notcreated"
				continue
			fi
			uuid=$(jq -r .uuid <<<"$j")
			chardev=$(jq -r '.daxregion.devices[0].chardev' <<<"$j")
			usable=$(jq -r '.daxregion.devices[0].size' <<<"$j")
			size=$(jq -r .size <<<"$j")
			len=$((usable < MAXLEN ? usable : MAXLEN))
			sum=$(fill "$chardev" "$len") || { echo "$tag stock $kind $m: daxio write failed" >>"$dir/notcreated"; continue; }
			echo "$tag stock $kind $m - $uuid $size $len $sum $chardev $map $a -" >>"$dir/created"
		done < <(members "$kind")
	done
}

create_devmem() { # TAG REGION
	local tag=$1 r=$2 kind m a map size j name len sum
	devmemctl claim "$r" >/dev/null || return 1
	for kind in $KINDS; do
		while read -r m a map size; do
			name=$tag-${kind%-*}${kind#*-}-$m
			[ "$kind" = shared ] && name=$tag-$m
			j=$(devmemctl create-namespace -r "$r" -a "$a" -M "$map" -s "$size" -n "$name") || return 1
			len=$((size < MAXLEN ? size : MAXLEN))
			sum=$(fill "$(jq -r .chardev <<<"$j")" "$len") || return 1
			echo "$tag devmem $kind $m $name $(jq -r '[.uuid, .size] | join(" ")' <<<"$j") $len $sum $(jq -r '[.chardev, .map, .align, .offset] | map(tostring) | join(" ")' <<<"$j")" >>"$dir/created"
		done < <(members "$kind")
	done
	# the shared kind really is back to back with boundaries off 2 MiB
	devmemctl list -N | jq -r --arg t "$tag-" '[.[] | select(.name | startswith($t + "s"))] | sort_by(.offset) | .[] | "\(.name) offset=\(.offset) size=\(.size) end=\(.offset + .size) end%2M=\((.offset + .size) % 2097152)"' >>"$dir/shared-layout"
}

if [ "$phase" = create ]; then
	: >"$dir/created"
	: >"$dir/notcreated"
	while read -r side tag addr; do
		[ "$side" = stock ] || [ "$side" = devmem ] || continue
		r=$(vm_region_at "$addr") || exit 1
		if [ "$side" = stock ]; then
			create_stock "$tag" "$r"
		else
			create_devmem "$tag" "$r" || { echo "devmem create on $r ($tag) failed" >&2; exit 1; }
		fi
	done <"$dir/$boot.dimms"
	awk '{ print $1, $2, $3, $4, $5, $7, $8, $10 }' "$dir/created"
	cat "$dir/notcreated" "$dir/shared-layout" 2>/dev/null
	exit 0
fi

# verify
: >"$dir/$boot.results"
devmemctl assemble >"$dir/$boot-assemble.json" 2>"$dir/$boot-assemble.err"
echo "devmemctl assemble: exit $?, $(jq length "$dir/$boot-assemble.json" 2>/dev/null) namespaces"
sed 's/^/  /' "$dir/$boot-assemble.err"
devmemctl list -N >"$dir/$boot-devmem.json" 2>>"$dir/$boot.log" || echo '[]' >"$dir/$boot-devmem.json"
ndctl list -N >"$dir/$boot-stock.json" 2>>"$dir/$boot.log"
[ -s "$dir/$boot-stock.json" ] || echo '[]' >"$dir/$boot-stock.json"
jq 'if type == "object" then [.] else . end' "$dir/$boot-stock.json" >/tmp/stock.json
# with -i: also the namespaces that are there but not enabled
ndctl list -N -i 2>>"$dir/$boot.log" | jq 'if type == "object" then [.] else . end' >/tmp/stock-idle.json ||
	echo '[]' >/tmp/stock-idle.json
cp /tmp/stock-idle.json "$dir/$boot-stock-idle.json"
{ dmesg | grep -E 'bad offset|probe of namespace.* failed|misaligned' || true; } |
	sed 's/^\[[ 0-9.]*\] */kernel: /' | sort | uniq -c | sed 's/^ */  /'

# check_member: one line of created -> prints "SURVIVED DATA NOTE"
check_member() {
	local tag=$1 side=$2 m=$4 name=$5 uuid=$6 size=$7 len=$8 sum=$9 chardev=${10}
	local map=${11} align=${12} offset=${13} q now f got
	if [ "$side" = devmem ]; then
		q=".[] | select(.name == \"$name\")"
		now=$(jq -c "$q" "$dir/$boot-devmem.json")
		[ -n "$now" ] || { echo "no - $m:not-listed"; return; }
		for f in uuid size map align offset chardev; do
			got=$(jq -r ".$f | tostring" <<<"$now")
			case $f in
			uuid) want=$uuid ;; size) want=$size ;; map) want=$map ;;
			align) want=$align ;; offset) want=$offset ;; chardev) want=$chardev ;;
			esac
			[ "$got" = "$want" ] || { echo "no - $m:$f-was-$want-now-$got"; return; }
		done
		[ "$(jq -r .state <<<"$now")" = active ] || { echo "no - $m:state-$(jq -r .state <<<"$now")"; return; }
	else
		q=".[] | select(.uuid == \"$uuid\")"
		now=$(jq -c "$q" /tmp/stock.json)
		if [ -z "$now" ]; then
			# not enabled: is it still listed (idle), or not there at all?
			now=$(jq -r "$q | \"idle-mode-\(.mode // \"none\")-size-\(.size)\"" /tmp/stock-idle.json | head -n 1)
			echo "no - $m:${now:-namespace-gone}"
			return
		fi
		[ "$(jq -r .mode <<<"$now")" = devdax ] || { echo "no - $m:mode-$(jq -r .mode <<<"$now")"; return; }
		got=$(jq -r .size <<<"$now")
		[ "$got" = "$size" ] || { echo "no - $m:size-was-$size-now-$got"; return; }
		chardev=$(jq -r '.chardev // .daxregion.devices[0].chardev // "none"' <<<"$now")
	fi
	[ -c "/dev/$chardev" ] || { echo "no - $m:no-/dev/$chardev"; return; }
	rm -f /tmp/back
	if ! daxio -i "/dev/$chardev" -o /tmp/back -l "$len" >/dev/null 2>>"$dir/$boot.log"; then
		echo "yes no $m:daxio-read-failed"
		return
	fi
	[ "$(sha /tmp/back)" = "$sum" ] || { echo "yes no $m:sha256-differs"; return; }
	echo "yes yes -"
}

declare -A here
while read -r side tag addr; do here[$tag.$side]=$addr; done <"$dir/$boot.dimms"
while read -r tag side kind; do
	[ -n "${here[$tag.$side]:-}" ] || continue
	surv=yes data=yes note=
	while read -r line; do
		# shellcheck disable=SC2086
		read -r s d n <<<"$(check_member $line)"
		[ "$s" = yes ] || surv=no
		[ "$d" = yes ] || data=no
		[ "$n" = - ] || note+="$n,"
	done < <(awk -v t="$tag" -v s="$side" -v k="$kind" '$1 == t && $2 == s && $3 == k' "$dir/created")
	[ "$surv" = no ] && data=-
	echo "$tag $side $kind $surv $data ${note:--}" | tee -a "$dir/$boot.results"
done < <(awk '{ print $1, $2, $3 }' "$dir/created" | uniq)
exit 0
