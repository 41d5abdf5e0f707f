#!/bin/bash
# Guest side of test-teardown.sh: standard clients on a devmem namespace,
# then destroy while a process writes through a live mapping, then rmmod
# with a claimed region.
set -euo pipefail
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR

devmemctl claim region0
devmemctl create-namespace -r region0 -s 256M -a 2M -M mem -n t1 >/tmp/ns.json
dax=$(jq -r .chardev /tmp/ns.json)
test -c "/dev/$dax"

echo "1. daxctl sees a normal device-dax"
daxctl list -d "$dax" | jq -e ".[0].chardev == \"$dax\" and .[0].size == 268435456" >/dev/null

echo "1b. the library example (docs/examples) lists it through libdevmem.so"
cc -std=c11 -Ilibdevmem -o /tmp/list-namespaces docs/examples/list-namespaces.c \
	-Llibdevmem -ldevmem
/tmp/list-namespaces | tee /tmp/list.txt
grep -qx "region0 t1 268435456 $dax" /tmp/list.txt

echo "2. fio's dev-dax engine writes and verifies"
fio --name=verify --ioengine=dev-dax --filename="/dev/$dax" --rw=write --bs=2m \
	--size=64M --verify=crc32c --do_verify=1 --verify_state_save=0 --output=/tmp/fio.txt
grep -q "err= 0" /tmp/fio.txt

echo "3. destroy while fio writes through a live mapping"
fio --name=live --ioengine=dev-dax --filename="/dev/$dax" --rw=randwrite --bs=4k \
	--size=256M --time_based --runtime=120 --output=/tmp/live.txt 2>/tmp/live.err &
pid=$!
# wait until fio's worker has the device mapped (it forks; any process will do)
for _ in $(seq 300); do
	grep -qs "/dev/$dax" /proc/[0-9]*/maps && break
	sleep 0.1
done
grep -qs "/dev/$dax" /proc/[0-9]*/maps
sleep 1
kill -0 "$pid" # still writing
if devmemctl destroy-namespace t1 2>/tmp/destroy.err; then
	echo "destroy of an active namespace without -f succeeded" >&2
	exit 1
fi
grep -q "t1" /tmp/destroy.err
kill -0 "$pid" # the refusal left the writer alone
devmemctl destroy-namespace -f t1
rc=0
wait "$pid" || rc=$?
cat /tmp/live.err
echo "fio ended with status $rc after the revoke"
# the revoke zapped the mapping: fio's writer died of SIGBUS (signal 7)
grep -q "got signal=7" /tmp/live.err
test ! -e "/dev/$dax"
devmemctl list -N | jq -e 'length == 0' >/dev/null

echo "4. rmmod refused while a region is claimed"
if rmmod devmem 2>/tmp/rmmod.err; then
	echo "rmmod succeeded with a claimed region" >&2
	exit 1
fi
cat /tmp/rmmod.err
grep -q '^devmem ' /proc/modules

echo "5. the region still works after the revoke"
devmemctl create-namespace -r region0 -s 64M -n t2 >/tmp/ns2.json
head -c 16M /dev/urandom >/tmp/d
daxio -i /tmp/d -o "/dev/$(jq -r .chardev /tmp/ns2.json)" -l 16M
daxio -i "/dev/$(jq -r .chardev /tmp/ns2.json)" -o /tmp/b -l 16M
cmp /tmp/d /tmp/b
echo "teardown ok"
