#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# eu-stack sees patch code (issue 13): the backend maps, just
# below a patch's record, a page of the patch's memfd holding an ELF
# header, one PT_LOAD over page and region, and the section headers of
# a .symtab, its .strtab and the region's .eh_frame (patch_image.c).
# libdwfl makes the module start at that page, reads the image from the
# process's memory, names the patch's frames and unwinds past them.
# The main thread of kpl-spin waits in read(), called from SPIN-UNW's
# helper, called from its new scale(), called from spin_scaled() in the
# library, called from main(): eu-stack must name all of them, in that
# order.  Without the page it stops at the first patch frame, so the
# test can fail.  Reverted, nothing of the patch is left in the maps;
# and a page the process maps itself where the image page was is not
# the patch's, so a revert leaves it there.
# The same script runs with the kmod backend in the guest (make
# check-kmod-it, KPL_BACKEND=kmod): there the module maps the page
# (KPL_IOC_MAP's head, ABI 2.3), and its own view of the process
# (/sys/kernel/kpatch_lite/processes) must find the record, not the
# page.  The guest has no gdb: the forged page is mapped there by the
# module on the test's behalf (kpl_kmod_head forge): another memfd-like
# file, read-only, ending at the record.
. "$(dirname "$0")/lib.sh"

if ! command -v eu-stack >/dev/null; then
	ok "eu-stack names patch frames # SKIP eu-stack not installed"
	exit 0
fi

start_in_patch || exit 1

grep 'memfd:kpl:SPIN-UNW' "/proc/$P/maps" >"$T/kpl.maps"
sed 's/^/# /' "$T/kpl.maps"
first=$(head -1 "$T/kpl.maps")
check "the first line of the patch is its read-only image page" \
	sh -c "echo '$first' | grep -q '^[0-9a-f]*-[0-9a-f]* r--p [0-9a-f]*[1-9a-f][0-9a-f]* '"
rec=$(sed -n 2p "$T/kpl.maps")
check "and the record follows it at file offset 0" \
	sh -c "echo '$rec' | grep -q '^[0-9a-f]*-[0-9a-f]* r--p 00000000 '"
check "kpl status still finds the patch" \
	sh -c "'$KPL' status -p $P | grep -q SPIN-UNW"
if [ "${KPL_BACKEND:-}" = kmod ]; then
	grep " patch " /sys/kernel/kpatch_lite/processes | sed 's/^/# /'
	check "the module sees one record of SPIN-UNW, applied, not the page" \
		[ "$(grep -c "^$P .* patch SPIN-UNW applied\$" \
			/sys/kernel/kpatch_lite/processes)" = 1 ]
fi

# The main thread's frames, by name, as eu-stack prints them.
timeout 120 eu-stack -p "$P" >"$T/eu.txt" 2>&1
awk -v tid="$P" '/^TID /{ on = ($2 == tid ":") } on' "$T/eu.txt" |
	sed 's/^/# /'
names=$(awk -v tid="$P" '/^TID /{ on = ($2 == tid ":"); next }
	on && /^#/ { print $3 }' "$T/eu.txt" | xargs)
WANT="kpl:SPIN-UNW+0x0 scale spin_scaled main"
check "eu-stack: read() <- $WANT ('$names')" \
	sh -c "echo '$names' | grep -q 'read $WANT'"
check "and unwinds the thread without failing" \
	sh -c "! grep -q 'dwfl_thread_getframes.*memfd:kpl' '$T/eu.txt'"

end_in_patch
r=$R
check "read() returned through the patch's frames: scaled=908" \
	[ "$(field "$r" scaled)" = 908 ]
expect_rc 0 "revert SPIN-UNW" "$KPL" revert -p "$P" SPIN-UNW
check "reverted, no line of the patch is left, image page included" \
	sh -c "! grep -q 'memfd:kpl' /proc/$P/maps"

# Once more, and the process's file mappings are exactly what they
# were before it: the page went with the region.
file_maps "$P" >"$T/maps.0"
expect_rc 0 "apply SPIN-UNW again" \
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin_unw.kpl"
check "with its image page below the record" \
	sh -c "grep -m1 'memfd:kpl:SPIN-UNW' /proc/$P/maps |
		grep -q '^[0-9a-f]*-[0-9a-f]* r--p [0-9a-f]*[1-9a-f][0-9a-f]* '"
expect_rc 0 "revert SPIN-UNW" "$KPL" revert -p "$P" SPIN-UNW
file_maps "$P" >"$T/maps.1"
check "reverted: the file mappings are the ones before the apply" \
	cmp -s "$T/maps.0" "$T/maps.1"

# A process forges what lies below its patch: memory of its own where
# the image page was.  kpl takes the region back and leaves that alone.
expect_rc 0 "apply SPIN-UNW again" \
	"$KPL" apply --keys "$TRUSTED" -p "$P" "$IT_DIR/spin_unw.kpl"
page=$(grep -m1 'memfd:kpl:SPIN-UNW' "/proc/$P/maps" | cut -d- -f1)
if [ "${KPL_BACKEND:-}" = kmod ] && command -v kpl_kmod_head >/dev/null; then
	# What gdb's MAP_FIXED does below: the page replaced by another,
	# here of a memfd-like file of its own, read-only, like the image.
	# (Not named "kpl:...": kpl takes any such line with no record at
	# file offset 0 for a dead apply's garbage.)
	kpl_kmod_head forge "$P" "0x$page" forged >"$T/forge.txt" 2>&1
	sed 's/^/# /' "$T/forge.txt"
	check "a page of another memfd replaces the image page (0x$page)" \
		sh -c "grep -q '^$page-.* r--p 00000000 .*/memfd:forged' /proc/$P/maps"
	expect_rc 0 "revert SPIN-UNW" "$KPL" revert -p "$P" SPIN-UNW
	check "the patch is gone" sh -c "! grep -q 'memfd:kpl' /proc/$P/maps"
	check "and the forged page below it is still there" \
		sh -c "grep -q '^$page-.* r--p 00000000 .*/memfd:forged' /proc/$P/maps"
elif command -v gdb >/dev/null; then
	# mmap(page, 4096, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS)
	timeout 120 gdb -nx -batch -p "$P" \
		-ex "call (long)mmap(0x$page, 4096, 1, 0x32, -1, 0)" \
		>"$T/forge.txt" 2>&1
	check "the process maps its own page below the record (0x$page)" \
		sh -c "grep -q '^$page-.* 00000000 00:00 0 *\$' /proc/$P/maps"
	expect_rc 0 "revert SPIN-UNW" "$KPL" revert -p "$P" SPIN-UNW
	check "the patch is gone" sh -c "! grep -q 'memfd:kpl' /proc/$P/maps"
	check "and the process's own page below it is still there" \
		sh -c "grep -q '^$page-' /proc/$P/maps"
else
	ok "a forged page below the record is left alone # SKIP no gdb"
	expect_rc 0 "revert SPIN-UNW" "$KPL" revert -p "$P" SPIN-UNW
fi

# With --perf-map the text is anonymous memory (perf's convention for
# code no file backs): the maps run image page, record, an anonymous
# r-x line, the rest of the memfd.  libdwfl still takes the memfd's
# lines as one module and the image's PT_LOAD covers the text, so the
# frames are named the same.  (The kmod backend maps every part from
# the memfd, and says so: there the frames are named as above.)
expect_rc 0 "apply SPIN-UNW --perf-map" "$KPL" apply --perf-map \
	--keys "$TRUSTED" -p "$P" "$IT_DIR/spin_unw.kpl"
if [ "${KPL_BACKEND:-}" != kmod ]; then
	check "its text is an anonymous r-x line between record and data" \
		sh -c "grep -A1 '^[0-9a-f]*-[0-9a-f]* r--p 00000000 .*memfd:kpl:SPIN-UNW' \
		/proc/$P/maps | grep -q '^[0-9a-f]*-[0-9a-f]* r-xp 00000000 00:00 0 *\$'"
fi
kill -USR1 "$P"
wait_reader "$P"
timeout 120 eu-stack -p "$P" >"$T/eu2.txt" 2>&1
names=$(awk -v tid="$P" '/^TID /{ on = ($2 == tid ":"); next }
	on && /^#/ { print $3 }' "$T/eu2.txt" | xargs)
check "eu-stack on the --perf-map patch: read() <- $WANT ('$names')" \
	sh -c "echo '$names' | grep -q 'read $WANT'"
printf x >&3
expect_rc 0 "revert SPIN-UNW" "$KPL" revert -p "$P" SPIN-UNW
check "reverted, no line of the patch is left" \
	sh -c "! grep -q 'memfd:kpl' /proc/$P/maps"
check "target alive" alive "$P"
exec 3>&-
