#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Header builds and lint for kvirtio.ko:
#
#   scripts/build-module.sh 6.1          W=1 build against Debian's 6.1 headers
#   scripts/build-module.sh 6.12         W=1 build against Debian's 6.12 headers
#   scripts/build-module.sh sparse       sparse (C=2) against the 6.12 headers
#   scripts/build-module.sh sparse-uml   sparse (C=2) in the UML KUnit build,
#                                        so the KUnit suites are checked too
#   scripts/build-module.sh checkpatch   checkpatch.pl --strict on kernel code
#                                        (drivers/, kunit/, include/)
#   scripts/build-module.sh checkpatch-tools   the same on tools/ (userspace)
#   scripts/build-module.sh [all]        6.1, 6.12, sparse, checkpatch,
#                                        checkpatch-tools
#
# Each build works on its own rsync'ed copy of the sources in
# .build/mod-<ver>, so object files never clash and the work tree stays
# clean.  The 6.12 headers are fetched with apt-get download and unpacked
# into .build/headers-6.12; nothing is written outside the project.  A
# stage fails on any compiler or sparse warning in project files, or any
# checkpatch message.  Logs go to .build/logs/<stage>.log.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

mkdir -p "$KV_LOGS"

# gcc-12 is what Debian's kernels are built with; W=1 adds the extra
# warnings (-Wmissing-prototypes and friends) that upstream review uses.
kv_kbuild()
{
	local kdir=$1 mdir=$2
	shift 2
	make -C "$kdir" M="$mdir" CONFIG_KVIRTIO=m W=1 -j"$KV_JOBS" "$@"
}

# Warnings that count: any compiler or sparse diagnostic.
check_log()
{
	local log=$1 what=$2 bad

	bad=$(grep -cE '(warning|error):' "$log")
	if [ "$bad" -ne 0 ]; then
		grep -E '(warning|error):' "$log" | head -n 20
		echo "$what: $bad diagnostic(s), see $log"
		return 1
	fi
}

build()
{
	local ver=$1 kdir mdir log=$KV_LOGS/build-$1.log

	case $ver in
	6.1)	kdir=$(kv_headers_61) || return 1 ;;
	6.12)	kdir=$(kv_headers_612) || return 1 ;;
	esac
	mdir=$KV_BUILD/mod-$ver
	kv_sync_sources "$mdir"
	# Build from scratch each time so that every warning is seen again.
	kv_kbuild "$kdir" "$mdir" clean > /dev/null 2>&1
	echo "headers: $kdir" > "$log"
	if ! kv_kbuild "$kdir" "$mdir" modules >> "$log" 2>&1; then
		grep -E '(warning|error):' "$log" | head -n 20
		echo "build-$ver: failed, see $log"
		return 1
	fi
	check_log "$log" "build-$ver" || return 1
	[ -f "$mdir/drivers/kvirtio/kvirtio.ko" ] || {
		echo "build-$ver: no kvirtio.ko produced, see $log"
		return 1
	}
	echo "build-$ver: ok ($mdir/drivers/kvirtio/kvirtio.ko)"
}

# Judge a sparse run: $1 stage name, $2 log, $3 make's exit status, $4 the
# regex that marks project files in diagnostics.  Only diagnostics in
# project files count; the log keeps everything.
sparse_judge()
{
	local name=$1 log=$2 rc=$3 bad

	bad=$(grep -E '(warning|error):' "$log" | grep -cE "$4")
	if [ "$bad" -ne 0 ]; then
		grep -E '(warning|error):' "$log" | grep -E "$4" | head -n 20
		echo "$name: $bad diagnostic(s) in project files, see $log"
		return 1
	fi
	if [ "$rc" -ne 0 ] || ! grep -q ' CHECK ' "$log"; then
		tail -n 20 "$log"
		echo "$name: build failed or nothing was checked, see $log"
		return 1
	fi
	echo "$name: ok ($(grep -c ' CHECK ' "$log") files)"
}

# sparse over every project file of the module build (C=2 checks each
# file whether or not it needs recompiling).  It reuses the 6.12 build's
# copy, so after that build only sparse speaks.
sparse_612()
{
	local kdir mdir=$KV_BUILD/mod-6.12 log=$KV_LOGS/sparse.log

	command -v sparse > /dev/null ||
		kv_die "sparse missing: run scripts/deps.sh headers"
	kdir=$(kv_headers_612) || return 1
	kv_sync_sources "$mdir"
	kv_kbuild "$kdir" "$mdir" C=2 modules > "$log" 2>&1
	sparse_judge sparse "$log" $? "^($mdir/)?(drivers|kunit|include)/"
}

# The same over the UML KUnit build, which also compiles kunit/.
sparse_uml()
{
	local bdir=$KV_BUILD/kunit log=$KV_LOGS/sparse-uml.log

	[ -f "$bdir/.config" ] || {
		echo "sparse-uml: no KUnit build in $bdir: run scripts/kunit.sh first"
		return 1
	}
	kv_prepare_tree
	# C=2 runs sparse on every file, but gcc's own warnings come only
	# from files that get compiled: the KUnit stage, which ignores them,
	# has compiled everything by now.  Compile the project's objects again.
	find "$bdir/drivers/kvirtio" -name '*.o' -delete 2>/dev/null
	make -C "$KV_TREE" ARCH=um O="$bdir" C=2 -j"$KV_JOBS" drivers/kvirtio/ > "$log" 2>&1
	sparse_judge sparse-uml "$log" $? '(^|/)drivers/kvirtio/'
}

# C sources and headers below the given directories.
c_files()
{
	(cd "$KV_ROOT" && find "$@" \
		\( -name .build -o -name '.*' -a ! -name . \) -prune -o \
		-type f \( -name '*.c' -o -name '*.h' \) ! -name '*.mod.c' \
		-print 2>/dev/null | sort)
}

# Kernel code must be checkpatch --strict clean, without exceptions.
# Userspace code in tools/ follows kernel style too, minus the rules that
# only make sense inside the kernel: its headers have no __packed,
# __printf or BIT_ULL(), it names libc's PRIu64 & co, and a program's
# usage() rightly prints "usage: ..." (not a kernel log prefix).  The compat
# header tools/include/ is skipped: it re-creates kernel primitives
# (barriers, volatile accesses, typedefs, EXPORT_SYMBOL) on purpose.
checkpatch()
{
	local name=$1 log=$KV_LOGS/$1.log files opts=()

	kv_prepare_tree
	if [ "$name" = checkpatch ]; then
		mapfile -t files < <(c_files drivers kunit include)
	else
		mapfile -t files < <(c_files tools | grep -v '^tools/include/')
		opts=(--ignore PREFER_DEFINED_ATTRIBUTE_MACRO,BIT_MACRO,CAMELCASE,EMBEDDED_FUNCTION_NAME)
	fi
	[ ${#files[@]} -gt 0 ] || {
		echo "$name: no C files found"
		return 1
	}
	if (cd "$KV_ROOT" && "$KV_TREE/scripts/checkpatch.pl" --no-tree --strict \
	    --show-types --no-summary "${opts[@]}" -f "${files[@]}") > "$log" 2>&1; then
		echo "$name: ok (${#files[@]} files)"
		return 0
	fi
	grep -E '^(ERROR|WARNING|CHECK):' -A 2 "$log" | head -n 30
	echo "$name: $(grep -cE '^(ERROR|WARNING|CHECK):' "$log") message(s), see $log"
	return 1
}

run()
{
	case $1 in
	6.1|6.12)	build "$1" ;;
	sparse)		sparse_612 ;;
	sparse-uml)	sparse_uml ;;
	checkpatch|checkpatch-tools) checkpatch "$1" ;;
	*)		kv_die "unknown stage '$1'" ;;
	esac
}

stages=("$@")
[ ${#stages[@]} -gt 0 ] && [ "${stages[0]}" != all ] ||
	stages=(6.1 6.12 sparse checkpatch checkpatch-tools)
rc=0
for s in "${stages[@]}"; do
	run "$s" || rc=1
done
exit $rc
