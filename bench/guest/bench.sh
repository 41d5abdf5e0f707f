#!/bin/bash
# Guest side of bench/run: devmem and the stock nvdimm stack side by side in
# one VM, interleaved (stock, devmem, stock, devmem, ...).
# $1 = output dir, $2 = stock DIMM address (labelled), $3 = devmem DIMM
# address (label-less), $4 = reps, $5 = sizes in MiB (space separated),
# $6 = namespace counts for the metadata scale, $7 = parts (bringup dax
# meta; space separated).
# Writes $1/results.tsv: section case side rep metric value.
set -Eeuo pipefail
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
# ndax N: how many devices /sys/bus/dax/devices/daxN.* there are (0 when
# none, without a failing ls in a pipeline setting off the ERR trap)
ndax() {
	local d=(/sys/bus/dax/devices/dax"$1".*)
	if [ -e "${d[0]}" ]; then echo "${#d[@]}"; else echo 0; fi
}
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
out=$1 reps=$4 sizes=$5 counts=$6 parts=$7
S=$(vm_region_at "$2")
D=$(vm_region_at "$3")
T=bench/bench-tool
res=$out/results.tsv
: >"$res"
rec() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$res"; }
us() { echo "${EPOCHREALTIME/./}"; } # microseconds
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
# slab: "MemFree Slab" in KiB, after dropping what can be dropped
memsnap() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	echo "$(meminfo MemFree) $(meminfo Slab)"
}

ndctl disable-region "$S" >/dev/null
ndctl init-labels "$(ndctl list -D -r "$S" | jq -r '.[0].dev')" >/dev/null
ndctl enable-region "$S" >/dev/null
devmemctl claim "$D" >/dev/null
echo "stock region $S, devmem region $D"

# stock_ns JSON -> "namespaceX.Y daxN.M"
stock_ids() { jq -r '"\(.dev) \(.daxregion.devices[0].chardev)"' <<<"$1"; }
dm_chardev() { devmemctl list -n "$1" | jq -r '.[0].chardev'; }
dm_region_id() { local c=${1#dax}; echo $((${c%.*} - 100)); }

# memory: first, on untouched regions. The kernel keeps the vmemmap of a
# range populated after the namespace is gone (a second create over the same
# physical range costs no RAM), so every case gets its own range: all stay
# until the end of the part. 1 GiB each: map=mem -a 2M, map=mem -a 4K,
# map=dev -a 2M; stock then devmem per case.
if [[ " $parts " == *" memory "* ]]; then
	sdel=() ddel=()
	for c in mem.2M mem.4K dev.2M; do
		m=${c%.*} a=${c#*.}
		read -r f0 s0 < <(memsnap)
		j=$(ndctl create-namespace -r "$S" -m devdax -M "$m" -a "$a" -s 1G)
		read -r f1 s1 < <(memsnap)
		read -r ns sdax < <(stock_ids "$j")
		sdel+=("$ns")
		use=$(cat "/sys/bus/dax/devices/$sdax/size")
		rec memory "$c" stock 1 memfree_kib $((f0 - f1))
		rec memory "$c" stock 1 slab_kib $((s1 - s0))
		rec memory "$c" stock 1 usable_bytes "$use"
		read -r f0 s0 < <(memsnap)
		devmemctl create-namespace -r "$D" -M "$m" -a "$a" -s "$use" -n "mm$m$a" >/dev/null
		read -r f1 s1 < <(memsnap)
		ddel+=("mm$m$a")
		rec memory "$c" devmem 1 memfree_kib $((f0 - f1))
		rec memory "$c" devmem 1 slab_kib $((s1 - s0))
		rec memory "$c" devmem 1 usable_bytes "$use"
	done
	for ns in "${sdel[@]}"; do ndctl destroy-namespace -f "$ns" >/dev/null; done
	devmemctl destroy-namespace -f "${ddel[@]}" >/dev/null
	echo "memory done"
fi

# the order of the two sides alternates with the repetition (odd: stock
# first, even: devmem first), so that what one side leaves behind (host
# page cache, dirty pages of the DIMM files) does not always hit the same side
order() { if [ $(($1 % 2)) = 1 ]; then echo stock devmem; else echo devmem stock; fi; }

# bring-up, one side: create (timed), then the re-up (timed)
bringup_stock() { # SIZE_MIB MAP CASE REP
	local j t0 t1
	t0=$(us)
	j=$(ndctl create-namespace -r "$S" -m devdax -M "$2" -a 2M -s "$1M")
	t1=$(us)
	read -r ns sdax < <(stock_ids "$j")
	rec bringup "$3" stock "$4" create_us $((t1 - t0))
	ndctl disable-namespace "$ns" >/dev/null
	t0=$(us)
	ndctl enable-namespace "$ns" >/dev/null
	t1=$(us)
	rec bringup "$3" stock "$4" reup_us $((t1 - t0))
}
bringup_devmem() { # USABLE_BYTES MAP CASE REP
	local t0 t1 dax
	t0=$(us)
	devmemctl create-namespace -r "$D" -M "$2" -a 2M -s "$1" -n b >/dev/null
	t1=$(us)
	rec bringup "$3" devmem "$4" create_us $((t1 - t0))
	dax=$(dm_chardev b)
	$T unmap "$(dm_region_id "$dax")" 0
	[ ! -e "/dev/$dax" ]
	t0=$(us)
	devmemctl assemble >/dev/null
	t1=$(us)
	[ -e "/dev/$dax" ]
	rec bringup "$3" devmem "$4" reup_us $((t1 - t0))
}
if [[ " $parts " == *" bringup "* ]]; then
	# devmem is asked for the usable bytes the stock namespace of each size
	# and map gets: learnt once, before the timed runs
	declare -A USE
	for s in $sizes; do
		for m in dev mem; do
			j=$(ndctl create-namespace -r "$S" -m devdax -M "$m" -a 2M -s "${s}M")
			read -r ns sdax < <(stock_ids "$j")
			USE[$s.$m]=$(cat "/sys/bus/dax/devices/$sdax/size")
			ndctl destroy-namespace -f "$ns" >/dev/null
		done
	done
	for rep in $(seq 1 "$reps"); do
		for s in $sizes; do
			for m in dev mem; do
				c="${s}M.$m"
				for side in $(order "$rep"); do
					if [ "$side" = stock ]; then
						bringup_stock "$s" "$m" "$c" "$rep"
					else
						bringup_devmem "${USE[$s.$m]}" "$m" "$c" "$rep"
					fi
				done
				ndctl destroy-namespace -f "$ns" >/dev/null
				devmemctl destroy-namespace -f b >/dev/null
				echo "bringup rep $rep $c done"
			done
		done
	done
fi

# fio: rw bs -> "bw_KiB/s iops" (terse v3: read 7,8; write 48,49)
fio_one() {
	local dev=$1 rw=$2 bs=$3 l
	l=$(fio --name=b --ioengine=dev-dax --filename="$dev" --rw="$rw" --bs="$bs" \
		--size=256M --runtime=3 --time_based --output-format=terse --terse-version=3)
	case $rw in
	*read) awk -F';' '{ print $7, $8 }' <<<"$l" ;;
	*) awk -F';' '{ print $48, $49 }' <<<"$l" ;;
	esac
}
if [[ " $parts " == *" dax "* ]]; then
	for a in 2M 4K; do
		j=$(ndctl create-namespace -r "$S" -m devdax -M dev -a "$a" -s 512M)
		read -r ns sdax < <(stock_ids "$j")
		devmemctl create-namespace -r "$D" -M dev -a "$a" -s "$(cat "/sys/bus/dax/devices/$sdax/size")" -n d >/dev/null
		ddax=$(dm_chardev d)
		echo "dax $a: stock $sdax ($(cat "/sys/bus/dax/devices/$sdax/size")) devmem $ddax ($(cat "/sys/bus/dax/devices/$ddax/size"))"
		for rep in $(seq 1 "$reps"); do
			for side in $(order "$rep"); do
				if [ $side = stock ]; then dax=$sdax; else dax=$ddax; fi
				read -r pages flt secs pps fps < <($T touch "/dev/$dax" $((256 << 20)))
				rec fault "$a" $side "$rep" pages_per_s "$pps"
				rec fault "$a" $side "$rep" faults_per_s "$fps"
				rec fault "$a" $side "$rep" faults "$flt"
				rec fault "$a" $side "$rep" pages "$pages"
				: "$secs"
			done
			for w in read:2M write:2M randread:4k randwrite:4k; do
				for side in $(order "$rep"); do
					if [ $side = stock ]; then dax=$sdax; else dax=$ddax; fi
					read -r bw iops < <(fio_one "/dev/$dax" "${w%:*}" "${w#*:}")
					rec fio "$a.${w/:/.}" $side "$rep" bw_kib "$bw"
					rec fio "$a.${w/:/.}" $side "$rep" iops "$iops"
				done
			done
			echo "dax $a rep $rep done"
		done
		ndctl destroy-namespace -f "$ns" >/dev/null
		devmemctl destroy-namespace -f d >/dev/null
	done
fi

# metadata scale and kernel memory per namespace, both sides: N namespaces
# of 16 MiB (-M mem -a 4K; devmem gets the stock namespace's usable bytes)
# in one region each, created once, N growing. Timed: stock `ndctl list -N`
# vs `devmemctl list`; stock `ndctl disable-namespace all` then (timed)
# `ndctl enable-namespace all` (every namespace probed again) vs devmem
# (all N unmapped with the raw ioctl) `devmemctl assemble`. Kernel memory:
# SUnreclaim / Slab from /proc/meminfo and /proc/slabinfo around each side's
# creations (its own phases only), cumulative since N = 0.
slabinfo() { # "cache bytes" (active objects x object size)
	awk 'NR > 2 { print $1, $2 * $4 }' /proc/slabinfo
}
kmemsnap() { # "SUnreclaim Slab" KiB, after dropping what can be dropped
	sync
	echo 3 >/proc/sys/vm/drop_caches
	echo "$(meminfo SUnreclaim) $(meminfo Slab)"
}
declare -A SLABCUM
slabdelta() { # SIDE BEFORE_FILE AFTER_FILE: add per-cache deltas to SLABCUM
	local c b
	while read -r c b; do
		SLABCUM[$1.$c]=$((${SLABCUM[$1.$c]:-0} + b))
	done < <(awk 'FNR == NR { a[$1] = $2; next } { d = $2 - a[$1]; if (d) print $1, d }' "$2" "$3")
}
if [[ " $parts " == *" meta "* ]]; then
	j=$(ndctl create-namespace -r "$S" -m devdax -M mem -a 4K -s 16M)
	read -r ns sdax < <(stock_ids "$j")
	muse=$(cat "/sys/bus/dax/devices/$sdax/size")
	ndctl destroy-namespace -f "$ns" >/dev/null
	sid=$(ndctl list -R -r "$S" | jq -r '.[0].dev' | tr -dc 0-9)
	echo "meta: stock namespaces of 16 MiB give $muse usable bytes"
	shave=0 dhave=0 sunr=0 sslab=0 dunr=0 dslab=0
	for n in $counts; do
		read -r u0 l0 < <(kmemsnap)
		slabinfo >"$out/slab.before"
		while [ "$shave" -lt "$n" ]; do
			if ! ndctl create-namespace -r "$S" -m devdax -M mem -a 4K -s 16M >/dev/null; then
				ndctl list -Rv -r "$S" >"$out/stock-create-failed.json" 2>&1 || true
				echo "meta: stock create number $((shave + 1)) failed; region state in $out/stock-create-failed.json" >&2
				false
			fi
			shave=$((shave + 1))
		done
		read -r u1 l1 < <(kmemsnap)
		slabinfo >"$out/slab.after"
		slabdelta stock "$out/slab.before" "$out/slab.after"
		sunr=$((sunr + u1 - u0)) sslab=$((sslab + l1 - l0))
		read -r u0 l0 < <(kmemsnap)
		slabinfo >"$out/slab.before"
		while [ "$dhave" -lt "$n" ]; do
			devmemctl create-namespace -r "$D" -M mem -a 4K -s "$muse" -n "m$dhave" >/dev/null
			dhave=$((dhave + 1))
		done
		read -r u1 l1 < <(kmemsnap)
		slabinfo >"$out/slab.after"
		slabdelta devmem "$out/slab.before" "$out/slab.after"
		dunr=$((dunr + u1 - u0)) dslab=$((dslab + l1 - l0))
		rec kmem "$n" stock 1 sunreclaim_kib "$sunr"
		rec kmem "$n" stock 1 slab_kib "$sslab"
		rec kmem "$n" devmem 1 sunreclaim_kib "$dunr"
		rec kmem "$n" devmem 1 slab_kib "$dslab"
		dax=$(dm_chardev m0)
		id=$(dm_region_id "$dax")
		test "$(ndax "$sid")" = "$n"
		for rep in $(seq 1 "$reps"); do
			for side in $(order "$rep"); do
				if [ "$side" = stock ]; then
					t0=$(us)
					ndctl list -N >/dev/null
					t1=$(us)
					rec meta "$n" stock "$rep" list_us $((t1 - t0))
					ndctl disable-namespace all -r "$S" >/dev/null
					[ "$(ndax "$sid")" = 0 ]
					t0=$(us)
					ndctl enable-namespace all -r "$S" >/dev/null
					while [ "$(ndax "$sid")" != "$n" ]; do :; done
					t1=$(us)
					cat /sys/bus/nd/devices/ndbus0/wait_probe >/dev/null
					rec meta "$n" stock "$rep" assemble_us $((t1 - t0))
				else
					t0=$(us)
					devmemctl list >/dev/null
					t1=$(us)
					rec meta "$n" devmem "$rep" list_us $((t1 - t0))
					$T unmap "$id" $(seq 0 $((n - 1)))
					t0=$(us)
					devmemctl assemble >/dev/null
					t1=$(us)
					rec meta "$n" devmem "$rep" assemble_us $((t1 - t0))
				fi
			done
		done
		test "$(devmemctl list -r "$D" | jq '[.[] | select(.state == "active")] | length')" = "$n"
		echo "meta $n done"
	done
	# the caches that grew most on either side, cumulative at the largest N
	for k in "${!SLABCUM[@]}"; do echo "$k ${SLABCUM[$k]}"; done |
		awk '{ split($1, p, "."); side = p[1]; c = substr($1, length(side) + 2); v[c, side] = $2; t[c] += ($2 < 0 ? -$2 : $2); seen[c] = 1 }
			END { for (c in seen) print t[c], c, v[c, "stock"] + 0, v[c, "devmem"] + 0 }' |
		sort -rn | head -n 10 | while read -r _ c sv dv; do
		rec slabinfo "$c" stock 1 bytes "$sv"
		rec slabinfo "$c" devmem 1 bytes "$dv"
	done
fi
echo "guest: finished"
