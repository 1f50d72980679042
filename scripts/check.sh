#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The one test command of kvirtio (make check, .ci/run).
#
#   scripts/check.sh [STAGE...]      default: every stage, in this order
#
# Stages: deps build-6.1 build-6.12 sparse checkpatch checkpatch-tools
#         docs dkms tools-test vmm-selftest kunit sparse-uml kunit-kasan
#         kunit-debug fuzz bench-selftest kvm-patch e2e
#
# Each stage logs to .build/logs/<stage>.log (the scripts called keep their
# console output in <stage>.out next to it), prints one result line, and a
# failing stage never stops the later ones.  Counting: every KUnit case
# (each parameter; plain, KASAN and debug runs separately; a debug run
# with kernel reports counts at least one failure), every TAP line of the
# userspace tests, every E2E line of the nested test, and one for each other
# stage.  A stage whose parts do not exist yet is skipped with a note and
# not counted.  The last line is "N passed, N failed"; the exit status is
# non-zero when anything failed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$KV_ROOT" || exit 1

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
all_stages=(deps build-6.1 build-6.12 sparse checkpatch checkpatch-tools
	docs dkms tools-test vmm-selftest kunit sparse-uml kunit-kasan kunit-debug fuzz
	bench-selftest kvm-patch e2e)

passed=0
failed=0
skipped=0
results=()
mkdir -p "$KV_LOGS"

# Add $1 passes, $2 failures, $3 skips.
tally()
{
	passed=$((passed + $1))
	failed=$((failed + $2))
	skipped=$((skipped + ${3:-0}))
}

# Print a stage's verdict line; on failure show the end of what it said.
verdict()
{
	local stage=$1 verdict=$2 secs=$3 detail=$4 out=$5 lines=${6:-25}
	local line

	line=$(printf '%-5s %-16s %4ss  %s' "$verdict" "$stage" "$secs" "$detail")
	echo "$line"
	results+=("$line")
	echo "$stage $secs" >> "$KV_LOGS/times.txt"
	if [ "$verdict" = FAIL ] && [ -s "$out" ]; then
		tail -n "$lines" "$out" | sed 's/^/    | /'
	fi
}

# A stage that counts as one test: its command's exit status decides.
one()
{
	local stage=$1 out=$2 t0=$SECONDS
	shift 2

	if "$@" > "$out" 2>&1; then
		tally 1 0
		verdict "$stage" PASS $((SECONDS - t0)) "" "$out"
	else
		tally 0 1
		verdict "$stage" FAIL $((SECONDS - t0)) "see $out" "$out"
	fi
}

# A stage's parts are not there (yet): say so, count nothing.
skip()
{
	verdict "$1" SKIP 0 "$2" ""
}

has_make_target()
{
	[ -f "$1/Makefile" ] && grep -qE "^$2[[:space:]]*:" "$1/Makefile"
}

stage_deps()
{
	one deps "$KV_LOGS/deps.log" scripts/deps.sh kunit headers docs dkms tools \
		fuzz kvm e2e
}

stage_module()
{
	one "$1" "$KV_LOGS/$1.out" scripts/build-module.sh "$2"
}

# Userspace unit tests print TAP: "ok N - name" / "not ok N - name".
# The reference VMM's self-test guest on this host's own /dev/kvm (it runs
# tiny guests, not Linux): skipped, never passed, where there is none.
stage_vmm_selftest()
{
	if [ ! -w /dev/kvm ]; then
		skip vmm-selftest "no usable /dev/kvm on this host"
		return
	fi
	one vmm-selftest "$KV_LOGS/vmm-selftest.log" make -C tools vmm-selftest
}

stage_tools_test()
{
	local log=$KV_LOGS/tools-test.log t0=$SECONDS rc p f s

	if ! has_make_target tools test; then
		skip tools-test "no 'test' target in tools/Makefile yet"
		return
	fi
	make -C tools test > "$log" 2>&1
	rc=$?
	p=$(grep -E '^ok [0-9]+' "$log" | grep -vcE '# *(SKIP|skip)')
	s=$(grep -E '^ok [0-9]+' "$log" | grep -cE '# *(SKIP|skip)')
	f=$(grep -cE '^not ok [0-9]+' "$log")
	# A failed make, or a run that reported nothing, is one more failure.
	if { [ $rc -ne 0 ] || [ $((p + f + s)) -eq 0 ]; } && [ "$f" -eq 0 ]; then
		f=1
	fi
	tally "$p" "$f" "$s"
	verdict tools-test "$([ "$f" -eq 0 ] && echo PASS || echo FAIL)" \
		$((SECONDS - t0)) "TAP: $p ok, $f not ok, $s skip (make exit $rc)" "$log"
}

# A KUnit run; its counts file has the leaf cases and, for the debug run,
# the number of kernel reports (each fails the stage).
stage_kunit()
{
	local name=$1 t0=$SECONDS passed_k failed_k skipped_k reports_k=
	local out=$KV_LOGS/$name.out detail lines=25

	shift
	scripts/kunit.sh "$@" > "$out" 2>&1
	if ! [ -f "$KV_BUILD/$name.counts" ]; then
		tally 0 1
		verdict "$name" FAIL $((SECONDS - t0)) "no counts written" "$out"
		return
	fi
	eval "$(sed 's/\([a-z]*\)=/\1_k=/g' "$KV_BUILD/$name.counts")"
	tally "$passed_k" "$failed_k" "$skipped_k"
	detail="cases: $passed_k passed, $failed_k failed, $skipped_k skipped"
	if [ -n "$reports_k" ]; then
		detail="$detail; reports: $reports_k"
		# Show the first report, not only the end of its trace.
		[ "$reports_k" -gt 0 ] && lines=50
	fi
	verdict "$name" "$([ "$failed_k" -eq 0 ] && echo PASS || echo FAIL)" \
		$((SECONDS - t0)) "$detail" "$out" "$lines"
}

stage_fuzz()
{
	if ! has_make_target tools fuzz; then
		skip fuzz "no 'fuzz' target in tools/Makefile yet"
		return
	fi
	one fuzz "$KV_LOGS/fuzz.log" make fuzz FUZZ_SECONDS="$FUZZ_SECONDS"
}

# The nested end-to-end test prints "E2E PASS name" / "E2E FAIL name".
stage_e2e()
{
	local log=$KV_LOGS/e2e.log t0=$SECONDS rc p f

	if [ ! -x scripts/e2e/smoke.sh ]; then
		skip e2e "no scripts/e2e/smoke.sh yet"
		return
	fi
	scripts/e2e/smoke.sh > "$log" 2>&1
	rc=$?
	p=$(grep -cE '^E2E PASS ' "$log")
	f=$(grep -cE '^E2E FAIL ' "$log")
	if { [ $rc -ne 0 ] || [ $((p + f)) -eq 0 ]; } && [ "$f" -eq 0 ]; then
		f=1
	fi
	tally "$p" "$f"
	# On failure the reader needs the failed pairs and, if L1 crashed,
	# its oops (scripts/e2e/run.sh prints it as "crash|" lines).
	grep -aE '^E2E FAIL |^== L1 console|crash\| |^e2e: ' "$log" | head -n 80 > "$log.fail"
	[ -s "$log.fail" ] || tail -n 25 "$log" > "$log.fail"
	verdict e2e "$([ "$f" -eq 0 ] && echo PASS || echo FAIL)" \
		$((SECONDS - t0)) "E2E: $p pass, $f fail (exit $rc)" "$log.fail" 80
}

run_stage()
{
	case $1 in
	deps)		stage_deps ;;
	build-6.1)	stage_module build-6.1 6.1 ;;
	build-6.12)	stage_module build-6.12 6.12 ;;
	sparse)		stage_module sparse sparse ;;
	checkpatch)	stage_module checkpatch checkpatch ;;
	checkpatch-tools) stage_module checkpatch-tools checkpatch-tools ;;
	# Documentation/*.rst parse without a docutils warning.
	docs)		one docs "$KV_LOGS/docs.log" scripts/docs-check.sh ;;
	# DKMS install and removal against both header sets, in private
	# mount namespaces (scripts/dkms-check.sh).
	dkms)		one dkms "$KV_LOGS/dkms.log" scripts/dkms-check.sh ;;
	tools-test)	stage_tools_test ;;
	vmm-selftest)	stage_vmm_selftest ;;
	kunit)		stage_kunit kunit ;;
	sparse-uml)	stage_module sparse-uml sparse-uml ;;
	kunit-kasan)	stage_kunit kunit-kasan --kasan ;;
	kunit-debug)	stage_kunit kunit-debug --debug ;;
	fuzz)		stage_fuzz ;;
	bench-selftest)	one bench-selftest "$KV_LOGS/bench-selftest.log" \
				scripts/bench/selftest.sh ;;
	kvm-patch)	one kvm-patch "$KV_LOGS/kvm-patch.log" \
				scripts/kvm/check-patch.sh ;;
	e2e)		stage_e2e ;;
	esac
}

case ${1:-} in
-h|--help)
	sed -n '4,/^[^#]/{/^#/p}' "$0" | sed 's/^# \?//'
	exit 0 ;;
esac
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=("${all_stages[@]}")
for s in "${stages[@]}"; do
	[[ " ${all_stages[*]} " == *" $s "* ]] || {
		echo "check.sh: unknown stage '$s' (stages: ${all_stages[*]})" >&2
		exit 2
	}
done

t_start=$SECONDS
rm -f "$KV_LOGS/times.txt"
for s in "${stages[@]}"; do
	run_stage "$s"
done

echo
echo "kvirtio check: ${#results[@]} stage(s) in $((SECONDS - t_start)) s, logs in $KV_LOGS"
printf '%s\n' "${results[@]}"
for s in kunit kunit-kasan kunit-debug; do
	[[ " ${stages[*]} " == *" $s "* ]] || continue
	if [ -f "$KV_BUILD/$s.summary" ]; then
		cat "$KV_BUILD/$s.summary"
	else
		echo "$s: no KUnit summary"
	fi
done
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
