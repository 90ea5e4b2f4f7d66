# shellcheck shell=sh
# shellcheck disable=SC2154 # case, name, w: set by the sourcing script
# SPDX-License-Identifier: GPL-2.0
# Shared by the builder tests (run.sh, buildsys.sh): TAP-style results
# (tests/tap.sh), the case's expect file, and live(): apply $w/patch.kpl
# to a running $w/host (host.c linking the library as shipped, or the
# case's own program when $program is set), probe kb_probe() before,
# after and after revert; apply_refused(): a patch the process must
# refuse.  Sourced from the repository root with TAP_NAME, $case (the
# case directory), $name, $w (its scratch directory), $KPL and $KPL_KEYS
# set.
# shellcheck source=tests/tap.sh
. tests/tap.sh
HOSTS=""
trap 'for p in $HOSTS; do kill "$p" 2>/dev/null; done' EXIT INT TERM

expect() { sed -n "s/^$1 //p" "$case/expect"; }

# probe: one answer of kb_probe() from the running host
probe() {
	before=$(wc -l <"$w/host.out")
	if [ "$(expect probe-threads)" = yes ]; then echo t; else echo p; fi >&3
	i=0
	while [ "$(wc -l <"$w/host.out")" -le "$before" ]; do
		i=$((i + 1))
		[ $i -gt 1000 ] && { echo "(no answer)"; return; }
		sleep 0.01
	done
	tail -1 "$w/host.out"
}

start_host() {
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
}

stop_host() {
	echo q >&3
	exec 3>&-
	wait "$hp" 2>/dev/null
}

# apply_refused TEXT PATCH: a live process refuses PATCH, saying TEXT,
# with exit status 3 (a patch the process cannot take) unless the
# expect file says otherwise (apply-exit N).
apply_refused() {
	start_host
	"$KPL" apply --keys "$KPL_KEYS/trusted" -p "$hp" "$2" \
		>"$w/apply.out" 2>&1
	rc=$?
	want_rc=$(expect apply-exit)
	check "$name: kpl apply refuses it (exit $rc)" [ "$rc" = "${want_rc:-3}" ]
	check "$name: kpl apply says \"$1\"" grep -qF -- "$1" "$w/apply.out"
	check "$name: no patch mapped in the process" \
		sh -c "! grep -q kpl: /proc/$hp/maps"
	p1=$(probe)
	check "$name: still answers as before: $p1" \
		[ "$p1" = "$(expect probe-before)" ]
	stop_host
}

live() {
	start_host
	# A program is found by its build-id, as an admin would find it.
	who="-p $hp"
	[ -n "${program:-}" ] && who=--all
	# shellcheck disable=SC2086 # -p PID or --all
	if "$KPL" apply --keys "$KPL_KEYS/trusted" $who "$w/patch.kpl" \
		>"$w/apply.out" 2>&1; then
		p1=$(probe)
		check "$name: applied live: $p1" [ "$p1" = "$(expect probe-after)" ]
		if [ -n "${program:-}" ]; then
			check "$name: kpl status shows the patch in the program" \
				sh -c "'$KPL' status -p $hp | grep -q 'KB-$name .* applied'"
		fi
		# shellcheck disable=SC2086 # -p PID or --all
		"$KPL" revert $who "KB-$name" >"$w/revert.out" 2>&1
		p2=$(probe)
		want=$(expect probe-reverted)
		check "$name: reverted: $p2" [ "$p2" = "${want:-$p0}" ]
	else
		notok "$name: kpl apply failed:"
		sed 's/^/#   /' "$w/apply.out"
	fi
	stop_host
}
