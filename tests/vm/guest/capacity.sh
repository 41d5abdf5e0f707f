#!/bin/bash
# Guest side of test-capacity.sh: usable bytes of devmem and of the stock
# nvdimm stack (ndctl create-namespace -m devdax) on the same region.
# $1 = output directory, $2 = the region's physical address, $3 = the
# sizes in MiB (default "16 64 144 256 512 1008"; bench/capacity asks up to
# 16 GiB on a larger DIMM).
# For each size S and map: the stock namespace of S bytes gives U usable
# bytes; devmem is asked for the same U, and its cost in region bytes (data
# offset + size of the only namespace) must stay within the bounds of
# docs/format.md, "Capacity". Then one namespace filling the empty region,
# both ways. Writes capacity.md (markdown) and fails on a violated bound.
set -euo pipefail
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
out=$1
R=$(vm_region_at "$2")
rsize=$(cat "/sys/bus/nd/devices/$R/size")
GUARD=$((2 * (1 << 20) - 4096))
SIZES=${3:-16 64 144 256 512 1008} # MiB: the stock stack wants 16 MiB multiples
mib() { awk -v b="$1" 'BEGIN { printf "%.3f", b / 1048576 }'; }

# the stock stack needs an initialised label area to create sized namespaces
ndctl disable-region "$R" >/dev/null
ndctl init-labels "$(ndctl list -D -r "$R" | jq -r '.[0].dev')" >/dev/null
ndctl enable-region "$R" >/dev/null

# stock MAP [SIZE]: "namespace_bytes usable_bytes"
stock() {
	local j dev
	j=$(ndctl create-namespace -r "$R" -m devdax -M "$1" -a 2M ${2:+-s "$2"})
	dev=$(jq -r .dev <<<"$j")
	echo "$(cat "/sys/bus/nd/devices/$dev/size") $(jq -r '.daxregion.devices[0].size' <<<"$j")"
	ndctl destroy-namespace -f "$dev" >/dev/null
}
declare -A S_NS S_USE
for m in mem dev; do
	for s in $SIZES full; do
		if [ "$s" = full ]; then
			r=$(stock "$m")
		else
			r=$(stock "$m" "${s}M")
		fi
		read -r "S_NS[$m.$s]" "S_USE[$m.$s]" <<<"$r"
	done
done

devmemctl claim "$R" >/dev/null
# devmem MAP ALIGN [SIZE]: "cost usable" of the only namespace
devmem() {
	local j
	j=$(devmemctl create-namespace -r "$R" -M "$1" -a "$2" ${3:+-s "$3"} -n cap)
	echo "$(($(jq -r '.offset + .size' <<<"$j"))) $(jq -r .size <<<"$j")"
	devmemctl destroy-namespace -f cap >/dev/null
}

bad=0
check() { # WHAT VALUE BOUND: VALUE <= BOUND, else a finding
	[ "$2" -le "$3" ] && return 0
	echo "FAIL: $1: $2 > $3" >&2
	bad=1
}
kib() { echo $((($1) / 1024)); }
frac() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a / b }'; }
{
	echo "Region: $R, $rsize bytes ($(mib "$rsize") MiB), labelled, physical base $2."
	echo "Each row: the stock namespace of the given size, its usable bytes, and the"
	echo "region bytes devmem uses for the same usable bytes (MiB; delta in KiB);"
	echo "usable / size: the usable bytes over the region bytes each side uses."
	echo
	echo "| map | stock -s | stock usable | devmem -a 2M | delta | devmem -a 4K | delta | usable / size: stock | devmem -a 2M | devmem -a 4K |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
} >"$out/capacity.md"
for m in mem dev; do
	for s in $SIZES; do
		ns=${S_NS[$m.$s]} use=${S_USE[$m.$s]}
		# (command substitution: each finishes before the next starts)
		c2=$(devmem "$m" 2M "$use") c4=$(devmem "$m" 4K "$use")
		c2=${c2% *} c4=${c4% *}
		echo "| $m | $(mib "$ns") | $(mib "$use") | $(mib "$c2") | $(kib "$c2 - $ns") | $(mib "$c4") | $(kib "$c4 - $ns") | $(frac "$use" "$ns") | $(frac "$use" "$c2") | $(frac "$use" "$c4") |" >>"$out/capacity.md"
		# docs/format.md, "Capacity": no namespace costs more than on
		# the stock stack (format 2.0: only the 4 KiB anchor page is at
		# the head, so the memmap blocks start where the stock stack's
		# do, past its info block)
		check "$m -s ${s}M -a 2M" "$c2" "$ns"
		check "$m -s ${s}M -a 4K" "$c4" "$ns"
	done
done
{
	echo
	echo "One namespace filling the empty region (MiB):"
	echo
	echo "| map | stock namespace | stock usable | devmem usable -a 2M | devmem usable -a 4K | formula (4K) |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
} >>"$out/capacity.md"
for m in mem dev; do
	u2=$(devmem "$m" 2M) u4=$(devmem "$m" 4K)
	u2=${u2#* } u4=${u4#* }
	check "stock $m full vs devmem -a 2M" "${S_USE[$m.full]}" "$u2"
	check "stock $m full vs devmem -a 4K" "${S_USE[$m.full]}" "$u4"
	# docs/format.md: mem fills the region less a guard at each end
	want=-
	if [ "$m" = mem ]; then
		want=$((rsize - 2 * GUARD))
		check "mem full -a 4K vs formula" "$u4" "$want"
		check "formula vs mem full -a 4K" "$want" "$u4"
		want=$(mib "$want")
	fi
	echo "| $m | $(mib "${S_NS[$m.full]}") | $(mib "${S_USE[$m.full]}") | $(mib "$u2") | $(mib "$u4") | $want |" >>"$out/capacity.md"
done
cat "$out/capacity.md"
exit "$bad"
