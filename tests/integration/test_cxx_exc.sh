#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# C++ exceptions in patch code, on the C++ target under load (issue 13.3).
# CSS-EXC (fixtures/css_exc.diff, built by `kpl-build build`) replaces
# three libmwcss functions: Parser::value() throws (a new "string too
# long", with a std::string to destroy), mwcss::parse() is unwound through
# (its parser and rules are destroyed on the way), and mwcss_sheet_parse()
# catches ParseError, now prefixing "css: ".  While wrk sends normal
# traffic and two loops send sheets the parser rejects, the patch is
# applied and reverted: every rejected sheet must get its 400 with one of
# the two messages, never a dead server (std::terminate), and the
# messages must say which code caught it.
. "$(dirname "$0")/lib.sh"
MW_BIN=${MW_BIN:?}
MW_SRC=tests/targets
. "$(dirname "$0")/mw.sh"
PATCH=$IT_DIR/css_exc.kpl

LONG="a { content: \"$(printf '%0120d' 0)\" }"
UNTERM='a { color: "x'
BADVAL='a { color: @ }'
GOOD='p { color: #abc }'

# bad_load N: post the rejected sheets until $T/stop exists; every answer
# that is not a 400 with the original or the patched message goes to
# $T/bad.N, the count of answers to $T/n.N
bad_load() {
	_i=0
	: >"$T/bad.$1"
	while [ ! -e "$T/stop" ]; do
		r=$(curl -s -w '|%{http_code}' --data-binary "$UNTERM" "$MW_URL/css")
		case $r in
		"error: unterminated string"*"|400" | \
			"error: css: unterminated string"*"|400") ;;
		*) echo "unterminated: $r" >>"$T/bad.$1" ;;
		esac
		r=$(curl -s -w '|%{http_code}' --data-binary "$BADVAL" "$MW_URL/css")
		case $r in
		"error: unexpected character in a value"*"|400" | \
			"error: css: unexpected character in a value"*"|400") ;;
		*) echo "bad value: $r" >>"$T/bad.$1" ;;
		esac
		_i=$((_i + 2))
		echo "$_i" >"$T/n.$1"
	done
}

"$KPL" info --keys "$TRUSTED" "$PATCH" >"$T/info" 2>&1
check "CSS-EXC replaces the function that catches, one that throws, one unwound through" \
	sh -c "grep -q 'mwcss_sheet_parse' '$T/info' &&
		grep -q '_ZN5mwcss12_GLOBAL__N_16Parser5valueEv' '$T/info' &&
		grep -q '_ZN5mwcss5parseERNS_5SheetEPKcm' '$T/info'"

mw_start 8 || exit 1
P=$MW_PID
file_maps "$P" >"$T/maps.0"
check "before: an unterminated string is a 400 from the library's handler" \
	[ "$(mw_css "$UNTERM")" = "400|error: unterminated string" ]
check "before: a long string is accepted" \
	[ "$(mw_css "$LONG" | cut -d'|' -f1)" = 200 ]

wrk_start 10
bad_load 1 &
L1=$!
bad_load 2 &
L2=$!
PIDS="$PIDS $L1 $L2"
sleep 1
expect_rc 0 "CSS-EXC applied under load" \
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$PATCH"
check "thrown by unpatched code, through the patched parse(), caught by the patched handler" \
	[ "$(mw_css "$BADVAL")" = "400|error: css: unexpected character in a value" ]
check "thrown in patch code, through patch and library frames, caught by the patched handler" \
	[ "$(mw_css "$UNTERM")" = "400|error: css: unterminated string" ]
check "the new error, thrown in patch code after a std::string grew, is caught" \
	[ "$(mw_css "$LONG")" = "400|error: css: string too long" ]
check "a good sheet still renders" [ "$(mw_css "$GOOD" | cut -d'|' -f1)" = 200 ]

# A hundred more rejected sheets of each kind with the patch in, under load.
fails=0
i=0
while [ $i -lt 100 ]; do
	[ "$(mw_css "$LONG")" = "400|error: css: string too long" ] ||
		fails=$((fails + 1))
	[ "$(mw_css "$UNTERM")" = "400|error: css: unterminated string" ] ||
		fails=$((fails + 1))
	i=$((i + 1))
done
check "200 exceptions thrown and caught in patch code ($fails wrong answers)" \
	[ $fails -eq 0 ]
check "no std::terminate: server alive" alive "$P"

expect_rc 0 "CSS-EXC reverted under load" "$KPL" revert -p "$P" CSS-EXC
check "after the revert, the library's handler answers again" \
	[ "$(mw_css "$UNTERM")" = "400|error: unterminated string" ]
check "and a long string is accepted again" \
	[ "$(mw_css "$LONG" | cut -d'|' -f1)" = 200 ]

# Again, ten times, while the loops keep throwing.
fails=0
i=0
while [ $i -lt 10 ]; do
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$PATCH" >"$T/c.log" 2>&1 ||
		{ fails=$((fails + 1)); sed 's/^/# /' "$T/c.log"; }
	"$KPL" revert -p "$P" CSS-EXC >"$T/c.log" 2>&1 ||
		{ fails=$((fails + 1)); sed 's/^/# /' "$T/c.log"; }
	i=$((i + 1))
done
check "10 more apply/revert cycles under throwing load ($fails failures)" \
	[ $fails -eq 0 ]
touch "$T/stop"
wait "$L1" "$L2"
n1=$(cat "$T/n.1" 2>/dev/null || echo 0)
n2=$(cat "$T/n.2" 2>/dev/null || echo 0)
cat "$T/bad.1" "$T/bad.2" | head -5 | sed 's/^/# /'
check "the throwing loops: $((n1 + n2)) rejected sheets, each a 400 with its message" \
	[ $((n1 + n2)) -gt 0 -a ! -s "$T/bad.1" -a ! -s "$T/bad.2" ]
wait "$WRK_PID"
set -- $(wrk_result)
check "load generator: $1 requests, $2 failed" [ "$1" -gt 0 ] && [ "$2" = 0 ]
check "server alive, never terminated" \
	sh -c "kill -0 $P && ! grep -q 'terminate called' '$T/mw.log'"
file_maps "$P" >"$T/maps.1"
check "file mappings back to the pre-patch set" cmp -s "$T/maps.0" "$T/maps.1"
check "no patch mapping left" [ "$(grep -c '/memfd:kpl:' "/proc/$P/maps")" -eq 0 ]
