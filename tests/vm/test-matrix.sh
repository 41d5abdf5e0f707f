#!/bin/bash
# VM test: the reduced reboot matrix (tests/vm/reboot-matrix --quick): one
# boot creates stock ndctl and devmem namespaces of every kind on four DIMM
# pairs, the next moves each pair by 4 KiB, 2 MiB, 1 GiB + 12 KiB and one
# random 4 KiB multiple (seed printed; DEVMEM_SEED=N replays it). Fails if
# devmem loses a namespace or data, if the stock path does anything but
# what its own alignment rule predicts (lost unless the move is a 2 MiB
# multiple), or if a VM fails. The full matrix: make check-matrix.
. "$(dirname "$0")/testlib.sh"
require_build
"$TOP/tests/vm/reboot-matrix" --quick --timeout 600 --report "$WORK/reboot-matrix.md" \
	${DEVMEM_SEED:+--seed "$DEVMEM_SEED"} || fail "reboot matrix (above)"
echo PASS
