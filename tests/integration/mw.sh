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

# calls ID original|fixed: how often the vulnerable function ran that body
calls() {
	curl -s "$MW_URL/stats" |
		awk -v id="$1" -v w="$2=" '$1 == "calls:" && $3 == id {
			for (i = 4; i <= NF; i++) if (index($i, w) == 1)
				print substr($i, length(w) + 1) }'
}

# check_built ID FILE.kpl: kpl-build made FILE from fixes/ID.diff: signed,
# verified, replacing exactly the function the diff names
check_built() {
	"$KPL" info --keys "$TRUSTED" "$2" >"$T/$1.info" 2>&1
	_fn=$(sed -n 's/^# Function: [^:]*:\(.*\)$/\1/p' "$MW_SRC/fixes/$1.diff")
	check "$1 built from its diff: signed, verified, replaces exactly $_fn" \
		sh -c "grep -q 'verified with' '$T/$1.info' &&
		       [ \"\$(sed -n 's/^functions: *//p' '$T/$1.info')\" = 1 ] &&
		       grep -q '^  $_fn ' '$T/$1.info'"
}

# check_live_fix ID FILE.kpl: on the loaded server $P, ID's exploit works,
# FILE applies, the exploit is rejected and the diff's body is the one
# that ran
check_live_fix() {
	mw_exploit "$1"
	check "$1 exploit works on the running library ($MW_CODE)" \
		[ "$MW_VERDICT" = exploited ]
	expect_rc 0 "$1 applied under load" \
		"$KPL" apply --keys "$TRUSTED" -p "$P" "$2"
	_o0=$(calls "$1" original)
	_f0=$(calls "$1" fixed)
	mw_exploit "$1"
	check "$1 exploit rejected after apply ($MW_CODE: $(head -1 "$T/$1.out"))" \
		[ "$MW_VERDICT" = rejected ]
	_o1=$(calls "$1" original)
	_f1=$(calls "$1" fixed)
	check "$1: the diff's body ran (fixed $_f0 -> $_f1), the old one did not ($_o0 = $_o1)" \
		[ -n "$_f1" ] && [ "$_f1" -gt "$_f0" ] && [ "$_o0" = "$_o1" ]
}

# mw_css BODY: "CODE|first line of the answer" for a sheet posted to /css
mw_css() {
	curl -s -o "$T/css.out" -w '%{http_code}' --data-binary "$1" \
		"$MW_URL/css" >"$T/css.code"
	echo "$(cat "$T/css.code")|$(head -1 "$T/css.out")"
}
