# SPDX-License-Identifier: GPL-2.0-only
#
# fio-json.awk: one line for L1 from fio's JSON output (--output-format=json
# --lat_percentiles=1) of the job named "m", the measured job of
# scripts/bench/l2-init:
#
#   awk -v mode=M -v engine=E -v bs=B -v qd=Q -f fio-json.awk FIO.json
#   FIO OK mode=M engine=E bs=B qd=Q n= mean_ns= p50_ns= p90_ns= p99_ns=
#          p999_ns= min_ns= max_ns= iops=
#
# Latencies are fio's total latency (lat_ns: submission to completion,
# what kvlat times), not clat.  "FIO FAIL mode=M ..." when the job failed
# or did no I/O.  Runs under busybox awk in L2: no JSON library, but fio
# prints one key or one opening brace per line, so a stack of the open
# objects' keys says where each value belongs.

function key(s)
{
	return match(s, /"[^"]*"/) ? substr(s, RSTART + 1, RLENGTH - 2) : ""
}

function val(s)
{
	sub(/^[^:]*: */, "", s)
	gsub(/[",]/, "", s)
	return s
}

# An object or array opens: push its key ("" for an array element).
/[[{][ \t]*$/ {
	stk[d++] = key($0)
	next
}
/^[ \t]*[]}]/ {
	d--
	next
}
# A job's own keys sit at depth 3 (root, "jobs", the element).
d == 3 && stk[1] == "jobs" && key($0) == "jobname" {
	job = val($0)
}
job != "m" || d < 3 || stk[1] != "jobs" {
	next
}
d == 3 && key($0) == "error" {
	err = val($0)
}
# The job's read and write sides; the one that did I/O is the result.
d == 4 && stk[3] ~ /^(read|write)$/ {
	k = key($0)
	if (k == "total_ios" || k == "iops")
		r[stk[3], k] = val($0)
}
d >= 5 && stk[3] ~ /^(read|write)$/ && stk[4] == "lat_ns" {
	r[stk[3], (d == 6 ? "p" : "") key($0)] = val($0)
}

END {
	if (r["read", "total_ios"] > 0)
		side = "read"
	else if (r["write", "total_ios"] > 0)
		side = "write"
	if (side == "" || err != 0) {
		printf "FIO FAIL mode=%s job m: error=%s, %s I/O\n", mode,
			err == "" ? "none (no such job)" : err, side == "" ? "no" : side
		exit 1
	}
	printf "FIO OK mode=%s engine=%s bs=%s qd=%s n=%.0f mean_ns=%.0f p50_ns=%.0f p90_ns=%.0f p99_ns=%.0f p999_ns=%.0f min_ns=%.0f max_ns=%.0f iops=%.1f\n",
		mode, engine, bs, qd, r[side, "total_ios"], r[side, "mean"],
		r[side, "p50.000000"], r[side, "p90.000000"],
		r[side, "p99.000000"], r[side, "p99.900000"], r[side, "min"],
		r[side, "max"], r[side, "iops"]
}
