#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Check scripts/bench/report.py on a synthetic serial log with known
# numbers (about a second, no VM): medians over rounds, the floor and
# kernel/user ratios, the boot share subtracted from per-I/O counters,
# the CSV files.  Exits 1 on any mismatch.
set -uo pipefail
KV_ROOT=$(cd "$(dirname "$0")/../.." && pwd -P)
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cdf()
{
	local i out=
	for i in $(seq 0 100); do out="$out $(($1 + i * 1000))"; done
	echo "$out"
}

{
	echo "noise before L1"
	# Boot share: 1000 exits, 100 requests, 50 kicks, 100 interrupts.
	echo "BENCH 0 kernel stats: exits io=900 mmio=100 shutdown=1 total=1000"
	echo "BENCH 0 kernel stats: dev 01.0 blk backend=kernel cfg_exits=1 mmio_exits=1 route_updates=1"
	echo "BENCH 0 kernel stats:   kernel requests=100 bytes=0 kicks=50 interrupts=100 errors=0 wakeups=100 budget_exhausted=0 poll_hits=0"
	echo "BENCH 0 user stats: exits io=900 mmio=100 shutdown=1 total=1000"
	echo "BENCH 0 user stats: dev 01.0 blk backend=user cfg_exits=1 mmio_exits=1 route_updates=1"
	echo "BENCH 0 user stats:   user worker_wakeups=100 kick_eventfds=50 msix_signals=100 errors=0"
	echo "BENCH 0 user stats:   queue 0 chains=100 used=100 notifies=100 suppressed=0 errors=0"
	for r in 1 2 3; do
		# kernel read p50: 100, 200, 600 us -> median 200 us (mean 300).
		p50=$((r * 100000))
		[ $r -eq 3 ] && p50=600000
		echo "BENCH $r kernel KVLAT OK mode=read bs=4096 n=1000 mean_ns=250000 p50_ns=$p50 p90_ns=1 p99_ns=900000 p999_ns=1 min_ns=1 max_ns=1 iops=4000"
		echo "BENCH $r kernel KVLAT CDF mode=read$(cdf 100000)"
		echo "BENCH $r kernel KVLAT OK mode=getid bs=0 n=1000 mean_ns=60000 p50_ns=50000 p90_ns=1 p99_ns=1 p999_ns=1 min_ns=1 max_ns=1 iops=9000"
		echo "BENCH $r kernel KVLAT CDF mode=getid$(cdf 50000)"
		# 2000 I/Os beyond the boot: 1000 more exits, 1000 more kicks.
		echo "BENCH $r kernel stats: exits io=1900 mmio=100 shutdown=1 total=2000"
		echo "BENCH $r kernel stats: dev 01.0 blk backend=kernel cfg_exits=1 mmio_exits=1 route_updates=1"
		echo "BENCH $r kernel stats:   kernel requests=2100 bytes=0 kicks=1050 interrupts=2100 errors=0 wakeups=2100 budget_exhausted=0 poll_hits=0"
		echo "BENCH VM $r kernel rc=0 secs=10.5"
		# user read p50: 400 us every round.
		echo "BENCH $r user KVLAT OK mode=read bs=4096 n=1000 mean_ns=450000 p50_ns=400000 p90_ns=1 p99_ns=1 p999_ns=1 min_ns=1 max_ns=1 iops=2000"
		echo "BENCH $r user KVLAT CDF mode=read$(cdf 400000)"
		echo "BENCH $r user stats: exits io=900 mmio=100 shutdown=1 total=1000"
		echo "BENCH $r user stats: dev 01.0 blk backend=user cfg_exits=1 mmio_exits=1 route_updates=1"
		echo "BENCH $r user stats:   user worker_wakeups=2100 kick_eventfds=1050 msix_signals=2100 errors=0"
		echo "BENCH $r user stats:   queue 0 chains=2100 used=2100 notifies=2100 suppressed=0 errors=0"
		echo "BENCH VM $r user rc=0 secs=12"
	done
	echo "BENCH L1 DONE"
} > "$tmp/serial.log"

fail=0
check()
{
	if grep -qF -- "$2" "$tmp/$1"; then
		echo "ok: $1 has '$2'"
	else
		echo "FAIL: $1 lacks '$2'"
		fail=1
	fi
}

$PY "$KV_ROOT/scripts/bench/report.py" --no-plot --out "$tmp" "$tmp/serial.log" > "$tmp/stdout" ||
	{ echo "FAIL: report.py exited $?"; cat "$tmp/stdout"; exit 1; }
# Medians: kernel read p50 200 us over a 50 us floor = 4.00; user 400 us.
check table.md '| kernel | read | 3 | 200.0 | 900.0 | 250.0 | 4000 | 4.00 | - | 0.500 | 0.500 | 1.000 | 1.000 |'
check table.md '| user | read | 3 | 400.0 |'
check table.md '| kernel | getid | 3 | 50.0 |'
check table.md 'read: kernel p50 / user p50 = 0.50; kernel p50 / floor = 4.00'
# User: no exits beyond the boot's.
check table.md '| 8.00 | - | 0.000 | 0.500 | 1.000 | 1.000 |'
check results.csv 'round,contender,mode,bs,n,mean_ns'
check summary.csv 'kernel,read,3,'
[ "$(grep -c '^[123],' "$tmp/results.csv")" -eq 9 ] || { echo "FAIL: results.csv rows"; fail=1; }
[ "$(grep -c ',read,' "$tmp/cdf.csv")" -eq $((2 * 3 * 101)) ] || { echo "FAIL: cdf.csv rows"; fail=1; }
if [ $fail -ne 0 ]; then
	cat "$tmp/table.md"
	echo "bench selftest: FAIL"
	exit 1
fi
echo "bench selftest: ok"
