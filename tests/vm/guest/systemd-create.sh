#!/bin/bash
# Guest side of test-systemd-boot.sh, boot 1: runs as vm-run's
# devmem-vm-cmd.service under systemd (PID 1), on an overlay root whose
# writable layer is the --persist disk that boot 2 boots from again.
# With the checkout's build (vm-run's PATH and DEVMEM_KMOD): claim the
# region of the labelled DIMM ($2 = its physical address) and of the
# label-less one ($3), create a map=dev namespace on the first and a
# map=mem one on the second, 32 MiB of random data into each; `devmemctl
# list -N` and the sha256 of every namespace go to $1. Then what an
# administrator does, as root in the built checkout: `make install
# PREFIX=/usr` (README.md, "Install"), which also runs depmod -a, ldconfig,
# udevadm control --reload and systemctl daemon-reload here. Its log goes to
# $1/install.log; the files this boot left in the persistent layer to
# $1/boot1-upper.txt; $1/boot1-ok is written last, on success.
set -euo pipefail
out=$1
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
echo "PID 1: $(cat /proc/1/comm)"
[ "$(cat /proc/1/comm)" = systemd ]
up=/run/devmem-vm-persist/upper
[ -d "$up" ] || { echo "no persistent layer (vm-run --persist)" >&2; exit 1; }
[ ! -e /usr/bin/devmemctl ] || { echo "/usr/bin/devmemctl exists before make install" >&2; exit 1; }

# under systemd guest-init does not wait for the regions: udev's cold plug
udevadm settle --timeout=180
for ((i = 0; i < 300; i++)); do
	vm_region_at "$3" >/dev/null 2>&1 && vm_region_at "$2" >/dev/null 2>&1 && break
	sleep 0.2
done
rl=$(vm_region_at "$2") ru=$(vm_region_at "$3")
vm_ns_make "$out" "$rl" "$ru" sd-labelled sd-labelless

# the install, the way the README tells an administrator to do it (a root
# shell: none of vm-run's checkout paths in the environment)
unset DEVMEM_KMOD LD_LIBRARY_PATH
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
start=$(date +%s)
make install PREFIX=/usr >"$out/install.log" 2>&1 || { cat "$out/install.log" >&2; exit 1; }
echo "make install PREFIX=/usr: $(($(date +%s) - start)) s; its commands:"
grep -vE '^make\[[0-9]+\]: (Entering|Leaving)' "$out/install.log"
echo "devmemctl: $(command -v devmemctl)"
[ "$(command -v devmemctl)" = /usr/bin/devmemctl ]
echo "modinfo -n devmem: $(modinfo -n devmem)"
[ "$(modinfo -n devmem)" = "/lib/modules/$(uname -r)/extra/devmem.ko" ]
(cd "$up" && find . ! -type d | sort) >"$out/boot1-upper.txt"
echo ok >"$out/boot1-ok"
