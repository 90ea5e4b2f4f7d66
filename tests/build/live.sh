# shellcheck shell=sh
# shellcheck disable=SC2154 # case, name, w: set by the sourcing script
# SPDX-License-Identifier: GPL-2.0
# Shared by the builder tests (run.sh, buildsys.sh): TAP-style results,
# the case's expect file, and live(): apply $w/patch.kpl to a running
# $w/host (host.c linking the library as shipped), probe kb_probe()
# before, after and after revert.  Sourced from the repository root with
# $case (the case directory), $name, $w (its scratch directory), $KPL and
# $KPL_KEYS set.
n=0
failed=0
HOSTS=""
trap 'for p in $HOSTS; do kill "$p" 2>/dev/null; done' EXIT INT TERM

ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # check DESCRIPTION COMMAND...
	d=$1
	shift
	if "$@"; then ok "$d"; else notok "$d"; fi
}
expect() { sed -n "s/^$1 //p" "$case/expect"; }

# probe: one answer of kb_probe() from the running host
probe() {
	before=$(wc -l <"$w/host.out")
	echo p >&3
	i=0
	while [ "$(wc -l <"$w/host.out")" -le "$before" ]; do
		i=$((i + 1))
		[ $i -gt 1000 ] && { echo "(no answer)"; return; }
		sleep 0.01
	done
	tail -1 "$w/host.out"
}

live() {
	rm -f "$w/in" && mkfifo "$w/in"
	"$w/host" <"$w/in" >"$w/host.out" 2>&1 &
	hp=$!
	HOSTS="$HOSTS $hp"
	exec 3>"$w/in"
	i=0
	while ! grep -q '^ready' "$w/host.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 1000 ] && break
		sleep 0.01
	done
	p0=$(probe)
	check "$name: before the patch: $p0" [ "$p0" = "$(expect probe-before)" ]
	if "$KPL" apply --keys "$KPL_KEYS/trusted" -p "$hp" "$w/patch.kpl" \
		>"$w/apply.out" 2>&1; then
		p1=$(probe)
		check "$name: applied live: $p1" [ "$p1" = "$(expect probe-after)" ]
		"$KPL" revert -p "$hp" "KB-$name" >"$w/revert.out" 2>&1
		p2=$(probe)
		want=$(expect probe-reverted)
		check "$name: reverted: $p2" [ "$p2" = "${want:-$p0}" ]
	else
		notok "$name: kpl apply failed:"
		sed 's/^/#   /' "$w/apply.out"
	fi
	echo q >&3
	exec 3>&-
	wait "$hp" 2>/dev/null
}
