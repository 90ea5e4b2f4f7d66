# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0
# TAP-style results for the test scripts that run on the host (the
# builder, Debian package and source package checks).  Set TAP_NAME
# before sourcing; it names the suite in the summary line.
#
#   ok DESC              a passing test line
#   notok DESC           a failing test line
#   check DESC CMD...    ok or notok from CMD's exit status (CMD's output
#                        is left alone)
#   finish               prints "$TAP_NAME: N passed, M failed" and exits,
#                        non-zero if anything failed
#
# The counters are $n (tests so far) and $failed (failures so far).
# The scripts in the VM have their own, tests/kmod/tap.sh.

: "${TAP_NAME:?set TAP_NAME before sourcing tests/tap.sh}"
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # check DESCRIPTION COMMAND...
	_tap_d=$1
	shift
	if "$@"; then ok "$_tap_d"; else notok "$_tap_d"; fi
}
finish() {
	echo "$TAP_NAME: $((n - failed)) passed, $failed failed"
	[ "$failed" -eq 0 ] && exit 0
	exit 1
}
