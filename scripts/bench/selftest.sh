#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Check scripts/bench/report.py on a synthetic serial log with known
# numbers (about a second, no VM): medians over rounds, the ratios to the
# floor, QEMU and the user backend, per-I/O counters from the windows
# (one missing), the deeper-queue table, the CSV files, fio's table and
# both clients' ratios; a net run's tables, ratios and targets;
# scripts/bench/fio-json.awk (L2's reader of fio's
# JSON) on the JSON of a real fio 3.33 run, selftest-fio.json;
# profile.py's segments for a worker and an inline contender; and
# net-profile.py's time per thread.  Exits 1 on any mismatch.
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

ok()	# ROUND CONTENDER MODE QD P50_US IOPS
{
	echo "BENCH $1 $2 KVLAT OK mode=$3 bs=4096 qd=$4 n=1000 mean_ns=250000 p50_ns=$(($5 * 1000)) p90_ns=1 p99_ns=900000 p999_ns=1 min_ns=1 max_ns=1 iops=$6"
	echo "BENCH $1 $2 KVLAT CDF mode=$3$(cdf $(($5 * 1000)))"
}
fio()	# ROUND CONTENDER MODE ENGINE QD P50_US IOPS
{
	echo "BENCH $1 $2 FIO OK mode=$3 engine=$4 bs=4096 qd=$5 n=1000 mean_ns=300000 p50_ns=$(($6 * 1000)) p90_ns=$(($6 * 1000 + 100000)) p99_ns=900000 p999_ns=1 min_ns=1 max_ns=1 iops=$7"
}
win()	# ROUND CONTENDER MODE BUSY_TICKS EXITS UEXITS IRQS [CPUS]
{
	echo "BENCH $1 $2 BENCH1 WIN mode=$3 cpus=${8:-1} busy_ticks=$4 exits=$5 uexits=$6 irqs=$7 secs=3.5"
}

{
	echo "noise before L1"
	for r in 1 2 3; do
		# kernel read p50: 100, 200, 600 us -> median 200 us.
		p50=$((r * 100))
		[ $r -eq 3 ] && p50=600
		ok $r kernel read 1 $p50 4000
		# 1000 I/Os: 0.5 s of L1 CPU, 3000 exits, 0 to userspace,
		# once the empty window (mark and pause) is taken off.
		win $r kernel idle 10 100 20 3
		win $r kernel read 60 3100 20 1003
		ok $r kernel getid 1 50 9000
		echo "BENCH $r kernel stats:   kernel requests=2100 bytes=0 kicks=1050 interrupts=2100 errors=0 wakeups=2100 budget_exhausted=0 poll_hits=7"
		echo "BENCH VM $r kernel rc=0 cpus=1 secs=10.5"
		ok $r kernel read-qd16-mq2 16 $((r * 100)) 8000
		win $r kernel idle-mq2 5 10 0 0 2
		win $r kernel read-qd16-mq2 25 2010 0 500 2
		echo "BENCH VM $r kernel rc=0 cpus=2 secs=10.5"
		# user read p50: 400 us every round.
		ok $r user read 1 400 2000
		win $r user read 80 3000 10 1000
		echo "BENCH $r user stats:   user worker_wakeups=2100 kick_eventfds=1050 msix_signals=2100 errors=0"
		echo "BENCH $r user stats:   queue 0 chains=2100 used=2100 notifies=2100 suppressed=0 errors=0"
		echo "BENCH VM $r user rc=0 cpus=1 secs=12"
		# A result line cut short, as when a guest dies printing it.
		[ $r -eq 2 ] && echo "BENCH $r user KVLAT OK mode=read-qd16-mq2 bs=4096 qKilled"
		# qemu: no window in round 2 (a guest that printed no marks).
		ok $r qemu read 1 800 1000
		[ $r -ne 2 ] && win $r qemu read 200 5000 $((r * 1000)) 1000
		ok $r qemu read-qd16-mq2 16 900 4000
		echo "BENCH VM $r qemu rc=0 cpus=1 secs=20"
		# Port-notify contenders: kinline-pio against qemu-pio; no
		# user-pio ran, so its user ratio falls back to user.
		ok $r kinline-pio read 1 100 5000
		ok $r qemu-pio read 1 500 1500
		# Direct mode: kdirect-pio read p50 80 us against kinline-pio's
		# 100; boots 3 s (2, 3, 4) against 4 s, with 0 BAR0 exits
		# against 120; the two-vCPU guest's boot is not in the table.
		ok $r kdirect-pio read 1 80 6000
		echo "BENCH $r kinline-pio BENCH1 BOOT cpus=1 secs=4.0 bar0_exits=120"
		echo "BENCH $r kinline-pio BENCH1 BOOT cpus=2 secs=9.0 bar0_exits=240"
		echo "BENCH $r kdirect-pio BENCH1 BOOT cpus=1 secs=$((r + 1)).0 bar0_exits=0"
		echo "BENCH $r qemu-pio BENCH1 BOOT cpus=1 secs=5.0 bar0_exits=na"
		# fio-read p50: kernel 300, 350, 700 us -> 350; user 500;
		# qemu 700.  fio-read-libaio: user failed in round 2.
		p50=$((250 + r * 50))
		[ $r -eq 3 ] && p50=700
		fio $r kernel fio-read io_uring 1 $p50 2800
		# Its window: 1000 requests, 0.3 s of L1 CPU, 1100 exits, 503
		# interrupts, less the empty window (10, 100, 20, 3).
		win $r kernel fio-read 40 1200 20 506
		fio $r kernel fio-read-libaio libaio 1 400 2500
		fio $r kernel fio-read-qd16 io_uring 16 900 3000
		fio $r user fio-read io_uring 1 500 2000
		if [ $r -eq 2 ]; then
			echo "BENCH $r user FIO INFO mode=fio-read-libaio fio: io_u error"
			echo "BENCH $r user FIO FAIL mode=fio-read-libaio: fio exited 1"
		else
			fio $r user fio-read-libaio libaio 1 450 2200
		fi
		fio $r user fio-read-qd16 io_uring 16 900 2000
		fio $r qemu fio-read io_uring 1 700 1400
		fio $r qemu fio-read-libaio libaio 1 500 2000
		fio $r qemu fio-read-qd16 io_uring 16 900 4000
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
# Medians: kernel read p50 200 us over a 50 us floor = 4.00, over qemu's
# 800 us 0.25, over user's 400 us 0.50; 500 us of L1 CPU per I/O.
check table.md '| kernel | read | 3 | 200.0 | 900.0 | 250.0 | 4000 | 4.00 | 0.25 | 0.50 | 500 | 3.00 | 0.000 | 1.000 |'
check table.md '| user | read | 3 | 400.0 | 900.0 | 250.0 | 2000 | 8.00 | 0.50 | 1.00 | 800 | 3.00 | 0.010 | 1.000 |'
# qemu: user exits 1000 and 3000 per 1000 I/Os -> median 2.000.
check table.md '| qemu | read | 3 | 800.0 | 900.0 | 250.0 | 1000 | 16.00 | 1.00 | 2.00 | 2000 | 5.00 | 2.000 | 1.000 |'
check table.md '| kernel | getid | 3 | 50.0 |'
# Floor IOPS 9000 (kernel getid).
check table.md '| kernel | read-qd16-mq2 | 3 | 8000 | 0.89 | 2.00 | - | 250.0 | 900.0 | 200 | 2.00 | 0.000 | 0.500 |'
check table.md 'kernel read: p50 / qemu 0.25, / user 0.50, / floor 4.00'
check table.md '| kinline-pio | read | 3 | 100.0 | 900.0 | 250.0 | 5000 | 2.00 | 0.20 | 0.25 |'
check table.md 'kinline-pio read: p50 / qemu-pio 0.20, / user 0.25, / floor 2.00'
check table.md 'kdirect-pio read: p50 / kinline-pio (forwarded) 0.80, IOPS / kinline-pio 1.20'
check table.md '| kinline-pio | 3 | 4.00 | 120 | - |'
check table.md '| kdirect-pio | 3 | 3.00 | 0 | 0.75 |'
check table.md '| qemu-pio | 3 | 5.00 | - | - |'
check results.csv 'round,contender,mode,bs,qd,n,mean_ns'
check results.csv '1,kernel,read,4096.0,1.0,1000.0,'
check summary.csv 'kernel,read,3,'
[ "$(grep -c '^[123],' "$tmp/results.csv")" -eq 27 ] || { echo "FAIL: results.csv rows"; fail=1; }
[ "$(grep -c ',read,' "$tmp/cdf.csv")" -eq $((3 * 6 * 101)) ] || { echo "FAIL: cdf.csv rows"; fail=1; }
# profile.py on a synthetic trace: a worker contender (the interrupt from
# another thread after a wake-up) and an inline one (from the vCPU thread
# between its exit and its entry), 10 us steps.
ev()	# TIME_US PID EVENT REST
{
	printf '%16s-%-5d [000] d..1. %d.%06d: %s: %s\n' t "$2" $(($1 / 1000000)) \
		$(($1 % 1000000)) "$3" "$4"
}
{
	echo "# BENCH PROFILE worker"
	for i in 0 1 2 3; do
		t=$((1000000 + i * 1000))
		ev $t 10 kvm_exit "vcpu 0 reason npf"
		ev $((t + 10)) 10 kvm_entry "vcpu 0"
		ev $((t + 30)) 0 sched_wakeup "comm=kvirtio-0 pid=20 prio=120"
		ev $((t + 40)) 0 sched_switch "prev_pid=0 ==> next_comm=kvirtio-0 next_pid=20"
		ev $((t + 100)) 20 kvm_apic_accept_irq "apicid 0 vec 34"
		ev $((t + 120)) 10 kvm_exit "vcpu 0 reason interrupt"
		ev $((t + 130)) 10 kvm_entry "vcpu 0"
	done
	echo "# BENCH PROFILE inline"
	for i in 0 1 2 3; do
		t=$((2000000 + i * 1000))
		ev $t 10 kvm_exit "vcpu 0 reason io"
		ev $((t + 20)) 10 kvirtio_kick "dev=0 q=0 source=eventfd"
		ev $((t + 70)) 10 kvm_apic_accept_irq "apicid 0 vec 34"
		ev $((t + 80)) 10 kvm_entry "vcpu 0"
	done
} > "$tmp/trace"
$PY "$KV_ROOT/scripts/bench/profile.py" "$tmp/trace" > "$tmp/profile.md" 2>&1 ||
	{ echo "FAIL: profile.py exited $?"; fail=1; }
# worker: kick 30, sched 10, backend 60, inject 30 (to the entry after
# the interrupt exit), guest 1000 - 130 = 870; the first interrupt only
# starts the count and the last has no next request: 2 requests.
# inline: kick 20, sched 0, backend 50, inject 10, guest 920; 3 requests.
check profile.md '| kick: L2 exit to backend wake-up (exit, MMIO decode, ioeventfd) | 30.0 | 30.0 | 3% | 20.0 | 20.0 | 2% |'
check profile.md '| backend: backend running to interrupt (ring, I/O, used, irqfd) | 60.0 | 60.0 | 6% | 50.0 | 50.0 | 5% |'
check profile.md 'inline: 3 requests traced (0 dropped), backend thread "vCPU thread (inline)"'
check profile.md 'worker: 2 requests traced (0 dropped), backend thread "kvirtio-0"'

# net-profile.py on a synthetic trace over two CPUs: per round trip of
# 1000 us, the vCPU thread runs 500 us on CPU 0 (300 of them in L2), the
# worker 200 us on CPU 1, and the rest is idle (500 + 800 us); one exit,
# one device interrupt (the timer's vector 236 does not count), one
# wake-up and four switches (and the closing one: 17).  4 round trips.
evc()	# TIME_US CPU COMM PID EVENT REST
{
	printf '%16s-%-5d [%03d] d..1. %d.%06d: %s: %s\n' "$3" "$4" "$2" \
		$(($1 / 1000000)) $(($1 % 1000000)) "$5" "$6"
}
idle_to()	# TIME_US CPU COMM PID: switch from idle to COMM
{
	evc $1 $2 '<idle>' 0 sched_switch "prev_comm=swapper/$2 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=$3 next_pid=$4 next_prio=120"
}
to_idle()	# TIME_US CPU COMM PID: switch from COMM to idle
{
	evc $1 $2 "$3" $4 sched_switch "prev_comm=$3 prev_pid=$4 prev_prio=120 prev_state=S ==> next_comm=swapper/$2 next_pid=0 next_prio=120"
}
{
	echo "# BENCH PROFILE knet"
	for i in 0 1 2 3; do
		t=$((1000000 + i * 1000))
		idle_to $t 0 'CPU 0/KVM' 10
		evc $t 0 'CPU 0/KVM' 10 kvm_entry "vcpu 0, rip 0x0"
		evc $((t + 300)) 0 'CPU 0/KVM' 10 kvm_exit "vcpu 0 reason npf"
		evc $((t + 490)) 0 'CPU 0/KVM' 10 sched_wakeup "comm=kvirtio-20 pid=20 prio=120 target_cpu=001"
		to_idle $((t + 500)) 0 'CPU 0/KVM' 10
		idle_to $((t + 500)) 1 kvirtio-20 20
		evc $((t + 650)) 1 kvirtio-20 20 kvm_apic_accept_irq "apicid 0 vec 34 (Fixed|edge)"
		evc $((t + 650)) 1 kvirtio-20 20 kvm_apic_accept_irq "apicid 0 vec 236 (Fixed|edge)"
		to_idle $((t + 700)) 1 kvirtio-20 20
	done
	idle_to 1004000 0 'CPU 0/KVM' 10
} > "$tmp/ntrace"
$PY "$KV_ROOT/scripts/bench/net-profile.py" "$tmp/ntrace" 4 > "$tmp/net-profile.md" 2>&1 ||
	{ echo "FAIL: net-profile.py exited $?"; fail=1; }
check net-profile.md '| idle | 1300.0 |'
check net-profile.md '| CPU N/KVM | 200.0 |'
check net-profile.md '| CPU N/KVM (in L2) | 300.0 |'
check net-profile.md '| kvirtio-N | 200.0 |'
check net-profile.md '| elapsed per round trip (wall) | 1000.0 |'
check net-profile.md '| L2 exits per round trip | 1.00 |'
check net-profile.md '| device interrupts per round trip | 1.00 |'
check net-profile.md '| wake-ups per round trip | 1.00 |'
check net-profile.md '| context switches per round trip | 4.25 |'
check net-profile.md 'L1 CPUs seen: knet 2.'

# fio: kernel fio-read p50 350 us, p90 450 us: 0.50 of qemu's 700 us,
# 0.70 of user's 500 us; IOPS 2800 against 1400 and 2000.
check table.md '| kernel | fio-read | io_uring | 1 | 3 | 350.0 | 450.0 | 900.0 | 300.0 | 2800 | 0.50 | 0.70 | 2.00 | 1.40 | 300 | 1.10 | 0.503 |'
check table.md '| user | fio-read | io_uring | 1 | 3 | 500.0 | 600.0 | 900.0 | 300.0 | 2000 | 0.71 | 1.00 | 1.43 | 1.00 | - | - | - |'
check table.md '| user | fio-read-libaio | libaio | 1 | 2 | 450.0 | 550.0 | 900.0 | 300.0 | 2200 | 0.90 | 1.00 | 1.10 | 1.00 |'
check table.md '| qemu | fio-read-qd16 | io_uring | 16 | 3 | 900.0 |'
# Both clients: kvlat's read p50 ratios (no kvlat read-qd16 in this log).
check table.md '| contender | ratio to | kvlat read p50 | fio-read p50 | fio-read-libaio p50 | kvlat read-qd16 IOPS | fio-read-qd16 IOPS |'
check table.md '| kernel | qemu | 0.25 | 0.50 | 0.80 | - | 0.75 |'
check table.md '| kernel | user | 0.50 | 0.70 | 0.89 | - | 1.50 |'
check table.md '| user | qemu | 0.50 | 0.71 | 0.90 | - | 0.50 |'
check fio.csv '2,kernel,fio-read,io_uring,4096.0,1.0,1000.0,300000.0,350000.0,'
[ "$(grep -c '^[123],' "$tmp/fio.csv")" -eq 26 ] || { echo "FAIL: fio.csv rows"; fail=1; }

# A net run (run.sh --mode net): kvnet's lines from the guest (OK) and
# from L1's end (PEEROK), windows per mode, one line cut short.
rr()	# ROUND CONTENDER PROTO P50_US
{
	echo "BENCH $1 $2 KVNET OK mode=$3-rr rr proto=$3 n=1000 lost=0 p50_us=$4 p99_us=900 mean_us=300 min_us=1 max_us=2000"
}
mkdir -p "$tmp/net"
{
	echo "BENCH L1 READY bench=net cont=knet-inline,qemu-vhost,qemu-net rounds=3 n=1000 warm=100 modes=udp-rr,tcp-rr,tcp-tx,tcp-rx,udp-pps poll=1000 mq=0 secs=10"
	for r in 1 2 3; do
		# knet-inline UDP rr p50 100, 200, 300 -> 200 us: 0.80 of
		# vhost-net's 250 (met, at the limit), 0.40 of QEMU's 500.
		rr $r knet-inline udp $((r * 100))
		rr $r qemu-vhost udp 250
		rr $r qemu-net udp 500
		# Its window: 1000 + 100 round trips; 1 s of L1 CPU, 2200
		# exits, 1100 interrupts once the empty window is off.
		win $r knet-inline idle 10 100 0 3
		win $r knet-inline udp-rr 110 2300 0 1103
		rr $r knet-inline tcp 300
		rr $r qemu-vhost tcp 400
		# qemu-net's round-2 TCP rr line is cut short: 700 and 900 -> 800.
		if [ $r -eq 2 ]; then
			echo "BENCH $r qemu-net KVNET OK mode=tcp-rr rr proto=tcp n=1000 p50_us=9"
		else
			rr $r qemu-net tcp $((600 + r * 100))
		fi
		# TCP tx 90 Mbit/s against vhost-net's 100: 10% short; rx
		# (L1's sender) 120 against 100.
		echo "BENCH $r knet-inline KVNET OK mode=tcp-tx tcp-stream bytes=112500000 secs=10 mbps=90"
		echo "BENCH $r qemu-vhost KVNET OK mode=tcp-tx tcp-stream bytes=125000000 secs=10 mbps=100"
		echo "BENCH $r knet-inline KVNET PEEROK mode=tcp-rx tcp-stream bytes=150000000 secs=10 mbps=120"
		echo "BENCH $r knet-inline KVNET OK mode=tcp-rx-sink tcp-sink bytes=150000000 secs=10 mbps=120"
		echo "BENCH $r qemu-vhost KVNET PEEROK mode=tcp-rx tcp-stream bytes=125000000 secs=10 mbps=100"
		# 150 MB L1 to guest: 3 s of CPU, 400 exits (less the idle
		# window's 100), 1503 irqs -> 20000 us, 2.000, 10.000 per MB.
		win $r knet-inline tcp-rx 310 400 0 1503
		# 50000 packets sent in 10 s, 40000 received: 4000 pps.
		echo "BENCH $r knet-inline KVNET OK mode=udp-pps udp-flood sent=50000 secs=10 pps=5000"
		echo "BENCH $r knet-inline KVNET PEEROK mode=udp-pps udp-count rcvd=40000 secs=10 pps=4000"
		echo "BENCH $r knet-inline KVNET FAIL mode=udp-pps: nothing"
		echo "BENCH VM $r knet-inline rc=0 cpus=1 secs=60"
	done
	echo "BENCH L1 DONE"
} > "$tmp/net/serial.log"
$PY "$KV_ROOT/scripts/bench/report.py" --no-plot --out "$tmp/net" "$tmp/net/serial.log" > "$tmp/net/stdout" ||
	{ echo "FAIL: report.py (net) exited $?"; cat "$tmp/net/stdout"; fail=1; }
check net/table.md '| knet-inline | 3 | 200.0 | 900.0 | 300.0 | 300.0 | 900.0 | 300.0 | 90.0 | 120.0 | 5000 | 4000 |'
check net/table.md '| qemu-net | 3 | 500.0 | 900.0 | 300.0 | 800.0 |'
check net/table.md '| knet-inline | qemu-vhost | 0.80 | 0.75 | 0.90 | 1.20 | - |'
check net/table.md '| knet-inline | qemu-net | 0.40 | 0.38 | - | - | - |'
check net/table.md '| knet-inline | udp-rr | 909.1 | 2.000 | 0.000 | 1.000 |'
check net/table.md '| knet-inline | tcp-rx | 20000.0 | 2.000 | 0.000 | 10.000 |'
check net/table.md '| knet-inline | UDP rr p50 / vhost-net | <= 0.8 | 0.80 | yes |'
check net/table.md '| knet-inline | UDP rr p50 / QEMU userspace | <= 0.5 | 0.40 | yes |'
check net/table.md '| knet-inline | TCP tx (guest to L1) / vhost-net | >= 1.0 | 0.90 | no: 10% short |'
check net/table.md '| knet-inline | TCP rx (L1 to guest) / vhost-net | >= 1.0 | 1.20 | yes |'
check net/table.md 'after 100 warm-up round trips'
check net/net.csv '1,knet-inline,100.0,900.0,300.0,300.0,900.0,300.0,90.0,120.0,5000.0,4000.0,'
[ "$(grep -c '^[123],' "$tmp/net/net.csv")" -eq 9 ] || { echo "FAIL: net.csv rows"; fail=1; }
check net/net-summary.csv 'qemu-net,3,500.0,'

# L2's reader, with busybox awk as in L2 when there is one.  The numbers
# are those of job "m", read side, lat_ns (not the warm-up job's, not
# clat_ns).
awk=awk
command -v busybox > /dev/null && awk="busybox awk"
fj()
{
	$awk -v mode=fio-read -v engine=io_uring -v bs=4096 -v qd=1 \
		-f "$KV_ROOT/scripts/bench/fio-json.awk" "$@"
}
fj "$KV_ROOT/scripts/bench/selftest-fio.json" > "$tmp/fio.line"
check fio.line 'FIO OK mode=fio-read engine=io_uring bs=4096 qd=1 n=200 mean_ns=2204 p50_ns=1864 p90_ns=2096 p99_ns=3280 p999_ns=60160 min_ns=1688 max_ns=60048 iops=200000.0'
sed 's/"jobname" : "m"/"jobname" : "x"/' "$KV_ROOT/scripts/bench/selftest-fio.json" > "$tmp/nom.json"
fj "$tmp/nom.json" > "$tmp/nom.line" && { echo "FAIL: fio-json.awk exited 0 without job m"; fail=1; }
check nom.line 'FIO FAIL mode=fio-read'
if [ $fail -ne 0 ]; then
	cat "$tmp/profile.md"
	cat "$tmp/net-profile.md"
	cat "$tmp/table.md"
	echo "bench selftest: FAIL"
	exit 1
fi
echo "bench selftest: ok"
