#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Drive a real miniweb-server on an ephemeral 127.0.0.1 port: normal
# requests, partial reads, each exploit (twice, to show the process
# survives and stays exploitable), a short wrk run with zero errors, and a
# clean SIGTERM shutdown.
#
# usage: server-test.sh OUTDIR vulnerable|fixed [LIBDIR]
#   vulnerable: exploits must misbehave visibly (500 corrupted, leak)
#   fixed:      run against LIBDIR's libminiweb and libmwcss (LIBDIR may
#               be a list, a:b); exploits must get 400
set -eu

out=$1
mode=$2
libdir=${3:-}
exploits=tests/targets/exploits
here=$(dirname "$0")
tmp=$(mktemp -d)
pid=
fail=0

cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || :
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() {
	echo "  ok: $*"
}

bad() {
	echo "  FAIL: $*" >&2
	fail=1
}

# req EXPECTED-STATUS CURL-ARGS...: status, headers and body in $tmp
req() {
	want=$1
	shift
	code=$(curl -sS --max-time 30 -o "$tmp/body" -D "$tmp/hdr" \
		-w '%{http_code}' "$@") || code=curl-failed
	[ "$code" = "$want" ]
}

body_has() {
	grep -qF -- "$1" "$tmp/body"
}

hdr_has() {
	tr -d '\r' <"$tmp/hdr" | grep -qiF -- "$1"
}

alive() {
	if req 200 "$base/health" && body_has ok; then
		ok "server alive after $1"
	else
		bad "server not answering after $1"
	fi
}

echo "server-test: $mode${libdir:+ (LD_LIBRARY_PATH=$libdir)}"
if [ -n "$libdir" ]; then
	LD_LIBRARY_PATH=$libdir
	export LD_LIBRARY_PATH
fi
"$out/miniweb-server" --port 0 --threads 8 --ready-file "$tmp/ready" \
	--pid-file "$tmp/pid" >"$tmp/log" 2>&1 &
pid=$!
unset LD_LIBRARY_PATH
i=0
while [ ! -s "$tmp/ready" ]; do
	if ! kill -0 "$pid" 2>/dev/null || [ $i -ge 300 ]; then
		cat "$tmp/log" >&2
		echo "server-test: miniweb-server did not start" >&2
		exit 1
	fi
	sleep 0.1
	i=$((i + 1))
done
port=$(cat "$tmp/ready")
base=http://127.0.0.1:$port
grep -q "listening on 127.0.0.1:$port" "$tmp/log" || bad "no listening line"
[ "$(cat "$tmp/pid")" = "$pid" ] || bad "pid file does not hold $pid"
ok "listening on 127.0.0.1:$port"

# normal behaviour
req 200 "$base/health" && body_has ok && hdr_has "X-Miniweb-Status: ok" &&
	ok "GET /health" || bad "GET /health"
req 200 "$base/" && body_has "POST /tokenize" && ok "GET /" || bad "GET /"
req 200 "$base/url?u=HTTP%3A%2F%2FUser@WWW.Example.COM.%3A80%2Fa%2F.%2Fb%2F..%2Fc%3Fq%3D1" &&
	body_has "href: http://User@www.example.com/a/c?q=1" &&
	ok "GET /url" || bad "GET /url"
req 200 --data-binary 'https://xn--bcher-kva.example:8443/%7e/x' "$base/url" &&
	body_has "href: https://xn--bcher-kva.example:8443/~/x" &&
	ok "POST /url" || bad "POST /url"
req 200 --data-binary '<p class=x>Hi &amp; <a href="HTTP://X.com/./a">l</a>' \
	"$base/tokenize" && body_has "text: Hi & l" &&
	body_has 'tag: a href="HTTP://X.com/./a"' &&
	body_has "link: http://x.com/a" && ok "POST /tokenize" ||
	bad "POST /tokenize"
req 200 --data-binary 'x * 2 + 1' "$base/eval?x=5" && body_has "result: 11" &&
	ok "POST /eval" || bad "POST /eval"
req 200 "$base/eval?e=max(2%2C3)*4" && body_has "result: 12" &&
	ok "GET /eval" || bad "GET /eval"
req 200 --data-binary 'COLOR: Red; width: calc(2 * 8px) !important' \
	"$base/style" && body_has "color: #ff0000" &&
	body_has "width: 16px !important" && ok "POST /style" ||
	bad "POST /style"
req 200 --data-binary '/* page */ @palette #abc, 2px; h1, .x > p { color: #F00; font-family: "A \"b\"", serif !important } a { margin: palette(1) -1.5em }' \
	"$base/css" && body_has "rules: 2" && body_has "colors: 1" &&
	body_has 'h1, .x > p { color: #ff0000; font-family: "A \x5c"b\x5c"", serif !important; }' &&
	body_has "a { margin: 2px -1.5em; }" && ok "POST /css" ||
	bad "POST /css: $(head -c 300 "$tmp/body")"
req 400 --data-binary 'a { color: palette(2) }' "$base/css" &&
	body_has "error: palette index out of range" &&
	ok "POST /css: bad palette index rejected" ||
	bad "POST /css: bad palette index: $(head -c 300 "$tmp/body")"
req 400 --data-binary '1/0' "$base/eval" && body_has "error: division by zero" &&
	hdr_has "X-Miniweb-Status: rejected" && ok "library error is 400" ||
	bad "library error is not 400"
req 404 "$base/nope" && ok "404" || bad "unknown path is not 404"
req 405 -X DELETE "$base/health" && ok "405" || bad "DELETE is not 405"
# several requests on one keep-alive connection
if curl -v -sS --max-time 30 "$base/health" "$base/eval?e=1%2B1" \
	"$base/health" >"$tmp/body" 2>"$tmp/err" &&
	[ "$(grep -c ok "$tmp/body")" = 2 ] && body_has "result: 2" &&
	[ "$(grep -ci "re-using existing connection" "$tmp/err")" = 2 ]; then
	ok "keep-alive"
else
	bad "keep-alive"
fi
head -c 3000 /dev/zero | tr '\0' x >"$tmp/big"
if curl -v -sS --max-time 30 -H 'Expect: 100-continue' \
	--data-binary "@$tmp/big" "$base/tokenize" >"$tmp/body" \
	2>"$tmp/err" && grep -q "< HTTP/1.1 100 Continue" "$tmp/err" &&
	body_has "text-bytes: 3000"; then
	ok "Expect: 100-continue"
else
	bad "Expect: 100-continue"
fi
# a request dribbled in small pieces
python3 - "$port" >"$tmp/body" <<'PY' || :
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
body = b"min(7, 3) * 10"
req = (b"POST /eval HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
       b"Connection: close\r\n\r\n" % len(body)) + body
for i in range(0, len(req), 7):
    s.sendall(req[i:i + 7])
    time.sleep(0.01)
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode("latin-1"))
PY
body_has "HTTP/1.1 200 OK" && body_has "result: 30" &&
	ok "partial reads" || bad "partial reads"

# exploits, twice each
expect_exploit() {
	id=$1
	shift
	if [ "$mode" = fixed ]; then
		req 400 "$@" && hdr_has "X-Miniweb-Status: rejected" &&
			body_has "error: $reject" &&
			ok "$id rejected: $(head -1 "$tmp/body")" ||
			bad "$id not rejected ($code): $(head -c 300 "$tmp/body")"
	elif [ "$vuln" = leak ]; then
		req 200 "$@" && body_has "MWSECRET{" &&
			ok "$id leaks: $(grep -o 'nonce-MWSECRET{[^}]*}' \
				"$tmp/body" | head -1)" ||
			bad "$id did not leak ($code)"
	else
		req 500 "$@" && hdr_has "X-Miniweb-Status: corrupted" &&
			body_has "corruption detected" &&
			ok "$id corrupts: $(head -1 "$tmp/body")" ||
			bad "$id did not corrupt ($code): $(head -c 300 "$tmp/body")"
	fi
}

long=$(head -c 300 /dev/zero | tr '\0' a)
for round in 1 2; do
	vuln=corrupt reject="decoded text too long"
	expect_exploit MW-2026-0001 \
		--data-binary "@$exploits/MW-2026-0001.html" "$base/tokenize"
	alive "MW-2026-0001 (round $round)"
	reject="invalid host"
	expect_exploit MW-2026-0002 \
		--data-binary "@$exploits/MW-2026-0002.html" "$base/tokenize"
	expect_exploit "MW-2026-0002 via /url" \
		"$base/url?u=http://$long.example/"
	alive "MW-2026-0002 (round $round)"
	vuln=leak reject="unterminated attribute value"
	expect_exploit MW-2026-0003 \
		--data-binary "@$exploits/MW-2026-0003.html" "$base/tokenize"
	alive "MW-2026-0003 (round $round)"
	vuln=leak reject="palette index out of range"
	expect_exploit CSS-2026-0001 \
		--data-binary "@$exploits/CSS-2026-0001.css" "$base/css"
	alive "CSS-2026-0001 (round $round)"
	vuln=corrupt reject="declaration too long"
	expect_exploit CSS-2026-0002 \
		--data-binary "@$exploits/CSS-2026-0002.css" "$base/css"
	alive "CSS-2026-0002 (round $round)"
done

req 200 "$base/stats" || bad "GET /stats"
for fn in miniweb_entity_decode host_copy_labels scan_quoted \
	Sheet::palette_at StringValue::serialize; do
	line=$(grep "^calls: $fn " "$tmp/body" || :)
	case "$mode:$line" in
	vulnerable:*original=0*) bad "stats: $line" ;;
	vulnerable:*fixed=0) ok "stats: $line" ;;
	fixed:*original=0\ fixed=0) bad "stats: $line" ;;
	fixed:*original=0\ fixed=*) ok "stats: $line" ;;
	*) bad "stats: $fn: '$line'" ;;
	esac
done

# load: zero non-2xx responses and zero socket errors
wrk -t2 -c32 -d2s --timeout 10s -s "$here/wrk-mix.lua" "$base" >"$tmp/wrk" 2>&1 ||
	bad "wrk failed"
nreq=$(awk '/requests in/ { print $1 }' "$tmp/wrk")
if [ -n "$nreq" ] && [ "$nreq" -gt 0 ] &&
	! grep -Eq 'Non-2xx|Socket errors' "$tmp/wrk"; then
	ok "wrk: $nreq requests in 2s, no errors"
else
	cat "$tmp/wrk" >&2
	bad "wrk reported errors"
fi
alive "wrk"

kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
if kill -0 "$pid" 2>/dev/null; then
	bad "still running 30s after SIGTERM"
else
	status=0
	wait "$pid" || status=$?
	pid=
	if [ $status -eq 0 ] && grep -q "shutting down" "$tmp/log" &&
		[ ! -e "$tmp/pid" ] && [ ! -e "$tmp/ready" ]; then
		ok "clean shutdown on SIGTERM"
	else
		bad "shutdown: exit status $status"
	fi
fi

if [ $fail -ne 0 ]; then
	echo "server-test: $mode: FAILED" >&2
	exit 1
fi
echo "server-test: $mode: all checks passed"
