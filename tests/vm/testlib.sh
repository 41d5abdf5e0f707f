# shellcheck shell=bash
# Common helpers for the VM tests (tests/vm/test-*.sh). Source it first.
# Exit codes: 0 pass, 1 fail, 77 skip (only when a prerequisite is absent).
set -E -o pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VM="$TOP/tests/vm/vm-run"
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND" >&2; exit 1' ERR

WORK=$(mktemp -d /var/tmp/devmem-test.XXXXXX)
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

require_build() {
	[ -x "$TOP/cli/devmemctl" ] && [ -f "$TOP/kmod/devmem.ko" ] ||
		fail "build missing: run 'make' first"
	command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 absent"; exit 77; }
}

# A guest kernel log must not show a warning, a bug or an oops.
check_dmesg() {
	local f=$1
	[ -s "$f" ] || fail "no guest kernel log in $f (did the VM boot?)"
	if grep -nE 'WARNING:|BUG:|Oops|general protection|Call Trace' "$f"; then
		fail "guest kernel log $f has a warning or oops (above)"
	fi
}

# vm NAME [vm-run args...] -- CMD: boot, keep the guest's kernel log in
# $WORK/NAME.dmesg, fail the test if the VM fails or the kernel complains.
vm() {
	local name=$1
	shift
	"$VM" --dmesg "$WORK/$name.dmesg" "$@"
	check_dmesg "$WORK/$name.dmesg"
}
