#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make check-ansible: the kpatch_lite.fleet collection (ansible/) driven by
# Debian's ansible-core against 3 hosts this test creates on this machine
# (tests/ansible/host.sh: pid+mount+UTS namespaces, each with its own kpld,
# sshd on 127.0.0.1N and workload), reached over ssh as root:
#   1. the wave in check mode changes nothing and says what would change
#      (kpl check on every process; --diff before and after), and a patch
#      that kpl check refuses fails it;
#   2. the wave installs a patch on the 3 hosts (each host's kpl status,
#      inside its namespace, shows every kpl-spin patched);
#   3. a second run changes nothing (changed=0 on every host);
#   4. the module removes it everywhere, then changes nothing;
#   5. a wave whose patch crashes the canary's process is stopped by the
#      canary's quarantine before the other hosts get the patch.
# Everything is torn down on exit, failure included: no namespace, kpld or
# sshd is left.  KPL_LOCK=FILE is held (flock) while live processes are
# patched.  Needs root, ansible-playbook, sshd, KPL, KPLD (the binaries
# the hosts "install"), IT_DIR (fixtures), KPL_KEYS.
set -u
: "${KPL:?}" "${KPLD:?}" "${IT_DIR:?}" "${KPL_KEYS:?}"
here=$(cd "$(dirname "$0")" && pwd)
# Ansible looks a relative file up beside the playbook: make them absolute.
IT_DIR=$(cd "$IT_DIR" && pwd)
KPL_KEYS=$(cd "$KPL_KEYS" && pwd)
KPL=$(readlink -f "$KPL")
KPLD=$(readlink -f "$KPLD")
top=$(cd "$here/../.." && pwd)
PORT=${KPL_ANSIBLE_PORT:-2222}
NHOSTS=3
TAP_NAME=check-ansible
. "$here/../tap.sh"
for tool in ansible-playbook ansible ssh-keygen unshare nsenter; do
	command -v $tool >/dev/null || {
		echo "check-ansible: $tool is missing (make deps)" >&2
		exit 1
	}
done
[ -x /usr/sbin/sshd ] || {
	echo "check-ansible: /usr/sbin/sshd is missing (make deps)" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || { echo "check-ansible: run as root" >&2; exit 1; }

T=$(mktemp -d /tmp/kpl-ans.XXXXXX)
chmod 0755 "$T"
US=""	# each host's unshare process
teardown() {
	i=1
	for u in $US; do
		h=$(host_init $i)
		[ -n "$h" ] && kill -TERM "$h" 2>/dev/null
		i=$((i + 1))
	done
	for u in $US; do
		j=0
		while kill -0 "$u" 2>/dev/null && [ $j -lt 100 ]; do
			sleep 0.1
			j=$((j + 1))
		done
		kill -KILL "$u" 2>/dev/null
		wait "$u" 2>/dev/null
	done
	# No process of a host's namespace may outlive it.
	left=""
	for ns in $(cat "$T/ns" 2>/dev/null); do
		for p in /proc/[0-9]*; do
			[ "$(stat -Lc %i "$p/ns/pid" 2>/dev/null)" = "$ns" ] &&
				left="$left ${p#/proc/}"
		done
	done
	rm -rf "$T"
	if [ -n "$left" ]; then
		echo "not ok - processes of the hosts left behind:$left"
		exit 1
	fi
}
trap 'teardown' EXIT
trap 'exit 1' INT TERM

# host_init N: the global pid of host N's first process
host_init() {
	_u=$(echo $US | cut -d' ' -f"$1")
	[ -n "$_u" ] && tr -d ' ' <"/proc/$_u/task/$_u/children" 2>/dev/null
}
# in_host N CMD...: run CMD inside host N
in_host() {
	_h=$(host_init "$1")
	shift
	nsenter -t "$_h" -p -m -u "$@"
}

ssh-keygen -q -t ed25519 -N '' -f "$T/id" -C kpl-ansible-test
if [ -n "${KPL_LOCK:-}" ]; then
	exec 9>"$KPL_LOCK"
	flock 9
fi
echo "[kpl_fleet]" >"$T/hosts"
i=1
while [ $i -le $NHOSTS ]; do
	d=$T/h$i
	mkdir -p "$d"
	ssh-keygen -q -t ed25519 -N '' -f "$d/ssh_host_ed25519_key"
	cp "$T/id.pub" "$d/authorized_keys"
	unshare --fork --pid --mount --mount-proc --uts --propagation private \
		--kill-child sh "$here/host.sh" $i "127.0.0.1$i" "$PORT" "$d" \
		"$KPL" "$KPLD" "$IT_DIR" "$KPL_KEYS/trusted" \
		>"$d/host.log" 2>&1 &
	US="$US $!"
	echo "kplhost$i ansible_host=127.0.0.1$i" >>"$T/hosts"
	i=$((i + 1))
done
cat >>"$T/hosts" <<EOF2
[kpl_fleet:vars]
ansible_port=$PORT
ansible_user=root
ansible_ssh_private_key_file=$T/id
ansible_ssh_common_args=-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
ansible_python_interpreter=/usr/bin/python3
EOF2
i=1
while [ $i -le $NHOSTS ]; do
	j=0
	while [ ! -s "$T/h$i/ready" ] && [ $j -lt 300 ]; do
		sleep 0.1
		j=$((j + 1))
	done
	stat -Lc %i "/proc/$(host_init $i)/ns/pid" >>"$T/ns"
	i=$((i + 1))
done
check "3 hosts are up, each with its kpld and sshd" \
	sh -c "[ -s $T/h1/ready ] && [ -s $T/h2/ready ] && [ -s $T/h3/ready ]"

export ANSIBLE_COLLECTIONS_PATH="$top/ansible"
export ANSIBLE_HOST_KEY_CHECKING=False
export ANSIBLE_LOCAL_TEMP="$T/ansible-local"
export ANSIBLE_REMOTE_TEMP=/run/ansible-tmp
export ANSIBLE_SSH_CONTROL_PATH_DIR="$T/cp"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0
export ANSIBLE_INVENTORY="$T/hosts"
WAVE=kpatch_lite.fleet.wave
MOD=kpatch_lite.fleet.kpl_patch

j=0
until ansible kpl_fleet -m ansible.builtin.ping >"$T/ping.out" 2>&1 ||
	[ $j -ge 20 ]; do
	sleep 0.5
	j=$((j + 1))
done
check "ansible reaches the 3 hosts over ssh" \
	[ "$(grep -c SUCCESS "$T/ping.out")" = 3 ]
check "each host is its own (hostname inside)" sh -c \
	"ansible kpl_fleet -m ansible.builtin.command -a hostname 2>&1 |
	 grep -c '^kplhost[123]\$' | grep -qx 3"

# spins N: the pids of host N's kpl-spin processes, as the host numbers them
spins() { in_host "$1" pidof kpl-spin; }
# patched_all N ID: host N's own kpl status shows ID applied in each of
# its 2 kpl-spin processes
patched_all() {
	in_host "$1" kpl status >"$T/status$1.txt" 2>&1
	for p in $(spins "$1"); do
		grep -q "^pid $p: " "$T/status$1.txt" || return 1
	done
	[ "$(grep -cE "^  $2 +v[0-9]+ +applied" "$T/status$1.txt")" = 2 ]
}
# patched_none N ID: no process of host N runs ID
patched_none() {
	in_host "$1" kpl status --json >"$T/status$1.json" 2>&1 || return 1
	! grep -q "\"id\":\"$2\"" "$T/status$1.json"
}
# store N TEXT: host N's kpld store shows TEXT
store() { in_host "$1" kpl store 2>&1 | grep -q "$2"; }
not_in_store() { ! store "$1" "\"id\":\"$2\""; }
# changed N FILE: the play recap of FILE says changed=N for every host
changed() {
	[ "$(grep -cE "^kplhost[123] +: ok=[0-9]+ +changed=$1 " "$2")" = 3 ]
}
# canary_alone FILE: the first batch's install ran on kplhost1 only
canary_alone() {
	awk '/^TASK / { t = /^TASK \[Install it/; if (t) n++ }
	     t && n == 1 && /^(ok|changed|fatal): \[/' "$1" >"$T/batch1"
	grep -q kplhost1 "$T/batch1" && ! grep -q 'kplhost[23]' "$T/batch1"
}
# install_changed FILE: how many hosts the install task changed
install_changed() {
	awk '/^TASK / { t = /^TASK \[Install it/ } t && /^changed: \[/' "$1" |
		wc -l
}
wave() { # wave OUT FILE ID [ansible-playbook args]
	_o=$1 _f=$2 _id=$3
	shift 3
	ansible-playbook "$WAVE" -e kpl_patch_file="$_f" -e kpl_patch_id="$_id" \
		-e kpl_wave_poll=1 -e kpl_keys_dir=/run/kpl/keys "$@" \
		>"$T/$_o" 2>&1
}

# 1. Check mode: kpl check on every process, nothing changed.
wave check.out "$IT_DIR/spin1.kpl" SPIN-1 -e kpl_wave_wait=2 --check --diff
rc=$?
check "the wave in check mode succeeds (exit $rc)" [ $rc = 0 ]
check "it says the install would change every host" \
	[ "$(install_changed "$T/check.out")" = 3 ]
check "--diff shows each process before (old code) and after (patched)" \
	sh -c "grep -q '^-pid [0-9]* kpl-spin: old code' $T/check.out &&
	       grep -q '^+pid [0-9]* kpl-spin: patched' $T/check.out"
ansible kpl_fleet -m "$MOD" --check \
	-a "id=SPIN-1 src=/var/lib/kpatch-lite/incoming/SPIN-1.kpl keys=/run/kpl/keys" \
	>"$T/check-mod.out" 2>&1
check "check mode ran kpl check on both processes of every host" \
	[ "$(grep -c '"msg": "kpl check: SPIN-1 can be applied to pid' \
		"$T/check-mod.out")" = 6 ]
for i in 1 2 3; do
	check "host $i: after check mode nothing is patched" \
		patched_none $i SPIN-1
	check "host $i: nor in kpld's store" not_in_store $i SPIN-1
done
# A patch kpl check refuses (a symbol the library lacks) fails check mode.
wave check-bad.out "$IT_DIR/spin_missing.kpl" SPIN-MISSING \
	-e kpl_wave_wait=2 --check
rc=$?
check "the wave in check mode fails on a patch kpl check refuses (exit $rc)" \
	[ $rc != 0 ]
check "saying kpl check refuses it, on the canary" \
	grep -q 'kplhost1.*kpl check refuses SPIN-MISSING: pid' "$T/check-bad.out"
check "and stops there: no other host is asked" \
	sh -c "! grep -q 'kplhost[23].*kpl check refuses' $T/check-bad.out"

# 2. The wave: the canary alone, then the other two.
wave wave.out "$IT_DIR/spin1.kpl" SPIN-1 -e kpl_wave_wait=2 --diff
rc=$?
check "the wave installs SPIN-1 (exit $rc)" [ $rc = 0 ]
check "the canary's batch is the canary alone" canary_alone "$T/wave.out"
for i in 1 2 3; do
	check "host $i: kpl status inside shows both kpl-spin processes patched" \
		patched_all $i SPIN-1
	check "host $i: kpld's store: installed, active in 2 of 2" store $i \
		'"id":"SPIN-1","version":1,"state":"installed".*"active":2,"mapping":2'
done

# 3. Idempotence.
wave wave2.out "$IT_DIR/spin1.kpl" SPIN-1 -e kpl_wave_wait=2
rc=$?
check "a second wave succeeds (exit $rc)" [ $rc = 0 ]
check "and changes nothing (changed=0 on every host)" changed 0 "$T/wave2.out"

# 4. Removal.
ansible kpl_fleet -m "$MOD" -a "id=SPIN-1 state=absent" >"$T/rm.out" 2>&1
check "state=absent reverts SPIN-1 on every host" \
	[ "$(grep -c '^kplhost[123] | CHANGED' "$T/rm.out")" = 3 ]
for i in 1 2 3; do
	check "host $i: no process runs SPIN-1" patched_none $i SPIN-1
done
ansible kpl_fleet -m "$MOD" -a "id=SPIN-1 state=absent" >"$T/rm2.out" 2>&1
check "again: nothing to do" \
	[ "$(grep -c '^kplhost[123] | SUCCESS' "$T/rm2.out")" = 3 ]

# 5. A patch that crashes the canary's process.  The watch is long (a
# bound): it ends at the quarantine.  The crash is caused once kpld has
# answered that the install is done, so it has recorded the patched
# processes the watchdog attributes crashes by.
wave crash.out "$IT_DIR/spin_crash.kpl" SPIN-CRASH -e kpl_wave_wait=120 &
W=$!
j=0
until store 1 '"id":"SPIN-CRASH","version":1,"state":"installed"' ||
	[ $j -ge 600 ]; do
	sleep 0.2
	j=$((j + 1))
done
victim=$(spins 1 | cut -d' ' -f1)
in_host 1 kill -USR1 "$victim"
wait $W
rc=$?
check "the crash wave fails (exit $rc)" [ $rc != 0 ]
check "at the canary's quarantine" \
	grep -q '"quarantined": true' "$T/crash.out"
check "host 1: the watchdog quarantined SPIN-CRASH" \
	store 1 '"id":"SPIN-CRASH","version":1,"state":"quarantined"'
check "host 1: its other kpl-spin lives, SPIN-CRASH reverted from it" \
	patched_none 1 SPIN-CRASH
for i in 2 3; do
	check "host $i: never got SPIN-CRASH (not in its store)" \
		not_in_store $i SPIN-CRASH
	check "host $i: nor in any process" patched_none $i SPIN-CRASH
done

if [ "$failed" != 0 ]; then
	for f in "$T"/*.out; do
		echo "# --- ${f#$T/} (last 40 lines)"
		tail -40 "$f" | sed 's/^/# /'
	done
fi
finish
