#!/bin/bash
# Style gate: userspace C is clang-format clean (repo .clang-format) and
# cppcheck finds nothing; shell scripts are shellcheck-clean at warning
# level; the module is checkpatch --strict clean (checkpatch.pl from
# Debian's linux-source package, or CHECKPATCH=path).
set -E -o pipefail
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND" >&2; exit 1' ERR
cd "$(dirname "$0")/../.." || exit 1
mapfile -t user < <(git ls-files 'libdevmem/*.[ch]' 'cli/*.[ch]' 'tests/unit/*.[ch]' 'tests/kmod/*.c' 'docs/examples/*.c' 'tests/fuzz/*.[ch]')
[ ${#user[@]} -gt 10 ] || { echo "FAIL: no sources found"; exit 1; }

echo "1. clang-format: ${#user[@]} files"
clang-format --dry-run -Werror "${user[@]}"

echo "2. cppcheck"
cppcheck -q --std=c11 --enable=warning,style,performance --error-exitcode=1 \
	--inline-suppr -Iinclude/uapi -Ilibdevmem "${user[@]}"

echo "3. shellcheck (warnings and errors)"
mapfile -t sh < <(git ls-files '*.sh' tests/vm/vm-run tests/vm/mkinitramfs \
	tests/vm/guest-init tests/vm/demo tests/run-tests scripts/deps scripts/kernel-version .ci/run \
	scripts/md2man contrib/bash-completion/devmemctl)
shellcheck -S warning -x "${sh[@]}"

# checkpatch.pl from Debian's linux-source package (make deps installs it),
# unpacked once into build/checkpatch
cp=${CHECKPATCH:-}
tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | head -n 1)
if [ -z "$cp" ] && [ -n "$tarball" ]; then
	dir=build/checkpatch
	if ! ls $dir/*/scripts/checkpatch.pl >/dev/null 2>&1; then
		mkdir -p $dir
		tar -C $dir -xf "$tarball" --wildcards '*/scripts/checkpatch.pl' \
			'*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
	fi
	cp=$(ls $dir/*/scripts/checkpatch.pl | head -n 1)
fi
if [ -n "$cp" ]; then
	echo "4. checkpatch --strict on kmod/ and the uapi and kernel API headers"
	mapfile -t kern < <(git ls-files "kmod/*.[ch]" include/uapi/linux/devmem.h include/linux/devmem.h)
	out=$("$cp" --no-tree --strict --quiet -f "${kern[@]}" || true)
	[ -z "$out" ] || { echo "$out"; echo "FAIL: checkpatch"; exit 1; }
else
	echo "4. checkpatch: no linux-source package nor CHECKPATCH=; not run"
fi
echo PASS
