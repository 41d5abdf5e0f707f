#!/bin/bash
# devmemctl command line: help, usage errors, option validation and output
# shapes that need no root devices and no devmem module. Every option error
# must name the value, exit 2, and happen before the library touches the
# kernel. Exit 0 pass, 1 fail.
set -E -o pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
D="$top/cli/devmemctl"
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND" >&2; exit 1' ERR

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out="$work/out" errf="$work/err"

step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# expect STATUS CMD...: run devmemctl, keep stdout/stderr, check the status
expect() {
	local want=$1 rc=0
	shift
	"$D" "$@" >"$out" 2>"$errf" || rc=$?
	if [ "$rc" != "$want" ]; then
		echo "--- devmemctl $*: stdout" >&2
		cat "$out" >&2
		echo "--- stderr" >&2
		cat "$errf" >&2
		fail "devmemctl $*: exit $rc, expected $want"
	fi
}
# err_has TEXT: stderr of the last expect contains TEXT
err_has() {
	grep -qF -- "$1" "$errf" || {
		cat "$errf" >&2
		fail "stderr lacks: $1"
	}
}

[ -x "$D" ] || fail "$D not built; run 'make cli'"
cmds="assemble check claim create-namespace destroy-namespace list release"

step "1. --help, --version and --list-cmds work and list every command"
expect 0 --help
for c in $cmds; do grep -q "^    $c " "$out" || fail "--help lacks $c"; done
expect 0 --list-cmds
[ "$(tr '\n' ' ' <"$out")" = "$cmds " ] || fail "--list-cmds: $(cat "$out")"
expect 0 --version
grep -qE '^[0-9]+\.[0-9]+' "$out"

step "2. 'help CMD', 'CMD --help' and 'CMD -h' print the same usage, exit 0"
for c in $cmds; do
	expect 0 help "$c"
	cp "$out" "$work/help1"
	grep -q "^usage: devmemctl $c" "$work/help1"
	grep -q -- "--verbose" "$work/help1"
	expect 0 "$c" --help
	cmp -s "$out" "$work/help1" || fail "'$c --help' differs from 'help $c'"
	expect 0 "$c" -h
	cmp -s "$out" "$work/help1" || fail "'$c -h' differs from 'help $c'"
done

step "3. command-line errors exit 2 with a message and a usage line"
expect 2
err_has "usage: devmemctl"
expect 2 frobnicate
err_has "'frobnicate' is not a devmemctl command"
expect 2 help frobnicate
expect 2 --frob
err_has "unknown option '--frob'"
expect 2 list --bogus -x
err_has "unknown option '--bogus'"
err_has "unknown option '-x'"
err_has "usage: devmemctl list"
expect 2 list extra
err_has "unexpected argument 'extra'"
expect 2 list --human=1
err_has "option '--human=1' takes no argument"
expect 2 claim
err_has "missing REGION"
err_has "usage: devmemctl claim REGION"
expect 2 claim region0 region1
err_has "unexpected argument 'region1'"
expect 2 destroy-namespace
err_has "missing NAME|UUID"
expect 2 create-namespace -s 1G
err_has "missing option -r/--region"
expect 2 create-namespace -r
err_has "option -r/--region needs an argument"

step "4. create-namespace: each bad value is named; all are reported at once"
expect 2 create-namespace -r region0 -s 12345
err_has "invalid size '12345': not a multiple of 4096"
expect 2 create-namespace -r region0 -s 1.5G
err_has "invalid size '1.5G': not a number of bytes"
expect 2 create-namespace -r region0 -s 0
err_has "invalid size '0': must not be 0"
expect 2 create-namespace -r region0 -s 99999999999999999999
err_has "invalid size '99999999999999999999': too large"
expect 2 create-namespace -r region0 -s 16777216T
err_has "invalid size '16777216T': too large"
expect 2 create-namespace -r region0 -s 1G -a 1M
err_has "invalid align '1M': must be 4K or 2M"
expect 2 create-namespace -r region0 -s 3M -a 2M
err_has "invalid size '3M': not a multiple of 2M"
expect 2 create-namespace -r region0 -m sector
err_has "invalid mode 'sector': must be devdax or fsdax"
expect 2 create-namespace -r region0 -M ram
err_has "invalid map 'ram': must be dev or mem"
expect 2 create-namespace -r region0 -n 'a b'
err_has "invalid name 'a b'"
expect 2 create-namespace -r region0 -n "$(printf 'n%.0s' {1..64})"
err_has "invalid name 'nnnn"
expect 2 create-namespace -r region0 -n 0f2d7a3c-5b1e-4c7a-9d3e-2a1b4c5d6e7f
err_has "must not look like a UUID"
expect 2 create-namespace -r region0 -u not-a-uuid
err_has "invalid uuid 'not-a-uuid': not a UUID"
expect 2 create-namespace -r region0 -u 00000000-0000-0000-0000-000000000000
err_has "the nil UUID is not allowed"
expect 2 create-namespace -s 4097 -a 8K -M x -m y -n '' -u z
for v in "size '4097'" "align '8K'" "map 'x'" "mode 'y'" "name ''" \
	"uuid 'z'" "missing option -r/--region"; do
	err_has "$v"
done
[ "$(grep -c '^devmemctl: ' "$errf")" -eq 7 ] || fail "not 7 errors reported"
[ ! -s "$out" ] || fail "stdout not empty on a usage error"

step "5. validation happens before the library or the kernel is touched"
rc=0
DEVMEM_LOG=debug "$D" create-namespace -r region0 -s 12345 -v \
	>"$out" 2>"$errf" || rc=$?
[ "$rc" = 2 ]
if grep -q "debug:" "$errf"; then
	fail "library ran before option validation failed"
fi
if command -v strace >/dev/null; then
	strace -f -e trace=openat -o "$work/strace" "$D" create-namespace \
		-r region0 -s 12345 >/dev/null 2>&1 || true
	if grep -E '/dev/devmem|/sys/|devmem\.lock' "$work/strace"; then
		fail "devices or sysfs opened before option validation failed"
	fi
fi

step "6. accepted size and align spellings get past validation"
for s in 1G 512M 512MiB 4096 0x200000 8k; do
	expect 1 create-namespace -r region999 -s "$s"
	err_has "region999: no such nvdimm region"
done
expect 1 create-namespace -r 999 -s 6M -a 2m -M mem -n db_1.x \
	-u 0f2d7a3c-5b1e-4c7a-9d3e-2a1b4c5d6e7f
err_has "region999: no such nvdimm region"

step "7. list always prints a JSON array"
nregions=$(find /sys/bus/nd/devices -maxdepth 1 -name 'region*' 2>/dev/null |
	wc -l)
for args in "" "-N" "-R" "-R -N" "-R -u" "-u"; do
	# shellcheck disable=SC2086
	expect 0 list $args
	jq -e 'type == "array"' "$out" >/dev/null
done
expect 0 list -R
if [ "$nregions" -eq 0 ]; then
	[ "$(cat "$out")" = "[]" ] || fail "list -R without regions: $(cat "$out")"
else
	jq -e 'all(.[]; has("dev") and has("size") and has("claimed"))' \
		"$out" >/dev/null
fi
expect 1 list -r region999
err_has "region999: no such nvdimm region"
[ ! -s "$out" ] || fail "list -r region999 printed something"

step "8. commands that find nothing fail with exit 1, not 2"
expect 1 claim region999
err_has "region999: no such nvdimm region"
expect 1 destroy-namespace no-such-ns
err_has "no-such-ns: no such devmem namespace"
err_has "destroyed 0 namespaces"
expect 1 assemble region999
err_has "region999: no such nvdimm region"

step "9. check, release and list -n: usage errors name the value"
expect 2 check --repair=1
err_has "option '--repair=1' takes no argument"
expect 2 check --bogus
err_has "unknown option '--bogus'"
err_has "usage: devmemctl check [REGION...]"
expect 1 check region999
err_has "region999: no such nvdimm region"
expect 1 check --repair region998 region999
err_has "region998: no such nvdimm region"
err_has "region999: no such nvdimm region"
# this host has no claimed region (no devmem module): nothing to check
if [ ! -e /dev/devmem ]; then
	expect 0 check
	err_has "no region is claimed by devmem; nothing to check"
	expect 0 check --json
	[ "$(cat "$out")" = "[]" ] || fail "check --json: $(cat "$out")"
fi
expect 2 release
err_has "missing REGION"
err_has "usage: devmemctl release REGION"
expect 2 release region0 region1
err_has "unexpected argument 'region1'"
expect 2 release -x region0
err_has "unknown option '-x'"
expect 1 release region999
err_has "region999: no such nvdimm region"
expect 2 list -n 'a b'
err_has "invalid namespace 'a b'"
expect 2 list -n
err_has "option -n/--namespace needs an argument"
expect 2 list -n 'a b' -r
err_has "invalid namespace 'a b'"
err_has "option -r/--region needs an argument"
for n in db 0f2d7a3c-5b1e-4c7a-9d3e-2a1b4c5d6e7f; do
	expect 0 list -u -n "$n"
	jq -e 'type == "array"' "$out" >/dev/null
done
expect 0 release --help
grep -q -- "--force" "$out"
expect 0 check --help
grep -q -- "--repair" "$out"
grep -q -- "--json" "$out"

step "10. a write error on stdout is an error (exit 1)"
if [ -w /dev/full ]; then
	rc=0
	"$D" --help >/dev/full 2>"$errf" || rc=$?
	[ "$rc" = 1 ] || fail "--help >/dev/full: exit $rc"
	err_has "write error on standard output"
fi

echo PASS
