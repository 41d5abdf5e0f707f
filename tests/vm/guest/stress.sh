#!/bin/bash
# Guest side of test-stress.sh: teardown under load, concurrent updates,
# hostile ioctls. Three label-less DIMMs: R0 (at 0x100001000) and R1 (at
# 0x180000000) are devmem's, R2 (at 0x1a0000000) is the fuzzer's scratch.
#   stress.sh SEED ITERS WORKERS FUZZ_CALLS
set -euo pipefail
trap 'echo "guest FAIL line $LINENO: $BASH_COMMAND" >&2' ERR
. tests/vm/lib.sh

SEED=$1 ITERS=$2 WORKERS=$3 CALLS=$4
WR=tests/vm/guest/stress-writer
WLEN=$((8 << 20)) # bytes each writer maps and rewrites per pass
T=/tmp/stress
mkdir -p $T
R0=$(vm_region_at 0x100001000)
R1=$(vm_region_at 0x180000000)
R2=$(vm_region_at 0x1a0000000)
RANDOM=$SEED

die() {
	echo "guest FAIL: $*" >&2
	exit 1
}
t() { echo "   [${SECONDS}s] $*"; }
avail() { devmemctl list -R -r "$1" | jq -r '.[0].available_size'; }
dev_of() { devmemctl list -n "$1" | jq -r '.[0].chardev'; }
ns_names() { devmemctl list -N | jq -r '.[].name' | sort; }
# sha256 of the first LEN bytes of namespace NAME
ns_sha() {
	rm -f $T/rd # daxio does not truncate an existing output file
	daxio -i "/dev/$(dev_of "$1")" -o $T/rd -l "$2" 2>/dev/null
	sha256sum <$T/rd | cut -d' ' -f1
}
check_clean() {
	devmemctl check >$T/check.out 2>&1 || { cat $T/check.out; die "check not clean ($1)"; }
	if grep -v ': clean$' $T/check.out; then die "check printed findings ($1)"; fi
}

declare -A WPID WSEED
# start_writer NAME: a process maps NAME's first WLEN bytes and rewrites them
start_writer() {
	local n=$1
	WSEED[$n]=$((SEED * 31 + RANDOM))
	rm -f "$T/$n.state"
	$WR write "/dev/$(dev_of "$n")" $WLEN "${WSEED[$n]}" "$T/$n.state" &
	WPID[$n]=$!
}
wait_pass() { # NAME PASS: until NAME's writer has completed a pass > PASS
	local i
	for ((i = 0; i < 600; i++)); do
		[ "$(cat "$T/$1.state" 2>/dev/null || echo 0)" -gt "$2" ] && return 0
		sleep 0.1
	done
	die "writer of $1 made no progress past pass $2"
}
# stop_writer NAME: SIGTERM, exit 0, then every byte of its last pass
stop_writer() {
	local n=$1 rc=0 pass
	kill -TERM "${WPID[$n]}"
	wait "${WPID[$n]}" || rc=$?
	[ $rc = 0 ] || die "writer of $n exited $rc, want 0"
	pass=$(cat "$T/$n.state")
	$WR verify "/dev/$(dev_of "$n")" $WLEN "${WSEED[$n]}" "$pass"
}
# writer_revoked NAME: the writer died of SIGBUS (128 + 7)
writer_revoked() {
	local rc=0
	wait "${WPID[$1]}" || rc=$?
	[ $rc = 135 ] || die "writer of $1 ended with $rc, want 135 (SIGBUS)"
	echo "writer of $1: killed by SIGBUS after pass $(cat "$T/$1.state")"
}
# refused WHAT CMD...: CMD fails; its stderr is in $T/err
refused() {
	local what=$1
	shift
	if "$@" >$T/out 2>$T/err; then die "$what succeeded"; fi
	echo "refused: $* -> $(tr '\n' ' ' <$T/err)"
}

echo "seed $SEED, $WORKERS workers x $ITERS iterations, $CALLS fuzz calls"
echo "== 1. setup: $R0 and $R1 claimed, keep0/keep1 with random data"
devmemctl claim "$R0" >/dev/null
devmemctl claim "$R1" >/dev/null
A0=$(avail "$R0")
A1=$(avail "$R1")
devmemctl create-namespace -r "$R0" -s 32M -n keep0 >/dev/null
devmemctl create-namespace -r "$R1" -s 16M -a 4K -M mem -n keep1 >/dev/null
head -c 32M /dev/urandom >$T/k0
head -c 16M /dev/urandom >$T/k1
daxio -i $T/k0 -o "/dev/$(dev_of keep0)" -l 32M 2>/dev/null
daxio -i $T/k1 -o "/dev/$(dev_of keep1)" -l 16M 2>/dev/null
K0=$(sha256sum <$T/k0 | cut -d' ' -f1)
K1=$(sha256sum <$T/k1 | cut -d' ' -f1)
[ "$(ns_sha keep0 32M)" = "$K0" ] && [ "$(ns_sha keep1 16M)" = "$K1" ]
devmemctl create-namespace -r "$R0" -s 16M -n w0a >/dev/null
devmemctl create-namespace -r "$R0" -s 12M -a 4K -M mem -n w0b >/dev/null
devmemctl create-namespace -r "$R1" -s 8M -n w1a >/dev/null
t "available: $R0 $A0, $R1 $A1 bytes before the namespaces"

echo "== 2. refusals while three processes write through live mappings"
for n in w0a w0b w1a; do start_writer $n; done
for n in w0a w0b w1a; do wait_pass $n 0; done
declare -A P
for n in w0a w0b w1a; do P[$n]=$(cat "$T/$n.state"); done
refused "destroy-namespace w0a (active, no -f)" devmemctl destroy-namespace w0a
grep -q 'w0a: is active (/dev/dax.*); use --force' $T/err
refused "destroy-namespace w1a keep1 (no -f)" devmemctl destroy-namespace w1a keep1
grep -q 'w1a: is active' $T/err
refused "release $R0 (no -f)" devmemctl release "$R0"
for n in keep0 w0a w0b; do grep -q "$R0: holds devmem namespace $n (/dev/dax" $T/err; done
refused "release $R1 (no -f)" devmemctl release "$R1"
grep -q "$R1: holds devmem namespace w1a" $T/err
refused "rmmod devmem" rmmod devmem
grep -q 'devmem is in use' $T/err
grep -q '^devmem ' /proc/modules
# nothing changed: every namespace is still there and active
[ "$(ns_names | tr '\n' ' ')" = "keep0 keep1 w0a w0b w1a " ]
devmemctl list -N | jq -e 'all(.state == "active")' >/dev/null
for n in w0a w0b w1a; do
	kill -0 "${WPID[$n]}"
	wait_pass $n "${P[$n]}"
	echo "writer of $n: past pass ${P[$n]}, still writing"
done
for n in w0a w0b w1a; do stop_writer $n; done
[ "$(ns_sha keep0 32M)" = "$K0" ] && [ "$(ns_sha keep1 16M)" = "$K1" ]
check_clean "after the refusals"
t "refusals done"

echo "== 3. $WORKERS processes x $ITERS create/destroy/list/check on $R0 and $R1"
# worker ID: random operations; records what it created and destroyed
worker() {
	local id=$1 i op r size a m name k mine=()
	RANDOM=$((SEED + id * 7919))
	: >$T/w$id.created
	: >$T/w$id.destroyed
	: >$T/w$id.noise
	for ((i = 0; i < ITERS; i++)); do
		op=$((RANDOM % 10))
		[ ${#mine[@]} -lt 4 ] || [ $op -ge 4 ] || op=4
		[ ${#mine[@]} -gt 0 ] || [ $op -lt 4 ] || [ $op -ge 7 ] || op=0
		if [ $op -lt 4 ]; then
			r=$R0
			[ $((RANDOM % 2)) = 0 ] || r=$R1
			if [ $((RANDOM % 2)) = 0 ]; then
				size=$(((1 + RANDOM % 8) * 2))M
				a=2M
				[ $((RANDOM % 3)) != 0 ] || a=4K
			else
				size=$(((1 + RANDOM % 2048) * 4))K
				a=4K
			fi
			m=dev
			[ $((RANDOM % 2)) = 0 ] || m=mem
			name=c$id-$i
			if ! devmemctl create-namespace -r "$r" -s "$size" -a $a -M $m \
				-n "$name" >$T/w$id.out 2>$T/w$id.err; then
				echo "worker $id: create $name $r $size $a $m failed:" \
					"$(cat $T/w$id.err)" >&2
				return 1
			fi
			echo "$name" >>$T/w$id.created
			mine+=("$name")
		elif [ $op -lt 7 ]; then
			k=$((RANDOM % ${#mine[@]}))
			name=${mine[$k]}
			if ! devmemctl destroy-namespace -f "$name" >$T/w$id.out \
				2>$T/w$id.err; then
				echo "worker $id: destroy $name failed: $(cat $T/w$id.err)" >&2
				return 1
			fi
			echo "$name" >>$T/w$id.destroyed
			mine=("${mine[@]:0:k}" "${mine[@]:k+1}")
		elif [ $op -lt 9 ]; then
			devmemctl list -N >$T/w$id.out 2>$T/w$id.err ||
				{ echo "worker $id: list failed: $(cat $T/w$id.err)" >&2; return 1; }
			jq -e 'type == "array" and length >= 2' $T/w$id.out >/dev/null ||
				{ echo "worker $id: list gave $(cat $T/w$id.out)" >&2; return 1; }
		else
			devmemctl check >$T/w$id.out 2>$T/w$id.err ||
				{ echo "worker $id: check: $(cat $T/w$id.out $T/w$id.err)" >&2; return 1; }
		fi
		# a successful command must not complain (destroy's summary aside)
		if grep -Ev '^destroyed 1 namespace$' $T/w$id.err >$T/w$id.e2; then
			echo "op $op: $(cat $T/w$id.e2)" >>$T/w$id.noise
		fi
	done
}
start=$SECONDS
pids=()
for ((w = 0; w < WORKERS; w++)); do
	worker $w &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
secs=$((SECONDS - start))
[ $fails = 0 ] || die "$fails workers failed"
cat $T/w*.created | sort >$T/created
cat $T/w*.destroyed | sort >$T/destroyed
echo "created $(wc -l <$T/created), destroyed $(wc -l <$T/destroyed)," \
	"$((WORKERS * ITERS)) operations in ${secs}s"
if cat $T/w*.noise | grep .; then die "successful commands printed the above on stderr"; fi
{
	printf '%s\n' keep0 keep1 w0a w0b w1a
	comm -23 $T/created $T/destroyed
} | sort >$T/want
ns_names >$T/have
diff $T/want $T/have || die "namespace list differs from what the workers did"
echo "namespace list = the 5 fixed + created - destroyed ($(wc -l <$T/have) namespaces)"
check_clean "after the concurrent updates"
[ "$(ns_sha keep0 32M)" = "$K0" ] && [ "$(ns_sha keep1 16M)" = "$K1" ]
echo "keep0, keep1: sha256 unchanged"
comm -23 $T/created $T/destroyed | xargs -r devmemctl destroy-namespace -f >/dev/null
[ "$(ns_names | tr '\n' ' ')" = "keep0 keep1 w0a w0b w1a " ]
echo "the same name from 4 processes at once, on both regions: one wins"
pids=()
for k in 0 1 2 3; do
	r=$R0
	[ $((k % 2)) = 0 ] || r=$R1
	devmemctl create-namespace -r "$r" -s 4M -n dup >$T/dup$k.out 2>$T/dup$k.err &
	pids+=($!)
done
won=0
for k in 0 1 2 3; do
	if wait "${pids[$k]}"; then
		won=$((won + 1))
	else
		grep -q 'dup' $T/dup$k.err || die "dup$k failed without naming dup: $(cat $T/dup$k.err)"
	fi
done
[ $won = 1 ] || die "$won of 4 creates of the name dup succeeded"
cat $T/dup*.err | sort -u
[ "$(devmemctl list -N | jq '[.[] | select(.name == "dup")] | length')" = 1 ]
devmemctl destroy-namespace -f dup 2>/dev/null
check_clean "after the same-name race"
t "concurrency done"

echo "== 4. destroy -f and release -f under live writers"
for n in w0a w0b w1a; do start_writer $n; done
for n in w0a w0b w1a; do wait_pass $n 0; done
d=$(dev_of w0a)
devmemctl destroy-namespace -f w0a >/dev/null
writer_revoked w0a
test ! -e "/dev/$d"
kill -0 "${WPID[w0b]}" # the other writer in the same region goes on
wait_pass w0b "$(cat $T/w0b.state)"
# and three creates in R1 racing the release: each one either fails
# cleanly or lands before the release, which then destroys it too
pids=()
for k in 1 2 3; do
	devmemctl create-namespace -r "$R1" -s 4M -n race$k >/dev/null 2>$T/race$k.err &
	pids+=($!)
done
devmemctl release -f "$R1" >/dev/null
writer_revoked w1a
for k in 1 2 3; do
	if wait "${pids[$((k - 1))]}"; then
		echo "race$k: created before the release"
	else
		[ -s $T/race$k.err ] || die "race$k failed silently"
		echo "race$k: refused: $(head -n 1 $T/race$k.err)"
	fi
done
devmemctl list -R -r "$R1" | jq -e '.[0].claimed == false' >/dev/null
[ "$(ns_names | tr '\n' ' ')" = "keep0 w0b " ]
stop_writer w0b
[ "$(ns_sha keep0 32M)" = "$K0" ]
check_clean "after the revokes"
echo "both regions keep working"
devmemctl claim "$R1" >/dev/null
[ "$(avail "$R1")" = "$A1" ] || die "$R1 after release and claim: $(avail "$R1") available, want $A1"
devmemctl create-namespace -r "$R1" -s 16M -n n1 >/dev/null
devmemctl create-namespace -r "$R0" -s 16M -a 4K -M mem -n n0 >/dev/null
head -c 16M /dev/urandom >$T/n
daxio -i $T/n -o "/dev/$(dev_of n1)" -l 16M 2>/dev/null
daxio -i $T/n -o "/dev/$(dev_of n0)" -l 16M 2>/dev/null
N=$(sha256sum <$T/n | cut -d' ' -f1)
[ "$(ns_sha n1 16M)" = "$N" ] && [ "$(ns_sha n0 16M)" = "$N" ]
t "revokes done"

echo "== 5. hostile ioctls: $CALLS as root, $((CALLS / 4)) as nobody"
ndctl disable-region "$R2" >/dev/null
S2=$(cat "/sys/bus/nd/devices/$R2/size")
tests/kmod/ioctl-fuzz root "$SEED" "$CALLS" "$(vm_region_start "$R2")" "$S2"
tests/kmod/ioctl-fuzz user "$SEED" $((CALLS / 4))
# the namespace nodes are root's alone, as any device-dax node
d=/dev/$(dev_of n1)
[ "$(stat -c '%a %U' "$d" /dev/devmem | sort -u)" = "600 root" ] ||
	die "node modes: $(stat -c '%n %a %U' "$d" /dev/devmem)"
if setpriv --reuid=nobody --regid=nogroup --clear-groups \
	dd if="$d" of=/dev/null bs=4k count=1 2>$T/nobody.err; then
	die "nobody could read $d"
fi
grep -q "Permission denied" $T/nobody.err || die "nobody on $d: $(cat $T/nobody.err)"
echo "$d and /dev/devmem: mode 600, root; nobody: $(cat $T/nobody.err)"
[ "$(ns_sha keep0 32M)" = "$K0" ] && [ "$(ns_sha n1 16M)" = "$N" ] &&
	[ "$(ns_sha n0 16M)" = "$N" ] || die "namespace data changed by the fuzzer"
echo "keep0, n0, n1: sha256 unchanged"
check_clean "after the fuzzer"
[ "$(ns_names | tr '\n' ' ')" = "keep0 n0 n1 w0b " ]
t "fuzz done"

echo "== 6. no leak: everything destroyed, available back, module unloads"
devmemctl destroy-namespace -f keep0 n0 n1 w0b 2>/dev/null
[ "$(avail "$R0")" = "$A0" ] || die "$R0: $(avail "$R0") available, want $A0"
[ "$(avail "$R1")" = "$A1" ] || die "$R1: $(avail "$R1") available, want $A1"
devmemctl release "$R0" >/dev/null
devmemctl release "$R1" >/dev/null
rmmod devmem
test ! -e /dev/devmem
t "stress ok"
