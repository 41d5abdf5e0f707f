#!/bin/bash
# Guest side of test-errors.sh. $1 = create|bad. "bad" feeds devmemctl bad
# input after assemble; every command must fail, name the offending value,
# and (checked on the host) leave the media byte-identical. Regions are
# found by physical address: kernel region numbers do not follow DIMM order.
set -uo pipefail
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
R0=$(vm_region_at 0x100003000) # devmem, holds namespace "keep"
R1=$(vm_region_at 0x140000000) # foreign data
R2=$(vm_region_at 0x160000000) # stock ndctl devdax namespace

expect_fail() { # WANT CMD...: CMD fails and its message contains WANT
	local want=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "FAIL: unexpected success: $*" >&2
		exit 1
	fi
	if ! grep -qF -- "$want" <<<"$out"; then
		echo "FAIL: error of '$*' does not name '$want': $out" >&2
		exit 1
	fi
	echo "ok: $* -> $(head -n 1 <<<"$out")"
}

if [ "$1" = create ]; then
	set -e
	devmemctl claim "$R0"
	devmemctl create-namespace -r "$R0" -s 64M -n keep >/dev/null
	# R2 gets a namespace of the stock nvdimm stack
	ndctl disable-region "$R2" >/dev/null
	ndctl init-labels "$(ndctl list -D -r "$R2" | jq -r '.[0].dev')" >/dev/null
	ndctl enable-region "$R2" >/dev/null
	ndctl create-namespace -r "$R2" -m devdax -M mem -a 2M -s 128M >/dev/null
	exit 0
fi

if [ "$1" = reboot ]; then
	# the forced regions come back: the stock labels really are gone
	set -e
	devmemctl assemble | jq -e 'length == 3' >/dev/null
	devmemctl list -N | jq -e 'map(.state == "active") | all and length == 3' >/dev/null
	echo "all three regions assembled"
	exit 0
fi

if [ "$1" = force ]; then
	# --force takes a region with foreign data and one with a stock
	# namespace; assemble is idempotent
	set -e
	devmemctl assemble >/dev/null
	devmemctl assemble | jq -e 'length == 1 and .[0].name == "keep"' >/dev/null
	devmemctl claim --force "$R1" | jq -e ".dev == \"$R1\" and .claimed" >/dev/null
	devmemctl claim --force "$R2" | jq -e ".dev == \"$R2\" and .claimed" >/dev/null
	[ -z "$(ndctl list -N -r "$R2")" ] && [ ! -e "/dev/dax${R2#region}.0" ]
	devmemctl create-namespace -r "$R1" -s 32M -n one >/dev/null
	devmemctl create-namespace -r "$R2" -s 32M -n two >/dev/null
	devmemctl list -R | jq -e 'map(select(.claimed)) | length == 3' >/dev/null
	devmemctl list -R | jq -e 'map(.namespaces) | add == 3' >/dev/null
	devmemctl list -N | jq -e 'map(.state == "active") | all and length == 3' >/dev/null
	echo "forced claims ok"
	exit 0
fi

set -e
devmemctl assemble >/dev/null
devmemctl list -N | jq -e 'length == 1 and .[0].name == "keep"' >/dev/null
C=(devmemctl create-namespace -r "$R0")
expect_fail region9 devmemctl claim region9
expect_fail "$R0" devmemctl claim "$R0"
expect_fail "non-zero data" devmemctl claim "$R1"
ns=$(ndctl list -N -r "$R2" | jq -r '.[0].dev')
expect_fail "$ns" devmemctl claim "$R2"
test -c "/dev/dax${R2#region}.0" # the refused claim left the stock namespace up
expect_fail "$R1" "${C[@]}" -s 64M -r "$R1"
expect_fail 12345 "${C[@]}" -s 12345
expect_fail 3M "${C[@]}" -s 3M -a 2M
expect_fail 1G "${C[@]}" -s 64M -a 1G
expect_fail foo "${C[@]}" -s 64M -M foo
expect_fail sector "${C[@]}" -s 64M -m sector
expect_fail 'bad name!' "${C[@]}" -s 64M -n 'bad name!'
expect_fail keep "${C[@]}" -s 64M -n keep
expect_fail not-a-uuid "${C[@]}" -s 64M -u not-a-uuid
expect_fail 107374182400 "${C[@]}" -s 100G
expect_fail 1x "${C[@]}" -s 1x
expect_fail nosuch devmemctl destroy-namespace nosuch
expect_fail region5 devmemctl list -r region5
devmemctl list -N | jq -e 'length == 1 and .[0].name == "keep"' >/dev/null
echo "all bad input refused"
