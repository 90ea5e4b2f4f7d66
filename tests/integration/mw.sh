# SPDX-License-Identifier: GPL-2.0
# miniweb-server helpers shared by the demo and the integration tests.
# Needs: MW_BIN (directory with miniweb-server), MW_SRC (tests/targets),
# a writable $T.

MW_IDS="MW-2026-0001 MW-2026-0002 MW-2026-0003"
# libmwcss's (C++) fixes, built by kpl-build from their diffs; POST /css
CSS_IDS="CSS-2026-0001 CSS-2026-0002"

# mw_start [threads] [name]: start a server on a free port; sets MW_PID
# and MW_URL (files $T/NAME.port and $T/NAME.log, NAME default "mw")
mw_start() {
	n_=${2:-mw}
	rm -f "$T/$n_.port"
	"$MW_BIN/miniweb-server" --port 0 --threads "${1:-8}" \
		--ready-file "$T/$n_.port" >"$T/$n_.log" 2>&1 &
	MW_PID=$!
	PIDS="${PIDS:-} $MW_PID"
	_w=0
	while [ ! -s "$T/$n_.port" ]; do
		_w=$((_w + 1))
		if [ $_w -gt 200 ] || ! kill -0 "$MW_PID" 2>/dev/null; then
			echo "miniweb-server did not start:" >&2
			cat "$T/$n_.log" >&2
			return 1
		fi
		sleep 0.05
	done
	MW_URL="http://127.0.0.1:$(cat "$T/$n_.port")"
}

# mw_exploit ID: send the exploit (CSS-*: a style sheet to /css, else
# HTML to /tokenize); sets MW_VERDICT to "exploited", "rejected" or
# "unexpected", MW_CODE to the HTTP status; body in $T/ID.out
mw_exploit() {
	case $1 in
	CSS-*) set -- "$1" css css ;;
	*) set -- "$1" html tokenize ;;
	esac
	MW_CODE=$(curl -s -m 10 -o "$T/$1.out" -w '%{http_code}' \
		--data-binary "@$MW_SRC/exploits/$1.$2" "$MW_URL/$3")
	if [ "$MW_CODE" = 400 ]; then
		MW_VERDICT=rejected
	elif [ "$MW_CODE" = 500 ] && grep -q '^corruption detected' "$T/$1.out"; then
		MW_VERDICT=exploited
	elif [ "$MW_CODE" = 200 ] && grep -q 'MWSECRET' "$T/$1.out"; then
		MW_VERDICT=exploited
	else
		MW_VERDICT=unexpected
	fi
}

# mw_symptom ID: one line saying what the exploit did
mw_symptom() {
	if grep -q '^corruption detected' "$T/$1.out"; then
		head -1 "$T/$1.out"
	elif grep -q 'MWSECRET' "$T/$1.out"; then
		echo "leaked $(grep -o 'nonce-MWSECRET{[^}]*}' "$T/$1.out" | head -1)"
	else
		head -1 "$T/$1.out"
	fi
}

# wrk_start SECONDS: mixed normal traffic in the background; WRK_PID
wrk_start() {
	wrk -t2 -c32 -d"$1"s --timeout 10s -s "$MW_SRC/tests/wrk-mix.lua" \
		"$MW_URL" >"$T/wrk.out" 2>&1 &
	WRK_PID=$!
}

# wrk_result: after `wait $WRK_PID`, print "REQUESTS FAILED"
wrk_result() {
	req=$(awk '/requests in/ { print $1 }' "$T/wrk.out")
	non2xx=$(awk '/Non-2xx/ { print $NF }' "$T/wrk.out")
	sock=$(awk -F'[ ,]+' '/Socket errors/ { print $4 + $6 + $8 + $10 }' "$T/wrk.out")
	echo "${req:-0} $(( ${non2xx:-0} + ${sock:-0} ))"
}
