# SPDX-License-Identifier: GPL-2.0
# kpld helpers for the integration tests: start it on $T/store and a
# state directory, stop or kill it, wait for `kpl store` to show a text,
# and append a framed journal record by hand.  Needs lib.sh, KPLD.

KPLD=${KPLD:?}
export KPLD_SOCKET=$T/kpld.sock
KPLD_STATE=${KPLD_STATE:-$T/state}

# start_kpld [ENV=VALUE...]: start kpld (env for it), wait for its socket
start_kpld() {
	rm -f "$KPLD_SOCKET"
	env "$@" "$KPLD" --store "$T/store" --state "$KPLD_STATE" \
		--socket "$KPLD_SOCKET" --keys "$TRUSTED" -c "$T/kpld.conf" \
		>>"$T/kpld.log" 2>&1 &
	KPLD_PID=$!
	PIDS="$PIDS $KPLD_PID"
	_i=0
	while [ ! -S "$KPLD_SOCKET" ] && [ $_i -lt 200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
}

stop_kpld() {
	kill -TERM "$KPLD_PID" 2>/dev/null
	wait "$KPLD_PID" 2>/dev/null
}

# wait_kpld_exit: wait for kpld to end by itself; its status in KPLD_RC
wait_kpld_exit() {
	wait "$KPLD_PID" 2>/dev/null
	KPLD_RC=$?
}

# wait_store TEXT [TENTHS]: until `kpl store` shows TEXT (TENTHS tenths
# of a second at most, 200 by default)
wait_store() {
	_i=0
	while [ $_i -lt "${2:-200}" ]; do
		"$KPL" store >"$T/store.json" 2>/dev/null
		grep -q "$1" "$T/store.json" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# frame PAYLOAD: the journal line for PAYLOAD (docs/kpld.md)
frame() {
	printf 'kj1 %s %s %s\n' "${#1}" \
		"$(printf %s "$1" | cksum | cut -d' ' -f1)" "$1"
}

# has_patch PID ID: the process's own record says ID is applied
has_patch() {
	"$KPL" status -p "$1" 2>/dev/null | grep -q "$2 .*applied"
}
no_patch() { ! has_patch "$@"; }
