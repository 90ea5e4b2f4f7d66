#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Bad input gets a clear error, a non-zero exit and changes nothing.
. "$(dirname "$0")/lib.sh"

start_spin r --threads 4 || exit 1
P=$SPIN_PID
maps "$P" >"$T/maps.0"

expect_rc 4 "wrong build-id refused" "$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin_wrongbuild.kpl"
check "error names the build-id" grep -q 'build-id mismatch' "$T/cmd.err"
expect_rc 4 "missing symbol refused" "$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin_missing.kpl"
check "error names the symbol" grep -q "spin_no_such_function" "$T/cmd.err"

head -c 300 "$IT_DIR/spin10.kpl" >"$T/trunc.kpl"
expect_rc 3 "truncated patch refused" "$KPL" apply --keys "$TRUSTED" -p "$P" "$T/trunc.kpl"
printf 'not an elf file at all\n' >"$T/junk.kpl"
expect_rc 3 "non-ELF patch refused" "$KPL" apply --keys "$TRUSTED" -p "$P" "$T/junk.kpl"
expect_rc 3 "missing patch file refused" "$KPL" apply --keys "$TRUSTED" -p "$P" "$T/nope.kpl"
expect_rc 2 "bad pid refused" "$KPL" apply --keys "$TRUSTED" -p abc "$IT_DIR/spin10.kpl"

# --jobs and --timeout are read like the pid: all of the value, in range,
# or a usage error naming the option (they were atoi()ed: "2x" was 2,
# "abc" 0, "-5" a negative timeout).
for bad in "--jobs 2x" "--jobs 0" "--jobs abc" "--timeout -5" \
	"--timeout 10s" "--timeout 99999999999"; do
	# shellcheck disable=SC2086
	expect_rc 2 "apply $bad refused" "$KPL" apply --keys "$TRUSTED" \
		--all $bad "$IT_DIR/spin10.kpl"
	check "apply $bad: the error names ${bad%% *}" \
		grep -q "invalid ${bad%% *} '" "$T/cmd.err"
done
# shellcheck disable=SC2086
expect_rc 2 "revert --timeout abc refused" "$KPL" revert --all --timeout abc spin10
check "revert --timeout abc: the error names --timeout" \
	grep -q "invalid --timeout 'abc'" "$T/cmd.err"

sh -c 'exit 0' &
dead=$!
wait $dead
expect_rc 7 "pid of a process that is gone refused" \
	"$KPL" apply --keys "$TRUSTED" -p "$dead" "$IT_DIR/spin10.kpl"

# Not ours to patch: an unprivileged user against a root process.
mkdir -p "$T/pub" && chmod 755 "$T" "$T/pub"
cp "$IT_DIR/spin10.kpl" "$T/pub/" && chmod 644 "$T/pub/spin10.kpl"
# The key too, so that it is the process, not the signature, that fails.
mkdir -p "$T/pub/keys" && cp "$TRUSTED"/*.pub "$T/pub/keys/" &&
	chmod 755 "$T/pub/keys" && chmod 644 "$T/pub/keys"/*.pub
kplbin=$(readlink -f "$KPL")
if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 \
	--clear-groups test -x "$kplbin"; then
	expect_rc 7 "unprivileged user refused on a root process" \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$kplbin" apply --keys "$T/pub/keys" -p "$P" "$T/pub/spin10.kpl"
else
	expect_rc 7 "unprivileged user refused on a root process" \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		sh -c "cat '$kplbin' >/tmp/kpl-it-nobody.$$ && chmod +x /tmp/kpl-it-nobody.$$ && exec /tmp/kpl-it-nobody.$$ apply --keys '$T/pub/keys' -p $P '$T/pub/spin10.kpl'"
	rm -f /tmp/kpl-it-nobody.$$
fi

maps "$P" >"$T/maps.1"
check "no refusal changed the mappings" cmp -s "$T/maps.0" "$T/maps.1"
r=$(report r "$P")
check "no refusal changed the code: f0=0 f1=3" \
	[ "$(field "$r" f0)/$(field "$r" f1)" = 0/3 ]
check "target alive after every refusal" alive "$P"
