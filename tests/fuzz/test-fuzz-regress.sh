#!/bin/bash
# make check: every fuzz target once over its checked-in corpus and its
# crash reproducers (tests/fuzz/corpus/<target>, tests/fuzz/regressions/
# <target>), built with cc + ASan/UBSan through tests/fuzz/replay.c (no
# clang, no libFuzzer needed). A target's finding aborts: the test fails
# naming the input. Seconds, not minutes; `make check-fuzz` does the fuzzing.
set -E -o pipefail
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")" || exit 1
total=0
for t in meta layout cli; do
	bin=./replay-$t
	[ -x "$bin" ] || { echo "FAIL: $bin not built (make -C tests/fuzz replay)"; exit 1; }
	n=0
	for f in corpus/fuzz-$t/* regressions/fuzz-$t/*; do
		[ -f "$f" ] || continue
		if ! out=$("$bin" "$f" 2>&1); then
			echo "$out" | tail -n 30
			echo "FAIL: fuzz-$t finds a problem with $f"
			exit 1
		fi
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || { echo "FAIL: no inputs for fuzz-$t"; exit 1; }
	echo "fuzz-$t: $n inputs replayed, no finding"
	total=$((total + n))
done
echo "PASS: $total inputs"
