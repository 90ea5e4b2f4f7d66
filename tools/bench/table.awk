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
	line = "| threads | spin | funcs |"
	for (j = 1; j <= nb; j++)
		for (i = 1; i <= nm; i++)
			line = line " " backend[j] " " hh[i] " |"
	print line
	line = "|--:|--:|--:|"
	for (j = 1; j <= nb * nm; j++)
		line = line "--:|"
	print line
	for (r = 1; r <= nr; r++) {
		line = "| " rth[r] " | " (rsp[r] == rth[r] && rth[r] > 1 ? "all" : rsp[r]) \
			" | " rfn[r] " |"
		for (j = 1; j <= nb; j++)
			for (i = 1; i <= nm; i++) {
				if (mm[i] == "retried")
					line = line " " retried(backend[j], r) " |"
				else if (mm[i] == "agree")
					line = line " " agree(backend[j], r, "apply") " |"
				else if (mm[i] == "stops")
					line = line " " stops(backend[j], r, "apply") " |"
				else if (mm[i] == "rstops")
					line = line " " stops(backend[j], r, "revert") " |"
				else
					line = line " " cell(backend[j], r, mm[i]) " |"
			}
		print line
	}
}

# "N, S ms": median number of stops and of their summed length.
function stops(b, r, op) {
	if (!((b, r, op "_stops", "median") in v) || v[b, r, op "_stops", "median"] == "")
		return "-"
	return (v[b, r, op "_stops", "median"] + 0) ", " ms(v[b, r, op "_stops_sum", "median"])
}

# Whether the probe's gap and kpl's pause agree: their medians differ by
# no more than the worst gap an idle window saw (idle p99), i.e. within
# the noise a thread of this target sees anyway.
function agree(b, r, op,    d, n) {
	if (!((b, r, "spin_" op, "median") in v) || v[b, r, op "_pause", "median"] == "")
		return "-"
	d = v[b, r, "spin_" op, "median"] - v[b, r, op "_pause", "median"]
	n = v[b, r, "spin_base", "p99"] + 0
	return ((d <= n && -d <= n) ? "yes" : "no") sprintf(" (%+.3f)", d / 1000)
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
	sp = num($0, "spinners")
	if (sp == "")
		sp = 1		# format 1: one spinner, the main thread asleep
	key = num($0, "threads") "x" num($0, "funcs") "x" sp
	if (!((key) in row)) {
		row[key] = ++nr
		rth[nr] = num($0, "threads")
		rfn[nr] = num($0, "funcs")
		rsp[nr] = sp
	}
	r = row[key]
	n = split("spin_base spin_apply spin_revert spin_base_min " \
		"spin_apply_min spin_revert_min apply_pause revert_pause " \
		"apply_stops revert_stops apply_stops_sum revert_stops_sum " \
		"apply_total revert_total apply_wall revert_wall " \
		"bare_stop bare_stop_release", names, " ")
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

# "median" of metric m in ms for backend b and row key k, or "-".
function med(b, k, m,    r) {
	r = row[k]
	if (r == "" || !((b, r, m, "median") in v) || v[b, r, m, "median"] == "")
		return "-"
	return ms(v[b, r, m, "median"])
}

# The busy row (every thread spinning) with the most threads up to 8.
function busy_key(b,    r, best, k) {
	best = ""
	for (r = 1; r <= nr; r++)
		if (rsp[r] == rth[r] && rth[r] > 1 && rth[r] <= 8 && rfn[r] == 1 &&
		    (best == "" || rth[r] > rth[row[best]]))
			best = rth[r] "x1x" rth[r]
	return best
}

# The headline figures, per backend: the probe's and kpl's side by side
# (tools/bench/README.md, "Output").
function summary(b,    k1, k8, r, t) {
	k1 = "1x1x1"
	k8 = busy_key(b)
	print ""
	print "### " b ": the target's gap beside kpl's own figures (medians, ms)"
	print ""
	print "| figure | probe in the target | kpl --json | agree |"
	print "|---|--:|--:|---|"
	if (row[k1] != "") {
		r = row[k1]
		printf "| 1 thread: apply, longest gap | %s | pause %s; %s stops, %s in all | %s |\n",
			med(b, k1, "spin_apply"), med(b, k1, "apply_pause"),
			v[b, r, "apply_stops", "median"] + 0, med(b, k1, "apply_stops_sum"),
			agree(b, r, "apply")
		printf "| 1 thread: revert, longest gap | %s | pause %s; %s stops, %s in all | %s |\n",
			med(b, k1, "spin_revert"), med(b, k1, "revert_pause"),
			v[b, r, "revert_stops", "median"] + 0, med(b, k1, "revert_stops_sum"),
			agree(b, r, "revert")
		printf "| 1 thread: `pause` kpl reports for the apply | | %s | |\n",
			med(b, k1, "apply_pause")
		printf "| 1 thread: bare ptrace stop, nothing done (kpl-bench) | | %s | |\n",
			med(b, k1, "bare_stop")
		printf "| 1 thread: idle window (/bin/true), longest gap | %s | | |\n",
			med(b, k1, "spin_base")
		printf "| 1 thread: apply command, wall | | %s | |\n",
			med(b, k1, "apply_wall")
	}
	if (k8 != "") {
		t = rth[row[k8]]
		printf "| %d threads, all spinning: apply gap, worst thread (least hit) | %s (%s) | pause %s; %s stops, %s in all | %s |\n",
			t, med(b, k8, "spin_apply"), med(b, k8, "spin_apply_min"),
			med(b, k8, "apply_pause"), v[b, row[k8], "apply_stops", "median"] + 0,
			med(b, k8, "apply_stops_sum"), agree(b, row[k8], "apply")
		printf "| %d threads: idle window (/bin/true), worst thread (least hit) | %s (%s) | | |\n",
			t, med(b, k8, "spin_base"), med(b, k8, "spin_base_min")
		printf "| %d threads: bare ptrace stop, nothing done: boosted to the last detach (only to the last stop) | | %s (%s) | |\n",
			t, med(b, k8, "bare_stop"), med(b, k8, "bare_stop_release")
		printf "| %d threads: apply command, wall | | %s | |\n",
			t, med(b, k8, "apply_wall")
	}
}

END {
	if (!nb || !nr) {
		print "table.awk: no kpl-bench cells in the input" > "/dev/stderr"
		exit 1
	}
	print "## kpl live-patch pause benchmark"
	print ""
	print "Times in ms.  The probe is the target itself: each spinning"
	print "thread's longest gap between two loop iterations; \"spin\" is"
	print "how many threads spin (the main one, which kpl borrows, first),"
	print "the others sleep.  \"agree\": probe and kpl's longest stop"
	print "differ by no more than the worst idle-window gap (idle p99);"
	print "the figure in brackets is probe - kpl.  \"bare stop\": kpl-bench"
	print "itself stops and releases the same threads with ptrace, doing"
	print "nothing between, as SCHED_FIFO (kpl's floor).  See"
	print "tools/bench/README.md."
	for (j = 1; j <= nb; j++)
		print "- " backend[j] ": " meta[backend[j]]
	for (j = 1; j <= nb; j++)
		summary(backend[j])
	print ""
	print "Per cell, \"median / p99\" over the runs (with 21 runs p99 is"
	print "the largest)."
	table("Gap the target's threads saw: worst thread, least-hit thread",
		"spin_base spin_apply spin_revert spin_apply_min",
		"idle|apply|revert|apply, least hit")
	table("kpl's own figures: longest stop, stops and their sum (medians), agreement; the bare stop",
		"apply_pause revert_pause stops rstops agree bare_stop",
		"apply pause|revert pause|apply stops, sum|revert stops, sum|apply agrees|bare stop")
	table("Apply retries and EINTRs of sleeping threads",
		"retried", "retried, eintr/run")
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
	print "Issue 11 goals (1 thread): apply gap <= 0.15 ms, revert gap"
	print "<= 0.1 ms, apply command <= 2.0 ms; 8 threads on 2 cores: gap"
	print "within noise of the idle window."
	for (j = 1; j <= nb; j++)
		if ((backend[j]) in floor)
			printf "- %s: kpl exec alone (kpl apply --help) %s ms\n",
				backend[j], ms(floor[backend[j]])
}
