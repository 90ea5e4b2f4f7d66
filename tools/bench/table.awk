# SPDX-License-Identifier: GPL-2.0
# Print kpl-bench JSON files as Markdown tables: one row per
# threads x funcs, one column group per file (per backend), so
#   awk -f tools/bench/table.awk build/bench/ptrace.json build/bench/kmod.json
# puts the backends side by side.  Reads the layout kpl-bench writes
# (one cell per line); POSIX awk, so mawk does.

# The number after "key": in s, or "" when absent.
function num(s, key,    i, t) {
	i = index(s, "\"" key "\":")
	if (!i)
		return ""
	t = substr(s, i + length(key) + 3)
	if (!match(t, /^-?[0-9][0-9.]*/))
		return ""
	return substr(t, 1, RLENGTH)
}

function str(s, key,    i, t) {
	i = index(s, "\"" key "\":\"")
	if (!i)
		return ""
	t = substr(s, i + length(key) + 4)
	return substr(t, 1, index(t, "\"") - 1)
}

# stat ("median", "p99") of metric m in s.
function stat(s, m, st,    i) {
	i = index(s, "\"" m "\":{")
	return i ? num(substr(s, i), st) : ""
}

function ms(us) {
	return us == "" ? "-" : sprintf("%.3f", us / 1000)
}

# "median / p99" in ms of metric m for backend b, row r.
function cell(b, r, m) {
	if (!((b, r, m, "median") in v))
		return "-"
	return ms(v[b, r, m, "median"]) " / " ms(v[b, r, m, "p99"])
}

# One table: for each backend the metrics in list ml, headed by hl.
function table(title, ml, hl,    nm, mm, hh, i, j, r, line) {
	nm = split(ml, mm, " ")
	split(hl, hh, "|")
	print ""
	print "### " title
	print ""
	line = "| threads | funcs |"
	for (j = 1; j <= nb; j++)
		for (i = 1; i <= nm; i++)
			line = line " " backend[j] " " hh[i] " |"
	print line
	line = "|--:|--:|"
	for (j = 1; j <= nb * nm; j++)
		line = line "--:|"
	print line
	for (r = 1; r <= nr; r++) {
		line = "| " rth[r] " | " rfn[r] " |"
		for (j = 1; j <= nb; j++)
			for (i = 1; i <= nm; i++) {
				if (mm[i] == "retried")
					line = line " " retried(backend[j], r) " |"
				else
					line = line " " cell(backend[j], r, mm[i]) " |"
			}
		print line
	}
}

function retried(b, r) {
	if (!((b, r, "runs") in v))
		return "-"
	return v[b, r, "retried"] "/" v[b, r, "runs"] ", " \
		sprintf("%.1f", v[b, r, "eintr"] / v[b, r, "runs"])
}

FNR == 1 {
	b = ""
}

# The header: the first "backend" before the cells names the file's
# column group; a backend seen before (ptrace on the host and in a VM)
# gets the file's name added.
/"bench":"kpl-pause"/ && b == "" {
	b = str($0, "backend")
	if ((b) in seen) {
		f = FILENAME
		sub(/.*\//, "", f)
		sub(/\.json$/, "", f)
		b = b "(" f ")"
	}
	seen[b] = 1
	backend[++nb] = b
}

/"date":/ && b != "" {
	meta[b] = str($0, "date") ", kernel " str($0, "kernel") ", " \
		num($0, "cpus") " cpus, " num($0, "runs") " runs, nice " \
		num($0, "nice") ", other processes " \
		num($0, "other_cpu_pct_start") "% of the CPUs at start" \
		(str($0, "rev") != "" ? ", rev " str($0, "rev") : "")
}

/"exec_floor":/ && b != "" {
	floor[b] = stat($0, "exec_floor", "median")
}

/^ *\{"backend":/ && b != "" {
	key = num($0, "threads") "x" num($0, "funcs")
	if (!((key) in row)) {
		row[key] = ++nr
		rth[nr] = num($0, "threads")
		rfn[nr] = num($0, "funcs")
	}
	r = row[key]
	n = split("spin_base spin_apply spin_revert apply_pause revert_pause " \
		"apply_total revert_total apply_wall revert_wall", names, " ")
	for (i = 1; i <= n; i++) {
		v[b, r, names[i], "median"] = stat($0, names[i], "median")
		v[b, r, names[i], "p99"] = stat($0, names[i], "p99")
	}
	v[b, r, "runs"] = num($0, "runs")
	v[b, r, "retried"] = num($0, "retried_runs")
	v[b, r, "eintr"] = num($0, "eintr")
	o = num($0, "other_cpu_pct")
	if (o != "" && (!((b) in omax) || o + 0 > omax[b] + 0)) {
		omax[b] = o
		owhere[b] = key
	}
}

END {
	if (!nb || !nr) {
		print "table.awk: no kpl-bench cells in the input" > "/dev/stderr"
		exit 1
	}
	print "## kpl live-patch pause benchmark"
	print ""
	print "Times in ms, each cell \"median / p99\" over the runs (with 21"
	print "runs p99 is the largest).  See tools/bench/README.md."
	for (j = 1; j <= nb; j++)
		print "- " backend[j] ": " meta[backend[j]]
	table("Pause seen by the target's spinning thread (longest gap)",
		"spin_base spin_apply spin_revert", "idle|apply|revert")
	table("Engine's own stop time (pause_us); apply retries, EINTR",
		"apply_pause revert_pause retried",
		"apply|revert|retried, eintr/run")
	table("Time to apply and revert (engine total_us, command wall)",
		"apply_total revert_total apply_wall",
		"apply total|revert total|apply cmd")
	print ""
	for (j = 1; j <= nb; j++)
		if ((backend[j]) in omax)
			printf "- %s: other processes used at most %s%% of " \
				"the CPUs during a cell (%s)%s\n", backend[j],
				omax[backend[j]], owhere[backend[j]],
				(omax[backend[j]] + 0 > 10 ? ": noisy, see the " \
				"idle column" : "")
	print ""
	print "Reference, same 2-core machine (DESIGN.md, median of 11):"
	print "libcareplus pause 2.3 ms, apply command 10.5 ms; libpulp"
	print "6.4 ms, 15.9 ms.  Targets for 16 threads x 10 funcs: pause"
	print "<= 0.5 ms (ptrace), <= 0.1 ms (kmod); apply command <= 5 ms."
	for (j = 1; j <= nb; j++) {
		b = backend[j]
		r = row["16x10"]
		if (r == "" || !((b, r, "spin_apply", "median") in v))
			continue
		printf "- %s, 16 x 10: spinner pause %s ms apply, %s ms " \
			"revert; apply command %s ms (kpl exec alone %s ms)\n",
			b, ms(v[b, r, "spin_apply", "median"]),
			ms(v[b, r, "spin_revert", "median"]),
			ms(v[b, r, "apply_wall", "median"]), ms(floor[b])
	}
}
