#!/bin/bash
# libdevmem as a shared library: it exports exactly the symbols of
# libdevmem.sym, each under its node (LIBDEVMEM_1, LIBDEVMEM_1.1, LIBDEVMEM_1.2), its public header compiles as C and C++,
# and the example program in docs/ builds against libdevmem.so and runs.
set -E -o pipefail
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND" >&2; exit 1' ERR
cd "$(dirname "$0")/../.." || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
so=libdevmem/libdevmem.so.1
[ -f "$so" ] || { echo "FAIL: $so not built"; exit 1; }

echo "1. exported symbols == libdevmem.sym, each in its version node"
# "symbol@@NODE" for every symbol of every node of the version script
awk '/^LIBDEVMEM_[0-9.]* *{/ { node = $1 }
	/^[[:space:]]*devmem_[a-z_0-9]*;$/ { sub(/^[[:space:]]*/, ""); sub(/;$/, "");
		print $0 "@@" node }' libdevmem/libdevmem.sym | sort >"$work/want"
nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' | sort >"$work/got"
[ -s "$work/want" ]
grep -q '@@LIBDEVMEM_1.1$' "$work/want" || { echo "FAIL: no LIBDEVMEM_1.1 node"; exit 1; }
grep -q '@@LIBDEVMEM_1.2$' "$work/want" || { echo "FAIL: no LIBDEVMEM_1.2 node"; exit 1; }
grep -v '@@LIBDEVMEM_[0-9.]*$' "$work/got" && { echo "FAIL: unversioned exports above"; exit 1; }
diff -u "$work/want" "$work/got"

echo "2. the public header is self-contained C11 and C++"
echo '#include <libdevmem.h>' >"$work/h.c"
cc -std=c11 -Wall -Wextra -Werror -Ilibdevmem -fsyntax-only "$work/h.c"
g++ -x c++ -Wall -Wextra -Werror -Ilibdevmem -fsyntax-only "$work/h.c"

echo "3. docs/examples/list-namespaces.c links against the .so and runs"
cc -std=c11 -Wall -Wextra -Werror -Ilibdevmem -o "$work/list" \
	docs/examples/list-namespaces.c -Llibdevmem -ldevmem
out=$(LD_LIBRARY_PATH=libdevmem "$work/list")
echo "$out"
# this host has no nvdimm regions; the VM tests run it where there are
grep -qx '[0-9]* namespace(s)' <<<"$out"
echo PASS
