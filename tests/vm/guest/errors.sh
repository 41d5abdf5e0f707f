#!/bin/bash
# Guest side of test-errors.sh. $1 = create|bad. "bad" feeds devmemctl bad
# input after assemble; every command must fail, name the offending value,
# and (checked on the host) leave the media byte-identical.
set -uo pipefail
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR

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
	devmemctl claim region0
	devmemctl create-namespace -r region0 -s 64M -n keep >/dev/null
	exit 0
fi

set -e
devmemctl assemble >/dev/null
devmemctl list -N | jq -e 'length == 1 and .[0].name == "keep"' >/dev/null
C="devmemctl create-namespace -r region0"
expect_fail region9 devmemctl claim region9
expect_fail region0 devmemctl claim region0
expect_fail "non-zero data" devmemctl claim region1
expect_fail region1 $C -s 64M -r region1
expect_fail 12345 $C -s 12345
expect_fail 3M $C -s 3M -a 2M
expect_fail 1G $C -s 64M -a 1G
expect_fail foo $C -s 64M -M foo
expect_fail fsdax $C -s 64M -m fsdax
expect_fail 'bad name!' $C -s 64M -n 'bad name!'
expect_fail keep $C -s 64M -n keep
expect_fail not-a-uuid $C -s 64M -u not-a-uuid
expect_fail 107374182400 $C -s 100G
expect_fail 1x $C -s 1x
expect_fail nosuch devmemctl destroy-namespace nosuch
expect_fail region5 devmemctl list -r region5
devmemctl list -N | jq -e 'length == 1 and .[0].name == "keep"' >/dev/null
echo "all bad input refused"
