#!/bin/bash
# make install / make uninstall into a DESTDIR: exactly the expected files,
# a pkg-config file with the right prefix, a program that builds against
# the installed header and library (shared and static), man pages that
# render, valid systemd unit, nothing left after uninstall; the default
# PREFIX; make dkms-install, and (root + dkms present) a real dkms build.
set -E -o pipefail
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND" >&2; exit 1' ERR
cd "$(dirname "$0")/../.." || exit 1
work=$(mktemp -d)
dkms_added=''
cleanup() {
	if [ -n "$dkms_added" ]; then
		dkms remove -m devmem -v "$dkms_added" --all >/dev/null 2>&1
		rm -rf "/usr/src/devmem-$dkms_added"
	fi
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v pandoc >/dev/null || { echo "SKIP: pandoc is not installed (make deps)"; exit 77; }
kver=$(scripts/kernel-version)
version=$(sed -n 's/^#define DEVMEMCTL_VERSION "\(.*\)"/\1/p' cli/devmemctl.h)
d=$work/dest

echo "1. make install DESTDIR=... PREFIX=/usr"
make -s install DESTDIR="$d" PREFIX=/usr >"$work/install.log" 2>&1 ||
	{ cat "$work/install.log"; fail "make install"; }
{
	cat <<EOF2
/usr/bin/devmemctl
/usr/lib/libdevmem.so.1
/usr/lib/libdevmem.so
/usr/lib/libdevmem.a
/usr/lib/pkgconfig/libdevmem.pc
/usr/include/libdevmem.h
/usr/include/linux/devmem.h
/lib/udev/rules.d/80-devmem.rules
/lib/systemd/system/devmem-assemble@.service
/usr/share/bash-completion/completions/devmemctl
/lib/modules/$kver/extra/devmem.ko
/lib/modprobe.d/devmem.conf
EOF2
	for m in docs/man/*.md; do
		m=${m##*/}
		echo "/usr/share/man/man8/${m%.md}.8"
	done
} | sort >"$work/want"
(cd "$d" && find . \( -type f -o -type l \) | sed 's,^\.,,' | sort) >"$work/got"
diff -u "$work/want" "$work/got"
sed 's/^/    /' "$work/got"
make -s install-files DESTDIR="$d" PREFIX=/usr | sed "s,^$d,," | sort | diff -u "$work/want" -
[ -x "$d/usr/bin/devmemctl" ]
[ "$(readlink "$d/usr/lib/libdevmem.so")" = libdevmem.so.1 ]
[ "$("$d/usr/bin/devmemctl" --version)" = "$version" ]
# modprobe parses the installed softdep: devmem before nd_pmem
modprobe -C "$d/lib/modprobe.d" -c | grep -qx 'softdep nd_pmem pre: devmem' ||
	fail "modprobe -c does not show 'softdep nd_pmem pre: devmem' from $d/lib/modprobe.d/devmem.conf"
grep -q man8/devmemctl-check.8 "$work/want" || echo "    (no docs/man/devmemctl-check.md yet: not installed)"

echo "2. pkg-config from the DESTDIR: prefix /usr"
export PKG_CONFIG_PATH=$d/usr/lib/pkgconfig
[ "$(pkg-config --variable=prefix libdevmem)" = /usr ]
[ "$(pkg-config --variable=libdir libdevmem)" = /usr/lib ]
[ "$(pkg-config --variable=includedir libdevmem)" = /usr/include ]
[ "$(pkg-config --modversion libdevmem)" = 1 ]

echo "3. docs/examples/list-namespaces.c against the installed header + library"
flags=$(PKG_CONFIG_SYSROOT_DIR=$d pkg-config --cflags --libs libdevmem)
echo "    cc ... $flags"
# shellcheck disable=SC2086 # word splitting of the flags is intended
cc -std=c11 -Wall -Wextra -Werror -o "$work/list" docs/examples/list-namespaces.c $flags
out=$(LD_LIBRARY_PATH=$d/usr/lib "$work/list")
grep -qx '[0-9]* namespace(s)' <<<"$out"
deps=$(LD_LIBRARY_PATH=$d/usr/lib ldd "$work/list")
grep -q "libdevmem.so.1 => $d/usr/lib/libdevmem.so.1" <<<"$deps"
# static libdevmem.a; its Requires.private (libndctl libkmod uuid) shared
slibs=$(pkg-config --libs "$(pkg-config --print-requires-private libdevmem | tr '\n' ' ')")
# shellcheck disable=SC2086
cc -std=c11 -Wall -Werror -I"$d/usr/include" -o "$work/list-static" \
	docs/examples/list-namespaces.c "$d/usr/lib/libdevmem.a" $slibs
deps=$(ldd "$work/list-static")
! grep -q libdevmem <<<"$deps"
out=$("$work/list-static")
grep -qx '[0-9]* namespace(s)' <<<"$out"
# the uapi header
printf '#include <linux/devmem.h>\nint main(void) { return 0; }\n' >"$work/uapi.c"
cc -std=c11 -Wall -Werror -I"$d/usr/include" -o "$work/uapi" "$work/uapi.c"

echo "4. the man pages render"
for m in "$d"/usr/share/man/man8/*.8; do
	name=${m##*/}
	name=${name%.8}
	MANWIDTH=80 man -l "$m" 2>"$work/man.err" >"$work/man.txt"
	grep -q '^NAME' "$work/man.txt" || fail "$m: no NAME section"
	grep -qE "^ *$name +- " "$work/man.txt" || fail "$m: NAME does not start with '$name - '"
	grep -q '^SYNOPSIS' "$work/man.txt" || fail "$m: no SYNOPSIS"
	# tbl may say a table is wider than 80 columns; nothing else
	if grep -v -e 'table wider than line width' -e 'around line' -e 'cannot adjust line' "$work/man.err" | grep .; then
		fail "$m: man complained (above)"
	fi
done
out=$(MANWIDTH=80 man -M "$d/usr/share/man" devmemctl-assemble 2>/dev/null)
grep -qE '^ *devmemctl-assemble +- ' <<<"$out"

echo "5. udev rule and systemd unit name the installed devmemctl"
grep -qF 'RUN+="/bin/sh -c '"'"'/usr/bin/devmemctl assemble %k </dev/null >>/run/devmem-assemble.log 2>&1 &'"'"'"' "$d/lib/udev/rules.d/80-devmem.rules"
grep -q 'SYSTEMD_WANTS}+="devmem-assemble@%k.service"' "$d/lib/udev/rules.d/80-devmem.rules"
grep -q '^ExecStart=/usr/bin/devmemctl assemble %i$' "$d/lib/systemd/system/devmem-assemble@.service"
! grep -rn '@[A-Z]*@' "$d/lib/udev" "$d/lib/systemd" "$d/usr/lib/pkgconfig"
if command -v systemd-analyze >/dev/null; then
	MANPATH=$d/usr/share/man systemd-analyze verify --root="$d" \
		"$d/lib/systemd/system/devmem-assemble@.service"
	echo "    systemd-analyze verify: ok"
fi

echo "6. make uninstall leaves no file behind"
make -s uninstall DESTDIR="$d" PREFIX=/usr
left=$(find "$d" \( -type f -o -type l \))
[ -z "$left" ] || fail "left behind: $left"

echo "7. the default PREFIX is /usr/local"
d2=$work/dest2
make -s install DESTDIR="$d2" >/dev/null 2>&1
[ -x "$d2/usr/local/bin/devmemctl" ] && [ -f "$d2/usr/local/lib/libdevmem.so.1" ]
[ -f "$d2/usr/local/share/man/man8/devmemctl.8" ]
[ "$(PKG_CONFIG_PATH=$d2/usr/local/lib/pkgconfig pkg-config --variable=prefix libdevmem)" = /usr/local ]
grep -qF "'/usr/local/bin/devmemctl assemble " "$d2/lib/udev/rules.d/80-devmem.rules"
make -s uninstall DESTDIR="$d2"
[ -z "$(find "$d2" \( -type f -o -type l \))" ]

echo "8. make dkms-install DESTDIR=...: dkms.conf + the module's source"
d3=$work/dest3
make -s dkms-install DESTDIR="$d3"
src=$d3/usr/src/devmem-$version
[ -f "$src/dkms.conf" ] && [ -f "$src/kmod/Kbuild" ] && [ -f "$src/kmod/main.c" ]
[ -f "$src/include/uapi/linux/devmem.h" ]
! ls "$src"/kmod/*.mod.c "$src"/kmod/*.o 2>/dev/null
grep -qx "PACKAGE_VERSION=\"$version\"" "$src/dkms.conf"
grep -qx 'PACKAGE_NAME="devmem"' "$src/dkms.conf"
grep -qx 'AUTOINSTALL="yes"' "$src/dkms.conf"
# the dkms.conf parses as shell (dkms sources it) and names the module
(
	# shellcheck disable=SC2034 # dkms.conf uses them
	kernel_source_dir=/k dkms_tree=/t
	# shellcheck source=/dev/null
	. "$src/dkms.conf"
	[ "${BUILT_MODULE_NAME[0]}" = devmem ] && [ "${DEST_MODULE_LOCATION[0]}" = /updates/dkms ]
)
make -s dkms-uninstall DESTDIR="$d3"
[ ! -e "$src" ]

if command -v dkms >/dev/null && [ "$(id -u)" = 0 ] && [ ! -e "/usr/src/devmem-$version" ] &&
	[ -z "$(dkms status -m devmem)" ]; then
	echo "9. dkms add + build for $kver (then removed again)"
	make -s dkms-install DESTDIR=/
	dkms_added=$version
	dkms add -m devmem -v "$version" >/dev/null
	dkms build -m devmem -v "$version" -k "$kver" >"$work/dkms.log" 2>&1 ||
		{ cat "$work/dkms.log"; fail "dkms build"; }
	ko=$(find "/var/lib/dkms/devmem/$version/$kver" -name 'devmem.ko*' | head -n 1)
	[ -n "$ko" ] || fail "dkms build made no devmem.ko"
	[[ $(modinfo -F vermagic "$ko") == "$kver "* ]]
	echo "    built $ko"
	dkms remove -m devmem -v "$version" --all >/dev/null
	rm -rf "/usr/src/devmem-$version"
	dkms_added=''
else
	echo "9. dkms build: not run (needs root, dkms, and no devmem in dkms already)"
fi
echo PASS
