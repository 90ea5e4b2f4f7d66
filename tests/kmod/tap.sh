# SPDX-License-Identifier: GPL-2.0
# TAP helpers for the scripts that run inside the VM (sourced from
# /root/tap.sh, which tools/vm/vm.mk copies into every guest): counters,
# ok / not_ok, and check, which turns a command's status into a test
# line with its duration and shows its output as TAP comments.

n=0
passed=0
failed=0

ok()
{
	n=$((n + 1))
	passed=$((passed + 1))
	echo "ok $n - $*"
}

not_ok()
{
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $*"
}

# check DESCRIPTION COMMAND...: one test line from a command's status;
# the command's output is shown as TAP comments.
check()
{
	desc=$1
	shift
	t0=$(cut -d' ' -f1 /proc/uptime)
	if out=$("$@" 2>&1); then
		ok "$desc ($(awk -v t="$t0" '{ printf "%.1f", $1 - t }' /proc/uptime) s)"
	else
		not_ok "$desc"
	fi
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'
}
