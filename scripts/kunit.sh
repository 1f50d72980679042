#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build and run the kvirtio KUnit suites in a UML kernel.
#
#   scripts/kunit.sh [--kasan|--debug] [-- extra kunit.py run arguments]
#
# The Debian 6.12 source is unpacked once into .build/linux-6.12 with this
# project linked in as drivers/kvirtio.  Builds go to .build/kunit,
# .build/kunit-kasan (KASAN) or .build/kunit-debug (lockdep, sleep in
# atomic, debug objects).  Results, NAME being kunit[-kasan|-debug]:
#   .build/logs/NAME.log      kunit.py's full output
#   .build/NAME/test.log      the kernel's raw console output
#   .build/NAME.json          kunit.py's JSON results
#   .build/NAME.counts        "passed=N failed=N skipped=N", leaf cases
#                             (each parameter counts); --debug adds
#                             "reports=N"
#   .build/NAME.summary       kunit.py's closing summary line
#   .build/NAME.reports       --debug only: every kernel report found in
#                             test.log (scripts/kernel-reports.py)
# Exit status: non-zero if kunit.py failed or any case did not pass, and
# with --debug also if the kernel printed any report (a lockdep splat, a
# sleep in atomic context, an ODEBUG warning, any WARN or BUG), even when
# every case passed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# The --debug run: lockdep with its lock debugging (PROVE_LOCKING selects
# DEBUG_SPINLOCK, DEBUG_MUTEXES, DEBUG_RWSEMS, DEBUG_LOCK_ALLOC; PROVE_RCU
# follows it), might_sleep() checks, irq flag checks and debug objects.
# The selected ones are listed too so that kunit.py fails if one cannot be
# set.  FRAME_POINTER: without it UML marks every stack entry unreliable and
# saves none, so lockdep could not say where each lock order was taken.
debug_config=(DEBUG_KERNEL PROVE_LOCKING PROVE_RCU DEBUG_SPINLOCK
	DEBUG_MUTEXES DEBUG_RWSEMS DEBUG_LOCK_ALLOC DEBUG_ATOMIC_SLEEP
	DEBUG_IRQFLAGS DEBUG_OBJECTS DEBUG_OBJECTS_FREE DEBUG_OBJECTS_TIMERS
	DEBUG_OBJECTS_WORK DEBUG_OBJECTS_RCU_HEAD DEBUG_OBJECTS_PERCPU_COUNTER
	FRAME_POINTER)

name=kunit
kconfig=()
scan=
case ${1:-} in
--kasan)
	name=kunit-kasan
	kconfig=(--kconfig_add CONFIG_KASAN=y --kconfig_add CONFIG_KASAN_VMALLOC=y)
	shift ;;
--debug)
	name=kunit-debug
	for c in "${debug_config[@]}"; do
		kconfig+=(--kconfig_add "CONFIG_$c=y")
	done
	scan=1
	shift ;;
esac
[ "${1:-}" = -- ] && shift

command -v python3 >/dev/null || kv_die "python3 missing: run scripts/deps.sh kunit"
mkdir -p "$KV_LOGS"
kv_prepare_tree

log=$KV_LOGS/$name.log
json=$KV_BUILD/$name.json
counts=$KV_BUILD/$name.counts
summary=$KV_BUILD/$name.summary
reports_file=$KV_BUILD/$name.reports
testlog=$KV_BUILD/$name/test.log
rm -f "$json" "$counts" "$summary" "$reports_file" "$testlog"

(cd "$KV_TREE" && ./tools/testing/kunit/kunit.py run --arch=um \
	--kunitconfig="$KV_ROOT/kunit/.kunitconfig" \
	--build_dir="$KV_BUILD/$name" --jobs="$KV_JOBS" \
	--json="$json" "${kconfig[@]}" "$@") > "$log" 2>&1
rc=$?

# Count leaf cases.  kunit.py's JSON nests suites as groups; a
# parameterised case is a group whose params are its leaf cases.
python3 - "$json" > "$counts" <<'PY'
import json, sys
p = f = s = 0
def walk(g):
    global p, f, s
    for c in g.get("test_cases", []):
        if c["status"] == "PASS":
            p += 1
        elif c["status"] == "SKIP":
            s += 1
        else:
            f += 1
    for sub in g.get("sub_groups", []):
        walk(sub)
try:
    with open(sys.argv[1]) as fh:
        walk(json.load(fh))
except (OSError, ValueError):
    pass
print(f"passed={p} failed={f} skipped={s}")
PY
. "$counts"

# A build failure or a crash before any case ran still has to fail.
if [ $rc -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1
	echo "passed=$passed failed=$failed skipped=$skipped" > "$counts"
fi

# --debug: the debug options report through the kernel log, not through
# KUnit, so a case that triggers a lockdep splat still passes.  Any report
# fails the run: at least one failure in the counts.
case_failed=$failed
reports=0
if [ -n "$scan" ]; then
	reports=$(python3 "$KV_ROOT/scripts/kernel-reports.py" "$testlog" \
		"$reports_file") || reports=1
	[[ $reports =~ ^[0-9]+$ ]] || reports=1
	[ "$reports" -gt 0 ] && [ "$failed" -eq 0 ] && failed=1
	echo "passed=$passed failed=$failed skipped=$skipped reports=$reports" > "$counts"
fi

line=$(grep -E '^(\[[0-9:]+\] )?Testing complete\.' "$log" | tail -n 1)
line=${line#\[*\] }
[ -n "$line" ] || line="no KUnit summary (kunit.py exit $rc): see $log"
[ -n "$scan" ] && line="$line; kernel reports: $reports"
echo "$name: $line" > "$summary"

# Show kunit.py's verdicts: the suites and totals when all passed, every line
# but the passes when something failed, the tail when nothing ran.
results=$(sed -n '/^\[[0-9:]*\] =\+$/,$p' "$log")
if [ -z "$results" ]; then
	tail -n 30 "$log"
elif [ "$case_failed" -eq 0 ]; then
	grep -E '\([0-9]+ subtests\)|Testing complete|Elapsed time' <<< "$results"
else
	grep -vE '\[PASSED\]' <<< "$results" | head -n 120
fi
# The first report, where it happened and how it starts.
if [ "$reports" -gt 0 ]; then
	echo "$name: $reports kernel report(s), all in $reports_file; the first:"
	awk 'NR > 1 && /^--- (report [0-9]+ of|ignored)/ { exit } { print }' \
		"$reports_file" | head -n 41
fi
if [ -n "$scan" ]; then
	echo "$name: passed=$passed failed=$failed skipped=$skipped reports=$reports (log: $log)"
else
	echo "$name: passed=$passed failed=$failed skipped=$skipped (log: $log)"
fi
[ $rc -eq 0 ] && [ "$failed" -eq 0 ] && [ "$reports" -eq 0 ]
