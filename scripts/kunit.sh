#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build and run the kvirtio KUnit suites in a UML kernel.
#
#   scripts/kunit.sh [--kasan] [-- extra kunit.py run arguments]
#
# The Debian 6.12 source is unpacked once into .build/linux-6.12 with this
# project linked in as drivers/kvirtio.  Builds go to .build/kunit (or
# .build/kunit-kasan).  Results:
#   .build/logs/kunit[-kasan].log      kunit.py's full output
#   .build/kunit[-kasan].json          kunit.py's JSON results
#   .build/kunit[-kasan].counts        "passed=N failed=N skipped=N", leaf
#                                      cases (each parameter counts)
#   .build/kunit[-kasan].summary       kunit.py's closing summary line
# Exit status: non-zero if kunit.py failed or any case did not pass.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

name=kunit
kasan=()
if [ "${1:-}" = --kasan ]; then
	name=kunit-kasan
	kasan=(--kconfig_add CONFIG_KASAN=y --kconfig_add CONFIG_KASAN_VMALLOC=y)
	shift
fi
[ "${1:-}" = -- ] && shift

command -v python3 >/dev/null || kv_die "python3 missing: run scripts/deps.sh kunit"
mkdir -p "$KV_LOGS"
kv_prepare_tree

log=$KV_LOGS/$name.log
json=$KV_BUILD/$name.json
counts=$KV_BUILD/$name.counts
summary=$KV_BUILD/$name.summary
rm -f "$json" "$counts" "$summary"

(cd "$KV_TREE" && ./tools/testing/kunit/kunit.py run --arch=um \
	--kunitconfig="$KV_ROOT/kunit/.kunitconfig" \
	--build_dir="$KV_BUILD/$name" --jobs="$KV_JOBS" \
	--json="$json" "${kasan[@]}" "$@") > "$log" 2>&1
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

line=$(grep -E '^(\[[0-9:]+\] )?Testing complete\.' "$log" | tail -n 1)
line=${line#\[*\] }
[ -n "$line" ] || line="no KUnit summary (kunit.py exit $rc): see $log"
echo "$name: $line" > "$summary"

# Show kunit.py's verdicts: the suites and totals when all passed, every line
# but the passes when something failed, the tail when nothing ran.
results=$(sed -n '/^\[[0-9:]*\] =\+$/,$p' "$log")
if [ -z "$results" ]; then
	tail -n 30 "$log"
elif [ "$failed" -eq 0 ]; then
	grep -E '\([0-9]+ subtests\)|Testing complete|Elapsed time' <<< "$results"
else
	grep -vE '\[PASSED\]' <<< "$results" | head -n 120
fi
echo "$name: passed=$passed failed=$failed skipped=$skipped (log: $log)"
[ $rc -eq 0 ] && [ "$failed" -eq 0 ]
