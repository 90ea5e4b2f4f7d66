#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# --all with filters: five processes that map libspin,
# told apart by cgroup (a systemd-like unit), user, executable path,
# executable build-id and pid namespace; each filter takes exactly the
# ones it names, exclusions never take theirs, and a filtered revert
# leaves the others patched.
. "$(dirname "$0")/lib.sh"
PATCH=$IT_DIR/spin1.kpl
ID=$("$KPL" info "$PATCH" | sed -n 's/^patch: *\([^ ]*\).*/\1/p')

# A copy of kpl-spin (another path, the same build-id) that nobody may run.
C=$(mktemp -d /tmp/kpl-flt.XXXXXX)
chmod 755 "$C"
cp "$IT_DIR/kpl-spin" "$IT_DIR/libspin.so.1" "$C/"
CG=""
for root in /sys/fs/cgroup/unified /sys/fs/cgroup; do
	if [ -e "$root/cgroup.procs" ] &&
		mkdir "$root/kpl-flt-a.service" 2>/dev/null; then
		CG=$root/kpl-flt-a.service
		break
	fi
done
cleanup_filter() {
	[ -n "$CG" ] && for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null
	done
	[ -n "${NS_PID:-}" ] && kill -KILL "$NS_PID" 2>/dev/null
	sleep 0.2
	[ -n "$CG" ] && rmdir "$CG" 2>/dev/null
	rm -rf "$C"
	cleanup
}
trap cleanup_filter EXIT INT TERM

# A: root, in the cgroup kpl-flt-a.service (when one can be made)
start_spin a || exit 1
A=$SPIN_PID
[ -n "$CG" ] && echo "$A" >"$CG/cgroup.procs"
# B: nobody, running the copy
setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$C/kpl-spin" >"$T/b.out" 2>&1 &
B=$!
PIDS="$PIDS $B"
wait_ready "$T/b.out" "nobody's kpl-spin" || exit 1
# D: another executable (kpl-victim) mapping the same libspin
start_victim d || exit 1
D=$VPID
# N: kpl-spin in a pid namespace of its own (a container, as far as
# namespaces go)
NS_PID=""
if unshare --pid --fork "$IT_DIR/kpl-spin" >"$T/n.out" 2>&1 & then
	U=$!
	PIDS="$PIDS $U"
	wait_ready "$T/n.out" "kpl-spin in a pid namespace" && NS_PID=$(pgrep -P "$U" | head -1)
fi
OURS="$A $B $D ${NS_PID}"

# with_patch: which of ours have the patch, as letters
with_patch() {
	s=""
	for x in A:$A B:$B D:$D N:$NS_PID; do
		p=${x#*:}
		[ -n "$p" ] && grep -q "kpl:$ID" "/proc/$p/maps" 2>/dev/null &&
			s="$s${x%%:*}"
	done
	echo "${s:--}"
}

# take WANT DESCRIPTION FILTER...: apply --all with FILTER patches
# exactly WANT among ours; revert --all afterwards
take() {
	want=$1
	d=$2
	shift 2
	"$KPL" apply --all --keys "$TRUSTED" "$@" "$PATCH" >"$T/cmd.out" \
		2>"$T/cmd.err"
	got=$(with_patch)
	check "$d: patched $got, wanted $want" [ "$got" = "$want" ]
	"$KPL" revert --all "$ID" >/dev/null 2>&1
}

check "four processes map libspin" [ -n "$A" ] && [ -n "$B" ] && [ -n "$D" ]
take ABD"${NS_PID:+N}" "no filter takes every process" 
take B "--user nobody" --user nobody
take B "--user 65534 (a uid)" --user 65534
take AD"${NS_PID:+N}" "--exclude user=nobody" --exclude user=nobody
take B "--exe (the copy's path)" --exe "$C/kpl-spin"
take D "--exe-build-id (kpl-victim's)" --exe-build-id \
	"$(readelf -n "$IT_DIR/kpl-victim" | sed -n 's/.*Build ID: //p')"
IT_ABS=$(cd "$IT_DIR" && pwd)
take ABD "--exe three times: any of the paths" --exe "$C/kpl-spin" \
	--exe "$IT_ABS/kpl-victim" --exe "$IT_ABS/kpl-spin" --container none
take AD "two keys must both match" --user root --container none
if [ -n "$NS_PID" ]; then
	take N "--container any" --container any
	take ABD "--container none" --container none
	ns=$(readlink "/proc/$NS_PID/ns/pid" | tr -dc 0-9)
	take N "--container INODE" --container "$ns"
else
	ok "containers # SKIP unshare --pid failed here"
fi
if [ -n "$CG" ]; then
	take A "--unit kpl-flt-a (kpl-flt-a.service)" --unit kpl-flt-a
	take A "--cgroup /kpl-flt-a.service" --cgroup /kpl-flt-a.service
	take BD"${NS_PID:+N}" "--exclude unit=kpl-flt-a.service" \
		--exclude unit=kpl-flt-a.service
else
	ok "units and cgroups # SKIP cannot make a cgroup here"
fi

# A filtered revert leaves the others patched.
"$KPL" apply --all --keys "$TRUSTED" "$PATCH" >/dev/null 2>&1
expect_rc 0 "revert --all --user nobody" "$KPL" revert --all --user nobody "$ID"
got=$(with_patch)
check "only nobody's process was reverted: $got" \
	[ "$got" = AD"${NS_PID:+N}" ]
"$KPL" revert --all "$ID" >/dev/null 2>&1

# Bad filters change nothing.
expect_rc 2 "a filter without --all refused" \
	"$KPL" apply --keys "$TRUSTED" -p "$A" --user nobody "$PATCH"
check "it says to give --all" grep -q 'give --all too' "$T/cmd.err"
expect_rc 2 "an unknown --exclude key refused" \
	"$KPL" apply --all --keys "$TRUSTED" --exclude colour=red "$PATCH"
expect_rc 2 "a relative --exe refused" \
	"$KPL" apply --all --keys "$TRUSTED" --exe kpl-spin "$PATCH"
"$KPL" apply --all --keys "$TRUSTED" --user kpl-no-such-user "$PATCH" \
	>"$T/cmd.out" 2>"$T/cmd.err"
rc=$?
check "an unknown user refused (exit $rc)" [ "$rc" -ne 0 ]
check "it names the user" grep -q "no user named 'kpl-no-such-user'" "$T/cmd.err"
check "and nothing was patched" [ "$(with_patch)" = - ]
for p in $OURS; do
	check "pid $p still runs" alive "$p"
done
end_victim d "$D"
check "kpl-victim's registers and signals intact" [ $? -eq 0 ]
