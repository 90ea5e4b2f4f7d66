#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kpld's control socket against local users: clients
# that connect and close, that send a request and go away before the
# answer, an admin's Ctrl-C on `kpl install`, and 20 idle connections
# held by `nobody` (a member of the read group here) do not kill or stall
# kpld: root's `kpl store` answers and new processes are still patched.
. "$(dirname "$0")/lib.sh"
KPLD=${KPLD:?}
# A python3 that unprivileged users may run too.
PY=
for p in /usr/bin/python3 /usr/local/bin/python3; do [ -x "$p" ] && PY=$p && break; done
[ -n "$PY" ] || { ok "kpld api # SKIP no python3 in /usr"; exit 0; }

mkdir -p "$T/store"
cp "$IT_DIR/spin10.kpl" "$T/store/"
chmod 755 "$T"
export KPLD_SOCKET=$T/kpld.sock
printf 'read_group = nogroup\nrescan_ms = 200\n' >"$T/kpld.conf"
"$KPLD" --store "$T/store" --state "$T/state" --socket "$KPLD_SOCKET" \
	--keys "$TRUSTED" -c "$T/kpld.conf" >"$T/kpld.log" 2>&1 &
KPLD_PID=$!
PIDS="$PIDS $KPLD_PID"
i=0
while [ ! -S "$KPLD_SOCKET" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
check "kpld is up" [ -S "$KPLD_SOCKET" ]
check "the socket admits root and the read group only (0660 root:nogroup)" \
	[ "$(stat -c '%a %U %G' "$KPLD_SOCKET")" = "660 root nogroup" ]

# client MODE [REQUEST]: one connection; MODE close (close at once),
# send (send REQUEST, close without reading).  Exit 3 when refused.
cat >"$T/client.py" <<'PYEOF'
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(os.environ["KPLD_SOCKET"])
except PermissionError:
    sys.exit(3)
if sys.argv[1] == "send":
    s.sendall(sys.argv[2].encode() + b"\n")
s.close()
PYEOF
# hold N: keep N idle connections open, reopening those kpld drops,
# until killed; prints "held" once N are open
cat >"$T/hold.py" <<'PYEOF'
import socket, sys, os, time, select
n = int(sys.argv[1])
def one():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(os.environ["KPLD_SOCKET"])
    return s
conns = [one() for _ in range(n)]
print("held", flush=True)
while True:
    r, _, _ = select.select(conns, [], [], 0.2)
    for s in r:
        s.close()
        conns[conns.index(s)] = one()
    if r:
        time.sleep(0.05)
PYEOF

for i in 1 2 3 4 5 6 7 8 9 10; do "$PY" "$T/client.py" close; done
check "kpld survives 10 connect+close by root" alive "$KPLD_PID"
refused=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	setpriv --reuid=65533 --regid=65533 --clear-groups \
		env KPLD_SOCKET="$KPLD_SOCKET" "$PY" "$T/client.py" close
	[ $? -eq 3 ] && refused=$((refused + 1))
done
check "a user outside the read group cannot even connect (10 of 10)" \
	[ "$refused" -eq 10 ]
check "kpld survives it" alive "$KPLD_PID"
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$PY" "$T/client.py" send status
done
check "kpld survives 10 requests whose client left before the answer" \
	alive "$KPLD_PID"

start_spin a || exit 1
A=$SPIN_PID
setpriv --reuid=65534 --regid=65534 --init-groups \
	env KPLD_SOCKET="$KPLD_SOCKET" "$PY" "$T/hold.py" 20 \
	>"$T/held" 2>"$T/hold.err" &
H=$!
PIDS="$PIDS $H"
i=0
while [ ! -s "$T/held" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
check "nobody holds 20 idle connections" [ -s "$T/held" ]
timeout 60 "$KPL" store >"$T/store.json" 2>"$T/store.err"
check "root's kpl store answers meanwhile" grep -q '"ok":true' "$T/store.json"
expect_rc 0 "root's kpl install SPIN-10 is served meanwhile" \
	timeout 60 "$KPL" install SPIN-10
check "the running process is patched" grep -q 'kpl:SPIN-10' "/proc/$A/maps"
start_spin b || exit 1
B=$SPIN_PID
k=0
until grep -q 'kpl:SPIN-10' "/proc/$B/maps" || [ $k -gt 300 ]; do
	sleep 0.1; k=$((k + 1))
done
check "a process started meanwhile is patched by the rescan" \
	grep -q 'kpl:SPIN-10' "/proc/$B/maps"
check "nobody's idle holder is still running" alive "$H"
check "clients past the read group's share are refused, and logged" \
	grep -q 'uid 65534: refused: busy' "$T/kpld.log"
k=0
until grep -q 'uid 65534: dropped: sent no request' "$T/kpld.log" || [ $k -gt 100 ]; do
	sleep 0.1; k=$((k + 1))
done
check "idle clients are dropped at their deadline, and logged" \
	grep -q 'uid 65534: dropped: sent no request' "$T/kpld.log"
kill "$H"

# An admin's Ctrl-C: kpl goes while kpld works on its request.
"$KPL" uninstall SPIN-10 >/dev/null 2>&1 &
U=$!
kill -INT "$U"
wait "$U" 2>/dev/null
"$PY" "$T/client.py" send "install SPIN-10"
"$PY" "$T/client.py" send "revert SPIN-10"
check "kpld survives a Ctrl-C of kpl uninstall and clients gone mid-request" \
	alive "$KPLD_PID"
expect_rc 0 "and still answers" "$KPL" store
check "nothing killed kpld: no SIGPIPE" sh -c "! grep -qi 'broken pipe' '$T/kpld.log'"
check "targets alive" sh -c "kill -0 $A && kill -0 $B"
kill -TERM "$KPLD_PID"
