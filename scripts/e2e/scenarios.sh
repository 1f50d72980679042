#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The L1 half of the end-to-end scenarios (busybox sh, runs inside L1).
#
#   /e2e/scenarios.sh SCENARIOS BACKENDS      (comma-separated lists)
#
# Each scenario runs once per backend:
#   kernel  tools/vmm with the devices in kvirtio.ko   (--rng/--blk backend=kernel)
#   user    tools/vmm with its userspace backend       (backend=user)
#   qemu    QEMU/KVM in L1 (image built --with-qemu): the reference
#
# and prints exactly one of
#   E2E PASS <scenario>/<backend>
#   E2E FAIL <scenario>/<backend>: <reason>
# Around every run it checks for leaks (pinned pages, the module's live
# objects) and for Oops/BUG/WARNING/KFENCE in L1's kernel log.
scen_list=$(echo "$1" | tr ',' ' ')
backend_list=$(echo "$2" | tr ',' ' ')

W=/work			# tmpfs: backing files live here
L=/tmp/logs		# one log per VM run
mkdir -p $L
L2_CMDLINE="console=ttyS0 panic=-1 reboot=t quiet loglevel=4"
VM_MEM=256
MIB=1048576

say() { echo "L1 $*"; }

# ---------------------------------------------------------------------
# Leak and health probes
# ---------------------------------------------------------------------

# Pages pinned with FOLL_PIN and not yet released, system-wide.  The
# counters have per-CPU deltas that are folded lazily: stat_refresh folds
# them first, else a few pins can show up seconds late (or early).
pins()
{
	echo 1 > /proc/sys/vm/stat_refresh 2>/dev/null
	awk '/^nr_foll_pin_acquired/ { a = $2 } /^nr_foll_pin_released/ { r = $2 }
	     END { print a - r }' /proc/vmstat
}

# The module's live objects: "name=value ..." from its debugfs counters,
# empty when the module exposes none (or is not loaded).
KV_STATS=/sys/kernel/debug/kvirtio/live
live_objects()
{
	[ -r $KV_STATS ] || return 0
	awk '$2 ~ /^[0-9]+$/ { printf "%s=%s ", $1, $2 }' $KV_STATS
}

live_nonzero()
{
	[ -r $KV_STATS ] || return 1
	awk '$2 ~ /^[0-9]+$/ && $2 != 0 { bad = 1 } END { exit !bad }' $KV_STATS
}

# "cache bytes" of active objects for every slab cache.
slab_snap()
{
	awk 'NR > 2 { print $1, $2 * $4 }' /proc/slabinfo
}

slab_kb() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }

# Kernel log lines that mean the kernel (or the module) misbehaved.
BAD_DMESG='Oops|BUG|WARNING|KFENCE|general protection|kernel BUG|Call Trace|refcount_t|list_(add|del) corruption'

# ---------------------------------------------------------------------
# Running a guest
# ---------------------------------------------------------------------

# vm_exec BACKEND CPUS FILE BLKOPTS ARGS: replace this (sub)shell by a VMM
# running L2 with an rng device and a blk device on FILE.  BLKOPTS is a
# comma-separated list of ro and queues=N; ARGS go to the L2 command line.
vm_exec()
{
	b=$1 cpus=$2 file=$3 opts=$4 args=$5
	case $b in
	kernel|user)
		spec=$file
		[ -n "$opts" ] && spec=$spec,$opts
		exec /bin/vmm --kernel /l2/vmlinuz --initrd /l2/initrd.gz \
			--cmdline "$L2_CMDLINE $args" --cpus "$cpus" --mem $VM_MEM \
			--rng backend=$b --blk "$spec,backend=$b" --stats
		;;
	qemu)
		ro=off nq=1
		for o in $(echo "$opts" | tr ',' ' '); do
			case $o in
			ro)		ro=on ;;
			queues=*)	nq=${o#*=} ;;
			esac
		done
		exec /bin/qemu-system-x86_64 -L /usr/share/qemu -bios qboot.rom -accel kvm \
			-machine q35 -cpu host -m $VM_MEM -smp "$cpus" \
			-nodefaults -display none -serial stdio -monitor none \
			-no-reboot -kernel /l2/vmlinuz -initrd /l2/initrd.gz \
			-append "$L2_CMDLINE $args" \
			-drive file="$file",if=none,id=d0,format=raw,discard=unmap,readonly=$ro \
			-device virtio-blk-pci,drive=d0,num-queues=$nq \
			-object rng-random,id=r0,filename=/dev/urandom \
			-device virtio-rng-pci,rng=r0
		;;
	esac
	echo "vm_exec: unknown backend $b"
	exit 127
}

# Seconds since L1 booted (integer).  Deadlines use it rather than
# counting sleeps: a short sleep under TCG is not a reliable clock.
now() { cut -d. -f1 /proc/uptime; }

# Is pid $1 still running (not a zombie)?
alive()
{
	kill -0 $1 2>/dev/null && ! grep -q '^State:.*Z' /proc/$1/status 2>/dev/null
}

# Wait for pid $1 at most $2 seconds; SIGKILL it on timeout.  Returns its
# exit status, 124 on timeout.  A watchdog subshell does the killing, so
# the wait itself is the shell's own (no polling of /proc).
wait_pid()
{
	rm -f /tmp/wd.$1
	( sleep $2; kill -0 $1 2>/dev/null && { : > /tmp/wd.$1; kill -9 $1; } ) &
	wp_wd=$!
	wait $1
	wp_rc=$?
	kill $wp_wd 2>/dev/null
	wait $wp_wd 2>/dev/null
	[ -e /tmp/wd.$1 ] && return 124
	return $wp_rc
}

# Wait until file $1 has a line matching $2, at most $3 seconds, while pid
# $4 lives.
wait_line()
{
	wl_end=$(($(now) + $3))
	while [ $(now) -lt $wl_end ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		alive $4 || { grep -q "$2" "$1"; return; }
		sleep 0.2
	done
	return 1
}

# Copy the interesting lines of a VM log to the console.
show_log()
{
	tr -d '\r' < "$1" | grep -E '^(L2 |KVBLK|vmm|stats:|Kernel panic|.*(BUG|Oops|WARNING))' |
		grep -v 'unclaimed_port' | sed "s|^|  [$TAG] |" | head -n 60
}

# Last lines of a VM log, for failures.
tail_log()
{
	tr -d '\r' < "$1" | tail -n 25 | sed "s|^|  [$TAG tail] |"
}

# guest CPUS FILE BLKOPTS ARGS [TIMEOUT]: boot L2 with the current backend
# and wait for it to power off.  Returns 0 iff L2 printed RESULT PASS.
RUN=0
guest()
{
	RUN=$((RUN + 1))
	log=$L/$RUN.log
	t0=$(cut -d' ' -f1 /proc/uptime)
	(vm_exec "$BACKEND" "$1" "$2" "$3" "$4") > $log 2>&1 &
	pid=$!
	wait_pid $pid "${5:-150}"
	rc=$?
	t1=$(cut -d' ' -f1 /proc/uptime)
	show_log $log
	say "[$TAG] vm exit rc=$rc after $(awk "BEGIN { print $t1 - $t0 }") s"
	if [ $rc -eq 124 ]; then
		tail_log $log
		REASON="VM timed out after ${5:-150} s (killed)"
		return 1
	fi
	r=$(tr -d '\r' < $log | grep -m1 '^L2 RESULT')
	case $r in
	"L2 RESULT PASS"*)	return 0 ;;
	"L2 RESULT FAIL"*)	REASON="guest: ${r#L2 RESULT FAIL }" ;;
	*)			tail_log $log
				REASON="no guest result (vm rc=$rc)" ;;
	esac
	return 1
}

# Start a guest in the background (for kill tests); sets VMPID and VMLOG.
guest_bg()
{
	RUN=$((RUN + 1))
	VMLOG=$L/$RUN.log
	(vm_exec "$BACKEND" "$1" "$2" "$3" "$4") > $VMLOG 2>&1 &
	VMPID=$!
}

# The pin count and the module's objects settle once the VMM is gone; the
# device release may run from a worker, so give it a few seconds.
settled()
{
	st_end=$(($(now) + 5))
	while :; do
		[ "$(pins)" = "$PINS0" ] && ! live_nonzero && return 0
		[ $(now) -lt $st_end ] || return 1
		sleep 0.2
	done
}

# ---------------------------------------------------------------------
# Backing files
# ---------------------------------------------------------------------

blank() { rm -f "$1"; truncate -s "$2" "$1"; }

# A file holding the pattern with seed $2 over its first $3 bytes, $4 long.
patterned()
{
	rm -f "$1"
	kvblk gen "$1" -s "$2" -l "$3" > /dev/null || return 1
	truncate -s "$4" "$1"
}

sum() { sha256sum "$1" | cut -d' ' -f1; }

blocks() { stat -c %b "$1"; }

# ---------------------------------------------------------------------
# Scenarios: sc_NAME, run with $BACKEND set; return 0 to pass or set
# REASON and return 1.
# ---------------------------------------------------------------------

# Devices seen with the right ids and features; hwrng bound to virtio.
sc_probe()
{
	blank $W/disk 64M
	guest 1 $W/disk "" "kvt.scen=probe" || return 1
	grep -q 'L2 DEV .* device=0x0002 ' $log || { REASON="no blk device in guest"; return 1; }
	grep -q 'L2 DEV .* device=0x0004 ' $log || { REASON="no rng device in guest"; return 1; }
	grep -q 'L2 BLK vda sectors=131072 ro=0' $log ||
		{ REASON="vda is not 131072 sectors, rw"; return 1; }
}

# /dev/hwrng reads come from virtio_rng and look random.
sc_rng()
{
	blank $W/disk 16M
	guest 1 $W/disk "" "kvt.scen=rng"
}

# Direct and buffered writes; the backing file must match the pattern
# byte for byte (and be untouched past it).
sc_blk()
{
	blank $W/disk 64M
	guest 1 $W/disk "" "kvt.scen=blk kvt.seed=11 kvt.len=$((16 * MIB))" || return 1
	patterned $W/expect 11 $((16 * MIB)) 64M || { REASON="kvblk gen failed"; return 1; }
	a=$(sum $W/disk) e=$(sum $W/expect)
	say "[$TAG] backing sha256 $a expected $e"
	[ "$a" = "$e" ] || { REASON="backing file checksum differs from the pattern"; return 1; }
}

# Reads: L1 writes the pattern, the guest verifies it over direct I/O.
sc_verify()
{
	patterned $W/disk 12 $((64 * MIB)) 64M
	guest 1 $W/disk "" "kvt.scen=verify kvt.seed=12 kvt.len=$((64 * MIB))"
}

# Discard punches a hole (blocks freed in tmpfs), write-zeroes reads back
# zero, data outside the range is intact.
sc_discard()
{
	patterned $W/disk 13 $((64 * MIB)) 64M
	b0=$(blocks $W/disk)
	guest 1 $W/disk "" "kvt.scen=discard kvt.len=$((32 * MIB))" || return 1
	b1=$(blocks $W/disk)
	say "[$TAG] backing blocks before $b0 after $b1 (512 B units)"
	[ $((b0 - b1)) -ge $((16 * MIB / 512)) ] ||
		{ REASON="discard freed only $((b0 - b1)) sectors of $((16 * MIB / 512))"; return 1; }
	kvblk zero $W/disk -l $((32 * MIB)) > /dev/null ||
		{ REASON="discarded/zeroed range does not read as zeroes in L1"; return 1; }
	kvblk verify $W/disk -s 13 -o $((32 * MIB)) -l $((32 * MIB)) > /dev/null ||
		{ REASON="data outside the discarded range changed"; return 1; }
}

# Writes followed by fsync (FLUSH requests) reach the backing file.
sc_flush()
{
	blank $W/disk 32M
	guest 1 $W/disk "" "kvt.scen=flush kvt.seed=14 kvt.len=$((8 * MIB))" || return 1
	grep -iE 'flush' $log | sed "s|^|  [$TAG] |" | head -n 3
	kvblk verify $W/disk -s 14 -l $((8 * MIB)) > /dev/null ||
		{ REASON="flushed data not in the backing file"; return 1; }
}

# A read-only disk: the guest sees RO, cannot write, reads work, the file
# does not change.
sc_ro()
{
	patterned $W/disk 15 $((16 * MIB)) 16M
	chmod 0444 $W/disk
	s0=$(sum $W/disk)
	guest 1 $W/disk ro "kvt.scen=ro kvt.seed=15 kvt.len=$((16 * MIB))" || return 1
	[ "$(sum $W/disk)" = "$s0" ] || { REASON="read-only backing file changed"; return 1; }
}

# Two vCPUs, two queues, one writer per CPU.
sc_mq()
{
	blank $W/disk 64M
	guest 2 $W/disk queues=2 "kvt.scen=mq kvt.seed=16 kvt.len=$((32 * MIB))" || return 1
	grep -q 'L2 BLK vda .* mq=2 ' $log || { REASON="guest did not get 2 hardware queues"; return 1; }
	kvblk verify $W/disk -s 16 -l $((32 * MIB)) > /dev/null ||
		{ REASON="backing file does not hold both writers' data"; return 1; }
}

# Reboot with direct I/O in flight.  The first boot leaves a marker and
# reboots; the next boot (same VMM if it resets the VM, else a new one)
# sees the marker and checks I/O works on the reset device.
sc_reboot()
{
	blank $W/disk 64M
	guest 1 $W/disk "" "kvt.scen=reboot kvt.seed=17 kvt.len=$((16 * MIB))" && return 0
	grep -q 'L2 REBOOTING' $log || return 1
	nb=$(grep -c 'L2 READY' $log)
	if [ "$nb" -ge 2 ]; then
		return 1	# the VMM rebooted the guest; REASON is set
	fi
	say "[$TAG] VMM exited on guest reboot: second boot in a new VMM"
	guest 1 $W/disk "" "kvt.scen=reboot kvt.seed=17 kvt.len=$((16 * MIB))"
}

# SIGKILL the VMM in the middle of I/O; everything it held is released,
# the module serves a new VMM, and (kernel backend) rmmod is clean.
sc_kill()
{
	blank $W/disk 64M
	guest_bg 1 $W/disk "" "kvt.scen=iohold kvt.seed=18 kvt.len=$((8 * MIB))"
	if ! wait_line $VMLOG 'L2 IO RUNNING' 90 $VMPID; then
		kill -9 $VMPID 2>/dev/null; wait $VMPID
		show_log $VMLOG; tail_log $VMLOG
		REASON="guest never started I/O"
		return 1
	fi
	sleep 1
	say "[$TAG] pins in flight $(($(pins) - PINS0)) live: $(live_objects)"
	kill -9 $VMPID
	wait $VMPID
	settled || { REASON="after SIGKILL: pins $(($(pins) - PINS0)) over baseline, live: $(live_objects)"; return 1; }
	guest 1 $W/disk "" "kvt.scen=blk kvt.seed=19 kvt.len=$((8 * MIB))" ||
		{ REASON="new VMM after the kill: $REASON"; return 1; }
	if [ "$BACKEND" = kernel ]; then
		settled || { REASON="after the second VMM: pins/live objects not released"; return 1; }
		rmmod kvirtio || { REASON="rmmod kvirtio failed"; return 1; }
		[ ! -e /dev/kvirtio ] || { REASON="/dev/kvirtio still there after rmmod"; return 1; }
		insmod /lib/kvirtio.ko || { REASON="insmod after rmmod failed"; return 1; }
		say "[$TAG] rmmod/insmod clean"
	fi
}

# 20 x (create, I/O, SIGKILL): slab must not grow.
sc_leak()
{
	blank $W/disk 64M
	i=0 s0=
	while [ $i -lt 20 ]; do
		guest_bg 1 $W/disk "" "kvt.scen=iohold kvt.seed=20 kvt.len=$((4 * MIB))"
		if ! wait_line $VMLOG 'L2 IO RUNNING' 90 $VMPID; then
			kill -9 $VMPID 2>/dev/null; wait $VMPID
			tail_log $VMLOG
			REASON="iteration $i: guest never started I/O"
			return 1
		fi
		sleep 0.5
		kill -9 $VMPID
		wait $VMPID
		settled || { REASON="iteration $i: pins/live objects not released"; return 1; }
		sync; echo 3 > /proc/sys/vm/drop_caches
		# The first rounds warm caches (kvm, page tables, dentries).
		if [ $i -eq 2 ]; then
			s0=$(slab_kb)
			slab_snap > /tmp/slab0
		fi
		i=$((i + 1))
	done
	s1=$(slab_kb)
	slab_snap > /tmp/slab1
	say "[$TAG] Slab after round 3: $s0 kB, after round 20: $s1 kB"
	# Which caches grew (bytes of active objects), largest first.
	awk 'NR == FNR { b[$1] = $2; next } { d = $2 - b[$1]; if (d > 0) print d, $1 }' \
		/tmp/slab0 /tmp/slab1 | sort -rn | head -n 5 |
		while read d c; do say "[$TAG] slab growth: $c +$((d / 1024)) kB"; done
	[ $((s1 - s0)) -le 1024 ] || { REASON="Slab grew by $((s1 - s0)) kB over 17 rounds"; return 1; }
}

# QD1 4 KiB random read latency (demo and comparisons).
sc_lat()
{
	patterned $W/disk 21 $((64 * MIB)) 64M
	guest 1 $W/disk "" "kvt.scen=lat kvt.seed=21 kvt.n=${LAT_N:-10000}" || return 1
	l=$(tr -d '\r' < $log | grep -m1 'KVBLK OK lat' | sed 's/.*KVBLK OK lat //')
	echo "E2E LAT $BACKEND $l"
}

# What `make demo` shows: the guest's view of the devices, then latency.
sc_demo()
{
	patterned $W/disk 22 $((64 * MIB)) 64M
	guest 1 $W/disk "" "kvt.scen=demo kvt.seed=22 kvt.n=${LAT_N:-10000}" || return 1
	l=$(tr -d '\r' < $log | grep -m1 'KVBLK OK lat' | sed 's/.*KVBLK OK lat //')
	echo "E2E LAT $BACKEND $l"
}

# ---------------------------------------------------------------------

say "scenarios: $scen_list; backends: $backend_list"
for s in $scen_list; do
	for BACKEND in $backend_list; do
		TAG=$s/$BACKEND
		REASON=
		case $BACKEND in
		kernel|user)	need=/bin/vmm ;;
		qemu)		need=/bin/qemu-system-x86_64 ;;
		*)		echo "E2E FAIL $TAG: unknown backend"; continue ;;
		esac
		if [ ! -x $need ]; then
			echo "E2E FAIL $TAG: $need not in the L1 image"
			continue
		fi
		if [ $BACKEND = kernel ] && [ ! -c /dev/kvirtio ]; then
			echo "E2E FAIL $TAG: /dev/kvirtio missing (kvirtio.ko not loaded)"
			continue
		fi
		type sc_$s > /dev/null 2>&1 || { echo "E2E FAIL $TAG: no such scenario"; continue; }
		dmesg -c > /dev/null
		PINS0=$(pins)
		t0=$(cut -d' ' -f1 /proc/uptime)
		say "[$TAG] start (pins $PINS0, live: $(live_objects))"
		ok=1
		sc_$s || ok=0
		if [ $ok = 1 ] && ! settled; then
			ok=0
			REASON="leak: pins $(($(pins) - PINS0)) over baseline, live: $(live_objects)"
		fi
		bad=$(dmesg | grep -E "$BAD_DMESG")
		if [ -n "$bad" ]; then
			dmesg | grep -E -A 20 "$BAD_DMESG" | head -n 60 | sed "s|^|  [$TAG dmesg] |"
			[ $ok = 1 ] && REASON="L1 dmesg: $(echo "$bad" | head -n 1)"
			ok=0
		fi
		t1=$(cut -d' ' -f1 /proc/uptime)
		say "[$TAG] done in $(awk "BEGIN { print $t1 - $t0 }") s"
		if [ $ok = 1 ]; then
			echo "E2E PASS $TAG"
		else
			echo "E2E FAIL $TAG: ${REASON:-unknown}"
		fi
		chmod 0644 $W/* 2>/dev/null
		rm -f $W/*
	done
done
