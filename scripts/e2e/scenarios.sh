#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The L1 half of the end-to-end scenarios (busybox sh, runs inside L1).
#
#   /e2e/scenarios.sh SCENARIOS BACKENDS      (comma-separated lists)
#
# Each scenario runs once per backend:
#   kernel  tools/vmm with the devices in kvirtio.ko   (--rng/--blk backend=kernel)
#           and the module's defaults: kicks served inline in the vCPU
#           thread, port I/O notify (the VMM's default)
#   kworker the same with inline=off,notify=mmio: every request in the
#           device's worker, kicks by MMIO
#   kdirect the kernel backend in direct mode (kvmbus=on): BAR0 and the
#           notify areas on KVM's buses; needs L1 booted with the patched
#           kvm.ko (run.sh --patched-kvm); every guest must show no BAR0
#           exit to the VMM (direct_unproven)
#   user    tools/vmm with its userspace backend       (backend=user)
#   qemu    QEMU/KVM in L1 (image built --with-qemu): the reference
#
# and prints exactly one of
#   E2E PASS <scenario>/<backend>
#   E2E FAIL <scenario>/<backend>: <reason>
# Around every run it checks for leaks (pinned pages, the module's live
# objects) and for Oops/BUG/WARNING/KFENCE in L1's kernel log.
#
# A scenario may name its own backends, NAME:b1+b2 (hostile:kernel): it
# then runs only with those of BACKENDS.
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
# running L2 with an rng device and a blk device on FILE (none if FILE is
# empty).  BLKOPTS is a comma-separated list of ro, direct (O_DIRECT),
# queues=N and the VMM's backend=kernel options; ARGS go to the L2 command
# line.  With $NET set, L2 also gets a virtio-net device on tap $TAP
# ($NET: "on", or the --net options queues=N, mtu=N, offloads=off).
vm_exec()
{
	b=$1 cpus=$2 file=$3 opts=$4 args=$5
	case $b in
	kernel|kworker|kdirect|user)
		spec=$file
		[ -n "$opts" ] && spec=$spec,$opts
		dev=backend=$b
		[ $b = kworker ] && dev=backend=kernel,inline=off,notify=mmio
		[ $b = kdirect ] && dev=backend=kernel,kvmbus=on
		# $DEV_MORE: more device options (the fallback scenario).
		[ -n "${DEV_MORE:-}" ] && dev=$dev,$DEV_MORE
		blk=
		[ -n "$file" ] && blk="--blk $spec,$dev"
		net=
		if [ -n "${NET:-}" ]; then
			net="--net tap=$TAP,$dev"
			[ "$NET" = on ] || net=$net,$NET
		fi
		# $RUNAS: a prefix that drops privileges (the quota scenario);
		# $VM_MORE: more VMM options (the demo's second disk).
		exec $RUNAS /bin/vmm --kernel /l2/vmlinuz --initrd /l2/initrd.gz \
			--cmdline "$L2_CMDLINE $args" --cpus "$cpus" --mem $VM_MEM \
			--rng $dev $blk $net $VM_MORE --stats
		;;
	qemu)
		ro=off nq=1 cache=writeback
		for o in $(echo "$opts" | tr ',' ' '); do
			case $o in
			ro)		ro=on ;;
			direct)		cache=none ;;
			queues=*)	nq=${o#*=} ;;
			esac
		done
		blk=
		[ -n "$file" ] && blk="-drive file=$file,if=none,id=d0,format=raw,discard=unmap,readonly=$ro,cache=$cache
			-device virtio-blk-pci,drive=d0,num-queues=$nq"
		net=
		if [ -n "${NET_VDPA:-}" ]; then
			# A vDPA net device (/dev/vhost-vdpa-N): QEMU keeps the
			# PCI registers, the device serves the rings.
			net="-netdev vhost-vdpa,id=n0,vhostdev=$NET_VDPA
				-device virtio-net-pci,netdev=n0,mac=$VDPA_MAC,romfile="
		elif [ -n "${NET:-}" ]; then
			# QEMU's own virtio-net on the same tap, vhost=off.
			nd=tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=off
			nv=virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56,romfile=
			for o in $(echo "$NET" | tr ',' ' '); do
				case $o in
				queues=*)	nd=$nd,queues=${o#*=}
						nv=$nv,mq=on,vectors=$((2 * ${o#*=} + 2)) ;;
				mtu=*)		nv=$nv,host_mtu=${o#*=} ;;
				offloads=off)	nv=$nv,csum=off,guest_csum=off,host_tso4=off,host_tso6=off,guest_tso4=off,guest_tso6=off,host_ecn=off,guest_ecn=off,host_ufo=off,guest_ufo=off ;;
				esac
			done
			net="-netdev $nd -device $nv"
		fi
		exec /bin/qemu-system-x86_64 -L /usr/share/qemu -bios qboot.rom -accel kvm \
			-machine q35 -cpu host -m $VM_MEM -smp "$cpus" \
			-nodefaults -display none -serial stdio -monitor none \
			-no-reboot -kernel /l2/vmlinuz -initrd /l2/initrd.gz \
			-append "$L2_CMDLINE $args" $blk $net \
			-object rng-random,id=r0,filename=/dev/urandom \
			-device virtio-rng-pci,rng=r0
		;;
	esac
	echo "vm_exec: unknown backend $b"
	exit 127
}

# The current backend's devices live in kvirtio.ko.
in_kernel()
{
	[ "$BACKEND" = kernel ] || [ "$BACKEND" = kworker ] ||
		[ "$BACKEND" = kdirect ]
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

# Copy the interesting lines of a VM log to the console.  The demo's
# "L2 LAT" lines reach it as "E2E LAT" lines (sc_demo).
show_log()
{
	tr -d '\r' < "$1" | grep -E '^(L2 |KVBLK|vmm|stats:|Kernel panic|.*(BUG|Oops|WARNING))' |
		grep -vE 'unclaimed_port|^L2 LAT ' | sed "s|^|  [$TAG] |" | head -n 60
}

# Last lines of a VM log, for failures.
tail_log()
{
	tr -d '\r' < "$1" | tail -n 25 | sed "s|^|  [$TAG tail] |"
}

# guest CPUS FILE BLKOPTS ARGS [TIMEOUT]: boot L2 with the current backend
# and wait for it to power off.  Returns 0 iff L2 printed RESULT PASS.
#
# A guest is booted once more, and said so, when the testbed lost it
# (Documentation/e2e.rst, Known limits):
# - its kernel oopsed on an int3, or crashed in text_poke*(): nested TCG
#   sometimes runs a stale copy of code the guest kernel is live-patching
#   (text_poke_bp's int3), with QEMU as the VMM as well as ours;
# - it gave no verdict, reset or stopped, with nothing on its console that
#   a device could cause: no kernel report, no hung task, no failed tool
#   run, and not a reboot the scenario asked for.
# A guest that printed RESULT FAIL, or whose retry fails too, fails.
RUN=0
RETRIES=0
guest()
{
	g_reason=$REASON
	guest_once "$@" && return 0
	why=$(guest_lost)
	[ -n "$why" ] || return 1
	RETRIES=$((RETRIES + 1))
	say "[$TAG] retrying once: $why"
	# The lost guest's reason must not fail a retry that passes.
	REASON=$g_reason
	guest_once "$@"
}

# Why the testbed, not the device, ended the guest of $log; empty if not.
guest_lost()
{
	tr -d '\r' < $log > $log.txt
	if grep -q 'Oops: int3' $log.txt; then
		echo "the guest kernel oopsed on an int3 (nested TCG text patching, not the device)"
	elif grep -q 'RIP: 0010:text_poke' $log.txt; then
		echo "the guest kernel crashed patching its own text (nested TCG, not the device)"
	elif ! grep -qE '^L2 (RESULT|REBOOTING)' $log.txt &&
	     ! grep -qE 'Kernel panic|(^|[^A-Z])BUG|Oops|WARNING|Call Trace|blocked for more than|^KVBLK.* (FAIL|ERR)|^vmm.*(error|fail)' $log.txt; then
		echo "the guest ended with no verdict and nothing on its console a device causes ($REASON; nested TCG resets and stops)"
	fi
	rm -f $log.txt
}

guest_once()
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
	"L2 RESULT PASS"*)	irq_unrouted && return 1
				direct_unproven && return 1; return 0 ;;
	"L2 RESULT FAIL"*)	REASON="guest: ${r#L2 RESULT FAIL }" ;;
	*)			tail_log $log
				REASON="no guest result (vm rc=$rc)" ;;
	esac
	return 1
}

# tools/vmm's MP table routes INT A of every PCI function: a guest kernel
# that found no IRQ for one (l2-init relays its "L2 KMSG" lines) means
# the table or the Interrupt Line register is wrong.  Sets REASON.
irq_unrouted()
{
	case $BACKEND in kernel|kworker|kdirect|user) ;; *) return 1 ;; esac
	l=$(tr -d '\r' < $log | grep -m1 "^L2 KMSG .*can't find IRQ")
	[ -n "$l" ] || return 1
	REASON="guest: ${l#L2 KMSG }"
}

# kdirect: the VMM's --stats must show that no BAR0 access exited to it
# (every one was served on KVM's bus: direct_accesses) and that kicks
# came through KVM's bus too.  Sets REASON.
direct_unproven()
{
	[ "$BACKEND" = kdirect ] || return 1
	tr -d '\r' < $log | awk '
	/^stats: dev .* backend=kernel/ {
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "bar0_exits") { n++; b0 += kv[2] }
		}
	}
	/^stats:   kernel / {
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "direct_accesses") da += kv[2]
			if (kv[1] == "direct_kicks") dk += kv[2]
		}
	}
	END {
		if (!n) { print "no VMM stats in the log"; exit 0 }
		if (b0) { print b0 " BAR0 accesses exited to the VMM in direct mode"; exit 0 }
		if (!da || !dk) { print "direct_accesses=" da " direct_kicks=" dk ": not served on KVM bus"; exit 0 }
		exit 1
	}' > /tmp/direct.why && { REASON=$(cat /tmp/direct.why); return 0; }
	return 1
}

# kvm.ko's module reference count (VMs, dependent modules, symbol_get).
kvm_refs() { cat /sys/module/kvm/refcnt; }

# Does this L1 run the patched kvm.ko (Documentation/kvm-patch.rst)?
kvm_patched() { grep -qw '__ksymtab_kvm_io_bus_register_dev' /proc/kallsyms; }

# Wait (up to 10 s: the VM goes when its last file does) for kvm.ko's
# count to come back to $KVM_REFS0; true, with REASON set, if it does not.
kvm_refs_back()
{
	n=0
	while [ "$(kvm_refs)" != "$KVM_REFS0" ] && [ $n -lt 20 ]; do
		sleep 0.5
		n=$((n + 1))
	done
	[ "$(kvm_refs)" = "$KVM_REFS0" ] && return 1
	REASON="$1: kvm.ko refcnt $(kvm_refs), was $KVM_REFS0 (a VM or symbol reference leaked)"
}

# Start a guest in the background (for kill tests); sets VMPID and VMLOG.
guest_bg()
{
	RUN=$((RUN + 1))
	VMLOG=$L/$RUN.log
	(vm_exec "$BACKEND" "$1" "$2" "$3" "$4") > $VMLOG 2>&1 &
	VMPID=$!
}

# bg_io_guest SEED LEN [CGROUP]: start an iohold guest in the background
# (moved into CGROUP, if given) and wait until its I/O runs.  A guest the
# testbed lost before that (guest_lost) is booted once more.  Returns 1,
# with REASON set and the VM gone, when the I/O never started.
bg_io_guest()
{
	bg_try=0
	while :; do
		guest_bg 1 $W/disk "" "kvt.scen=iohold kvt.seed=$1 kvt.len=$2"
		[ -z "$3" ] || echo $VMPID > $3/cgroup.procs
		wait_line $VMLOG 'L2 IO RUNNING' 90 $VMPID && return 0
		REASON="guest never started I/O"
		bg_lost_once $bg_try || return 1
		bg_try=1
		settled || { REASON="pins/live objects of a lost guest not released"; return 1; }
	done
}

# bg_lost_once TRIED: the background guest ($VMPID, $VMLOG) never got
# going (REASON says how): kill it and show its log.  Returns 0, REASON
# cleared, when the testbed lost it (guest_lost) and TRIED is 0: boot it
# once more; else 1.
bg_lost_once()
{
	kill -9 $VMPID 2>/dev/null; wait $VMPID
	show_log $VMLOG; tail_log $VMLOG
	log=$VMLOG
	why=$(guest_lost)
	[ -n "$why" ] && [ "$1" = 0 ] || return 1
	RETRIES=$((RETRIES + 1))
	say "[$TAG] retrying once: $why"
	REASON=
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
	# notify=pio (the VMM's default): Linux maps both port notify areas
	# and kicks through them; kworker runs notify=mmio.
	ports=$(tr -d '\r' < $log | sed -n 's/.*L2 IOPORTS virtio=//p')
	case $BACKEND in
	kernel|kdirect|user) want=2 ;;
	kworker)	want=0 ;;
	*)		want=$ports ;;
	esac
	[ "$ports" = "$want" ] ||
		{ REASON="$ports virtio port notify areas claimed in L2, want $want"; return 1; }
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
# O_DIRECT on a block device (a loop device in L1): its reads and writes
# complete asynchronously (-EIOCBQUEUED, then ->ki_complete from the loop
# worker).  With the kernel backend's inline kicks they are submitted from
# the vCPU thread and completed from the loop's context.  The data must
# verify, and kvirtio must have seen asynchronous completions.
sc_aio()
{
	blank $W/aio.img 64M
	dev=$(losetup -f) && losetup "$dev" $W/aio.img ||
		{ REASON="losetup failed"; return 1; }
	a0=$(total file_async)
	guest 1 "$dev" direct "kvt.scen=blk kvt.seed=13 kvt.len=$((16 * MIB))"
	rc=$?
	losetup -d "$dev"
	[ $rc -eq 0 ] || return 1
	patterned $W/expect 13 $((16 * MIB)) 64M || { REASON="kvblk gen failed"; return 1; }
	a=$(sum $W/aio.img) e=$(sum $W/expect)
	rm -f $W/aio.img $W/expect
	[ "$a" = "$e" ] || { REASON="loop device's file differs from the pattern"; return 1; }
	in_kernel || return 0
	async=$(($(total file_async) - a0))
	# The kernel counters that follow the blk device's line.
	passes=$(tr -d '\r' < $log | grep -A1 'stats: dev .* blk ' |
		 grep -m1 'stats:   kernel' | tr ' ' '\n' |
		 sed -n 's/^inline_passes=//p')
	say "[$TAG] requests completed asynchronously: $async; inline passes: ${passes:-?}"
	[ "$async" -gt 0 ] || { REASON="no request completed asynchronously"; return 1; }
	if [ $BACKEND = kernel ] && [ "${passes:-0}" -eq 0 ]; then
		REASON="no inline pass"
		return 1
	fi
}

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
	KVM_REFS0=$(kvm_refs)
	bg_io_guest 18 $((8 * MIB)) || return 1
	sleep 1
	say "[$TAG] pins in flight $(($(pins) - PINS0)) live: $(live_objects)"
	if [ "$BACKEND" = kdirect ]; then
		# Attached devices pin kvirtio (their fds), the VM and kvm.ko.
		n=$(awk '$1 == "vm_attachments" { print $2 }' $KV_STATS)
		[ "${n:-0}" -ge 1 ] || { REASON="no device attached to the VM (vm_attachments=$n)"; return 1; }
		rmmod kvirtio 2>/dev/null && { REASON="rmmod kvirtio succeeded with a device attached"; return 1; }
		[ "$(kvm_refs)" -gt "$KVM_REFS0" ] ||
			{ REASON="kvm.ko refcnt $(kvm_refs) not above $KVM_REFS0 while attached"; return 1; }
	fi
	kill -9 $VMPID
	wait $VMPID
	settled || { REASON="after SIGKILL: pins $(($(pins) - PINS0)) over baseline, live: $(live_objects)"; return 1; }
	[ "$BACKEND" = kdirect ] && kvm_refs_back "after SIGKILL" && return 1
	guest 1 $W/disk "" "kvt.scen=blk kvt.seed=19 kvt.len=$((8 * MIB))" ||
		{ REASON="new VMM after the kill: $REASON"; return 1; }
	module_reload "after the second VMM"
}

# module_reload WHEN: with the kernel backend, once everything is
# released, kvirtio.ko unloads and loads again.  Sets REASON.
module_reload()
{
	in_kernel || return 0
	settled || { REASON="$1: pins/live objects not released"; return 1; }
	rmmod kvirtio || { REASON="rmmod kvirtio failed"; return 1; }
	[ ! -e /dev/kvirtio ] || { REASON="/dev/kvirtio still there after rmmod"; return 1; }
	insmod /lib/kvirtio.ko || { REASON="insmod after rmmod failed"; return 1; }
	say "[$TAG] rmmod/insmod clean"
}

# $LEAK_ROUNDS (20) x (create, I/O, SIGKILL): slab must not grow.
sc_leak()
{
	blank $W/disk 64M
	rounds=${LEAK_ROUNDS:-20}
	i=0
	while [ $i -lt $rounds ]; do
		bg_io_guest 20 $((4 * MIB)) ||
			{ REASON="iteration $i: $REASON"; return 1; }
		sleep 0.5
		kill -9 $VMPID
		wait $VMPID
		settled || { REASON="iteration $i: pins/live objects not released"; return 1; }
		slab_round $i
		i=$((i + 1))
	done
	slab_grown $rounds 1024
}

# slab_round I: after round I of a leak loop; the first rounds warm caches
# (kvm, page tables, dentries), so round 2 is the baseline.
slab_round()
{
	sync; echo 3 > /proc/sys/vm/drop_caches
	if [ $1 -eq 2 ]; then
		SLAB0=$(slab_kb)
		slab_snap > /tmp/slab0
	fi
}

# slab_grown ROUNDS KB: after the loop; says which caches grew (bytes of
# active objects, largest first) and fails, REASON set, past KB.
slab_grown()
{
	s1=$(slab_kb)
	slab_snap > /tmp/slab1
	say "[$TAG] Slab after round 3: $SLAB0 kB, after round $1: $s1 kB"
	awk 'NR == FNR { b[$1] = $2; next } { d = $2 - b[$1]; if (d > 0) print d, $1 }' \
		/tmp/slab0 /tmp/slab1 | sort -rn | head -n 5 |
		while read d c; do say "[$TAG] slab growth: $c +$((d / 1024)) kB"; done
	[ $((s1 - SLAB0)) -le $2 ] ||
		{ REASON="Slab grew by $((s1 - SLAB0)) kB over $(($1 - 3)) rounds"; return 1; }
}

# A monotonic count of the module (kvirtio/totals): worker_creations,
# file_async.
total()
{
	awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' \
		/sys/kernel/debug/kvirtio/totals 2>/dev/null
}
creations() { total worker_creations; }

# Requests served by the live blk device of the module (debugfs).
blk_requests()
{
	for st in /sys/kernel/debug/kvirtio/*/stats; do
		grep -q '^type blk' $st 2>/dev/null &&
			awk '$1 == "requests" { print $2 }' $st && return
	done
	echo 0
}

# cgroup v2, mounted once; controllers enabled for child groups.
CG=/sys/fs/cgroup
cgroup2()
{
	grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG || return 1
	echo "+pids +memory" > $CG/cgroup.subtree_control
}

# An unprivileged VMM whose disk file lives on a file system that limits
# its owner's blocks (ext4 with the quota feature): the guest's writes
# past the quota fail with EIO, and the file stays within it.  The device
# must write as the VMM: a worker with the kernel's own credentials has
# CAP_SYS_RESOURCE and is not held by any quota.
sc_quota()
{
	img=$W/quota.img qkib=8192
	truncate -s 96M $img
	mke2fs.e2fs -q -F -t ext4 -O quota -E quotatype=usrquota -m 0 $img ||
		{ REASON="mke2fs failed"; return 1; }
	mkdir -p /q
	# usrquota: enforce the limits (the quota feature alone only counts).
	mount -t ext4 -o loop,usrquota $img /q ||
		{ REASON="mounting the ext4 image failed"; return 1; }
	dev=$(awk '$2 == "/q" { print $1 }' /proc/mounts)
	kvpriv quota $dev 1000 $qkib | sed "s|^|L1 [$TAG] |" ||
		{ umount /q; REASON="quotactl failed"; return 1; }
	truncate -s 64M /q/disk
	chown 1000:1000 /q/disk
	km=$(stat -c %a /dev/kvm) vm=$(stat -c %a /dev/kvirtio 2>/dev/null)
	chmod 0666 /dev/kvm /dev/kvirtio 2>/dev/null
	RUNAS="kvpriv runas 1000 65536"
	guest 1 /q/disk "" "kvt.scen=quota kvt.seed=30 kvt.len=$((32 * MIB))"
	rc=$?
	RUNAS=
	chmod $km /dev/kvm
	[ -n "$vm" ] && chmod $vm /dev/kvirtio
	used=$(du -k /q/disk | cut -f1)
	say "[$TAG] the VMM's file holds $used KiB (quota $qkib KiB)"
	umount /q
	[ $rc = 0 ] || return 1
	[ "$used" -le $qkib ] ||
		{ REASON="the disk file holds $used KiB, past the $qkib KiB quota"; return 1; }
}

# A guest that resets its blk device 20 times: the module makes one
# worker per device at its first DRIVER_OK and no more.
sc_churn()
{
	blank $W/disk 64M
	c0=$(creations)
	guest 1 $W/disk "" "kvt.scen=churn kvt.n=20 kvt.seed=31 kvt.len=$MIB" || return 1
	c1=$(creations)
	say "[$TAG] worker threads created for this VM: $((c1 - c0)) (20 blk resets)"
	# rng and blk: one thread each (user: the module made none).
	[ $((c1 - c0)) -le 2 ] ||
		{ REASON="$((c1 - c0)) worker threads created over 20 resets"; return 1; }
}

# Write-zeroes storm on one vCPU (zero-filled by hand: tmpfs cannot zero
# a range without punching it), config writes on the other.  Each config
# write waits for at most one budgeted pass, never a whole zeroout; no
# task may hang (the hung-task timeout is 5 s meanwhile).
sc_wzstorm()
{
	blank $W/disk 576M
	hung=$(cat /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null)
	[ -n "$hung" ] && echo 5 > /proc/sys/kernel/hung_task_timeout_secs
	guest 2 $W/disk "" "kvt.scen=wzstorm kvt.len=$((512 * MIB))" 300
	rc=$?
	[ -n "$hung" ] && echo $hung > /proc/sys/kernel/hung_task_timeout_secs
	[ $rc = 0 ] || return 1
	zmin=$(tr -d '\r' < $log | grep -o 'OK zeroout .* ms=[0-9]*' | sed 's/.*ms=//' |
	       sort -n | head -n 1)
	cmax=$(tr -d '\r' < $log | grep -o 'OK cfgstorm .* max_us=[0-9]*' |
	       sed 's/.*max_us=//' | sort -n | tail -n 1)
	ncfg=$(tr -d '\r' < $log | grep -c 'OK cfgstorm')
	[ -n "$zmin" ] && [ -n "$cmax" ] ||
		{ REASON="no zeroout or config write timings from the guest"; return 1; }
	cms=$((cmax / 1000))
	say "[$TAG] zeroout of 512 MiB: fastest $zmin ms; slowest of $((ncfg * 20)) config writes meanwhile: $cms ms"
	[ "$zmin" -ge 200 ] ||
		{ REASON="a zeroout took only $zmin ms: too short to tell a bound"; return 1; }
	# Waiting for a zeroout in progress costs up to a whole one (1927 ms
	# against 310 ms before the fix); one budgeted pass, a few ms.  Half
	# a zeroout tells them apart with room for a noisy host (the user
	# backend once took 104 ms against 401 ms, every other write < 20).
	[ $((cms * 2)) -lt "$zmin" ] ||
		{ REASON="a config write took $cms ms while a whole zeroout takes $zmin ms"; return 1; }
}

# Freeze the VMM's cgroup during I/O.  Its device workers are threads of
# the VMM (counted in its pids), freeze with it (cgroup.events says
# frozen), serve nothing while frozen, and resume after the thaw.
sc_freeze()
{
	cgroup2 || { REASON="no cgroup2"; return 1; }
	g=$CG/kvt-vmm
	mkdir -p $g
	blank $W/disk 64M
	bg_io_guest 32 $((8 * MIB)) $g || { rmdir $g; return 1; }
	sleep 1
	threads=$(ls /proc/$VMPID/task | wc -l)
	workers=$(cat /proc/$VMPID/task/*/comm | grep -c '^kvirtio-')
	pids=$(cat $g/pids.current)
	say "[$TAG] VMM threads: $threads (device workers among them: $workers); cgroup pids.current: $pids"
	REASON=
	if in_kernel; then
		[ "$workers" -ge 2 ] || REASON="the device workers are not threads of the VMM"
		[ "$pids" = "$threads" ] ||
			REASON="${REASON:-pids.current $pids is not the VMM's $threads threads}"
	fi
	echo 1 > $g/cgroup.freeze
	i=0
	while ! grep -q '^frozen 1' $g/cgroup.events && [ $i -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	grep -q '^frozen 1' $g/cgroup.events ||
		REASON="${REASON:-the VMM's cgroup never reported frozen}"
	if [ -z "$REASON" ] && in_kernel; then
		r0=$(blk_requests)
		sleep 2
		r1=$(blk_requests)
		say "[$TAG] frozen: blk requests $r0 -> $r1 in 2 s"
		[ "$r0" = "$r1" ] || REASON="the device served $((r1 - r0)) requests while frozen"
	fi
	echo 0 > $g/cgroup.freeze
	if [ -z "$REASON" ] && in_kernel; then
		sleep 2
		r2=$(blk_requests)
		say "[$TAG] thawed: blk requests $r1 -> $r2 in 2 s"
		[ "$r2" -gt "$r1" ] || REASON="no I/O after the thaw"
	fi
	kill -9 $VMPID
	wait $VMPID
	rmdir $g
	[ -z "$REASON" ]
}

# What KUnit cannot show: a device's memory is charged to the creator's
# memory cgroup (ENOMEM inside a small memory.max, not an OOM kill, and
# success outside), and pseudo-file-system files are refused as disks.
sc_hostile()
{
	cgroup2 || { REASON="no cgroup2"; return 1; }
	g=$CG/kvt-mem
	mkdir -p $g
	echo 8M > $g/memory.max
	blank $W/disk 64M
	out=$(kvprobe memcg $g $W/disk)
	say "[$TAG] $out"
	oom=$(awk '$1 == "oom_kill" { print $2 }' $g/memory.events)
	rmdir $g
	case $out in "KVPROBE OK"*) ;; *) REASON="$out"; return 1 ;; esac
	[ "$oom" = 0 ] || { REASON="the memcg OOM killer ran ($oom)"; return 1; }
	for f in /sys/kernel/mm/transparent_hugepage/enabled /proc/kallsyms \
		 /sys/kernel/debug/kvirtio/live $CG/cgroup.procs; do
		[ -e $f ] || continue
		out=$(kvprobe badfile $f)
		say "[$TAG] $out (size $(stat -c %s $f))"
		case $out in "KVPROBE OK"*) ;; *) REASON="$out"; return 1 ;; esac
	done
	out=$(kvprobe goodfile $W/disk)
	case $out in "KVPROBE OK"*) ;; *) REASON="$out"; return 1 ;; esac
}

# Direct mode's contract, from kvdirect (tools/guest/kvdirect.c): every
# bad argument gets its errno and changes nothing; a vCPU's BAR0 reads
# and kicks are served with no MMIO exit; closing the device under a
# running vCPU makes them exit again; closing the VM before the device is
# clean.  Afterwards kvm.ko's count is back: no VM or symbol reference
# leaked.
sc_direct()
{
	kvm_patched || { REASON="L1 runs a stock kvm.ko (boot it with run.sh --patched-kvm)"; return 1; }
	KVM_REFS0=$(kvm_refs)
	for c in errors run "run vmfirst"; do
		out=$(kvdirect $c 2>&1)
		echo "$out" | sed "s|^|L1 [$TAG] |"
		case $out in
		*"KVDIRECT OK"*) ;;
		*)	REASON=$(echo "$out" | grep -m1 'KVDIRECT FAIL' || echo "kvdirect $c: $out" | head -n 1)
			return 1 ;;
		esac
	done
	kvm_refs_back "after kvdirect" && return 1
	return 0
}

# Direct mode asked for on a stock kvm.ko: the ioctl says EOPNOTSUPP, the
# VMM says why and forwards BAR0 as before, and the guest works.
sc_fallback()
{
	kvm_patched && { REASON="L1 runs the patched kvm.ko: the fallback needs a stock one"; return 1; }
	out=$(kvdirect stock 2>&1)
	say "[$TAG] $out"
	case $out in *"KVDIRECT OK"*) ;; *) REASON="$out"; return 1 ;; esac
	blank $W/disk 64M
	DEV_MORE=kvmbus=on guest 1 $W/disk "" "kvt.scen=blk kvt.seed=23 kvt.len=$((4 * MIB))" ||
		return 1
	grep -q 'kvmbus=on: this KVM does not export' $log ||
		{ REASON="the VMM did not say it falls back"; return 1; }
	b0=$(tr -d '\r' < $log | sed -n 's/^stats: dev .*backend=kernel.* bar0_exits=\([0-9]*\).*/\1/p' |
		awk '{ n += $1 } END { print n + 0 }')
	[ "$b0" -gt 0 ] || { REASON="no BAR0 access forwarded ($b0): not the stock path"; return 1; }
	say "[$TAG] forwarded BAR0 accesses: $b0"
}

# A guest without MSI (pci=nomsi): both devices interrupt through INT A.
# Data must go through both; every virtio interrupt line of the guest
# must be an I/O APIC pin (none PCI-MSI) and have counted interrupts; the
# guest kernel must have found the pins in the MP table ("PCI->APIC IRQ
# transform"; guest_once() fails on "can't find IRQ").  With tools/vmm,
# slot s must be on pin 16 + (s - 1) % 8 (tools/vmm/mptable.c), which its
# Interrupt Line register names too.
sc_intx()
{
	blank $W/disk 64M
	guest 1 $W/disk "" "kvt.scen=intx kvt.seed=41 kvt.len=$((8 * MIB)) pci=nomsi" ||
		return 1
	tr -d '\r' < $log | grep -E '^L2 (PCIIRQ|INTR) ' > /tmp/intx.lines
	vmm=0
	case $BACKEND in kernel|kworker|kdirect|user) vmm=1 ;; esac
	REASON=$(awk -v vmm=$vmm '
	function hex(s,	i, v) {
		v = 0
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	function val(s) { sub(/^[a-z]+=/, "", s); return s }
	$2 == "PCIIRQ" {
		# L2 PCIIRQ 0000:00:01.0 virtio=virtio0 irq=16 line=16 pin=1
		split($3, a, ":")
		want = 16 + (hex(substr(a[3], 1, 2)) - 1) % 8
		dev = val($4)
		fn[dev] = $3
		nfn++
		pin[dev] = want
		if (val($7) != 1)
			bad = bad "; " $3 " Interrupt Pin " val($7)
		else if (vmm && val($6) != want)
			bad = bad "; " $3 " Interrupt Line " val($6) ", want " want
	}
	$2 == "INTR" {
		# L2 INTR irq=16 count=57 chip=IO-APIC hw=16-fasteoi dev=virtio0
		# (dev=virtio0,virtio2 when functions share the line)
		hw = val($6)
		sub(/-.*/, "", hw)
		if (val($5) != "IO-APIC")
			bad = bad "; " val($7) " on " val($5) ", not an IO-APIC pin"
		if (val($4) == 0)
			bad = bad "; no interrupt counted on " val($7)
		nd = split(val($7), devs, ",")
		for (i = 1; i <= nd; i++) {
			dev = devs[i]
			seen[dev] = 1
			if (vmm && (dev in pin) && hw != pin[dev])
				bad = bad "; " dev " on IO-APIC pin " hw ", want " pin[dev]
		}
	}
	END {
		for (d in fn)
			if (!(d in seen))
				bad = bad "; " d " (" fn[d] ") has no interrupt line"
		if (nfn < 2)
			bad = bad "; " nfn + 0 " virtio functions listed, want 2"
		print substr(bad, 3)
	}' /tmp/intx.lines)
	[ -z "$REASON" ] || return 1
	# The userspace transport counts both kinds: INTx only.
	if [ $BACKEND = user ] && tr -d '\r' < $log | grep '^stats:   transport' |
	   grep -qvE ' irq_msix=0 .* irq_intx=[1-9]'; then
		REASON="the VMM's transport sent MSI-X or no INTx"
		return 1
	fi
	n=$(tr -d '\r' < $log | grep -c '^L2 KMSG .*PCI->APIC IRQ transform: INT A')
	if [ $vmm = 1 ] && [ "$n" -lt 2 ]; then
		REASON="the guest found $n of 2 INT A pins in the MP table"
		return 1
	fi
	kvblk verify $W/disk -s 41 -l $((8 * MIB)) > /dev/null ||
		{ REASON="the guest's data is not in the backing file"; return 1; }
}

# Two vCPUs make BAR 0 and config-space accesses that exit to the VMM at
# the same time, during direct I/O, $ROUNDS guests in a row (kvt.rounds):
# a silent L2 triple fault was once seen in such a race.
sc_cfgrace()
{
	T=/sys/kernel/tracing
	blank $W/disk 64M
	# L1's KVM records the exceptions it injects and the shutdown exit
	# (SVM exit code 0x7f): where the guest was and what it was
	# delivering when it reset.  Recording every exit changes the timing
	# (and made int3 oopses far more frequent), so only these.
	echo 'exit_reason == 127' > $T/events/kvm/kvm_exit/filter
	echo 1 > $T/events/kvm/kvm_inj_exception/enable
	echo 1 > $T/events/kvm/kvm_exit/enable
	round=0
	while [ $round -lt ${ROUNDS:-3} ]; do
		echo > $T/trace
		if ! guest 2 $W/disk "" "kvt.scen=cfgrace kvt.n=2000 kvt.seed=33 kvt.len=$((8 * MIB)) nokaslr"; then
			grep -v '^#' $T/trace | tail -n 40 | sed "s|^|L1 [$TAG trace] |"
			REASON="round $round: $REASON"
			break
		fi
		round=$((round + 1))
	done
	echo 0 > $T/events/kvm/kvm_inj_exception/enable
	echo 0 > $T/events/kvm/kvm_exit/enable
	echo 0 > $T/events/kvm/kvm_exit/filter
	[ -z "$REASON" ] || return 1
	say "[$TAG] $round rounds without a guest reset"
}

# The VMM's self-test (tools/vmm/selftest/run.sh) on L1's KVM: a
# freestanding guest drives the rng and blk devices as a driver does (with
# backend=kernel they live in kvirtio.ko).  Passes only on its PASS.
sc_selftest()
{
	st=/e2e/selftest
	[ -r $st/guest.img ] && [ -r $st/run.sh ] ||
		{ REASON="no self-test in the L1 image"; return 1; }
	rm -rf $W/selftest
	log=$L/selftest-$BACKEND.log
	BACKEND=$BACKEND sh $st/run.sh /bin/vmm $st/guest.img $W/selftest \
		> $log 2>&1 &
	wait_pid $! 150
	rc=$?
	rm -rf $W/selftest
	say "[$TAG] $(grep -c '^ok - ' $log) checks ok; run.sh rc=$rc"
	grep -E '^(not ok|selftest:|FAIL:|vmm|stats: dev|stats:   (kernel|user) |# INTx:)' $log |
		sed "s|^|  [$TAG] |"
	[ $rc -ne 124 ] || { REASON="run.sh timed out (killed)"; return 1; }
	if [ $rc -ne 0 ] || ! grep -q "^vmm selftest ($BACKEND): PASS" $log; then
		tail_log $log
		r=$(grep -m1 -E '^(selftest: FAIL|FAIL:)' $log)
		REASON="self-test rc=$rc: ${r:-no PASS}"
		return 1
	fi
}

# QD1 4 KiB random read latency (demo and comparisons).
sc_lat()
{
	patterned $W/disk 21 $((64 * MIB)) 64M
	guest 1 $W/disk "" "kvt.scen=lat kvt.seed=21 kvt.n=${LAT_N:-10000}" || return 1
	l=$(tr -d '\r' < $log | grep -m1 'KVBLK OK lat' | sed 's/.*KVBLK OK lat //')
	echo "E2E LAT $BACKEND $l"
}

# What `make demo` shows: one guest whose rng, first disk and network
# device are served by kvirtio.ko (inline kicks) and whose second disk, on
# the same file, by the VMM's userspace backend (so the scenario is kernel
# only).  The network moves 16 MiB each way between the guest and L1.  It
# alternates QD1 4 KiB read runs between the disks for $ROUNDS rounds;
# each run becomes "E2E LAT <backend> round=R disk=vdX ...".
sc_demo()
{
	[ "$BACKEND" = kernel ] ||
		{ REASON="the demo runs as demo:kernel (its guest has both backends)"; return 1; }
	patterned $W/disk 22 $((64 * MIB)) 64M
	VM_MORE="--blk $W/disk,backend=user"
	# The guest's network: a kvirtio.ko net device on tap $TAP.
	net_tap 1 1500 || return 1
	net_bg sink tcp-sink 5001
	net_bg src tcp-source $NET_L2 5002 16M 23
	# A run of LAT_N reads per disk takes LAT_N / 100 s at 5 ms a read.
	NET=on guest 1 $W/disk inline=on \
		"kvt.scen=demo kvt.seed=22 kvt.n=${LAT_N:-3000} kvt.rounds=${ROUNDS:-7}" \
		$((120 + ${ROUNDS:-7} * ${LAT_N:-3000} / 100))
	rc=$?
	VM_MORE=
	if [ $rc = 0 ]; then
		if net_wait sink 20 && sink=$NETOUT && net_wait src 20; then
			same_stream "network, guest to L1" "$(l2_net tcp-source)" "$sink" $((16 * MIB)) &&
				same_stream "network, L1 to guest" "$NETOUT" "$(l2_net tcp-sink)" $((16 * MIB)) ||
				rc=1
		else
			REASON="L1's end of the transfer: $NETOUT"
			rc=1
		fi
	fi
	net_untap
	[ $rc = 0 ] || return 1
	# A disk's backend: its PCI slot in the guest ("L2 BLK vda ...
	# pci=0000:00:02.0") is a device of the VMM's --stats ("stats: dev
	# 02.0 blk backend=kernel ...").
	tr -d '\r' < $log | awk -v tag="$TAG" '
	/^L2 BLK / && $NF ~ /^pci=/ {
		disks[++nd] = $3
		pci[$3] = $NF
		sub(/^.*:/, "", pci[$3])
	}
	/^stats: dev [0-9a-f]+\.0 blk backend=/ { b = $5; sub(/^backend=/, "", b); be[$3] = b }
	/^L2 LAT / { lat[++nl] = $0 }
	END {
		for (i = 1; i <= nd; i++) {
			d = disks[i]
			back[d] = be[pci[d]] == "" ? "unknown" : be[pci[d]]
			printf "L1 [%s] disk %s: PCI %s, backend=%s\n", tag, d, pci[d], back[d]
		}
		for (i = 1; i <= nl; i++) {
			split(lat[i], f)
			d = f[4]
			sub(/^disk=/, "", d)
			l = lat[i]
			sub(/^L2 LAT /, "", l)
			print "E2E LAT " ((d in back) ? back[d] : "unknown") " " l
		}
	}' > /tmp/demo.lat
	cat /tmp/demo.lat
	nk=$(grep -c '^E2E LAT kernel ' /tmp/demo.lat)
	nu=$(grep -c '^E2E LAT user ' /tmp/demo.lat)
	[ "$nk" = "${ROUNDS:-7}" ] && [ "$nu" = "${ROUNDS:-7}" ] ||
		{ REASON="$nk kernel and $nu user latency runs, want ${ROUNDS:-7} each"; return 1; }
}

# ---------------------------------------------------------------------
# Network: a virtio-net device on tap $TAP, whose L1 end is $NET_L1 and
# the guest's eth0 $NET_L2.  kvnet (tools/guest/kvnet.c) runs at both
# ends; l2-init's net-* cases are the guest's half.
# ---------------------------------------------------------------------

TAP=kvt0
NET_L1=192.168.100.1
NET_L2=192.168.100.2
NET_PIDS=

# net_tap PAIRS MTU: a persistent tap (multi-queue for more than one
# pair, as the VMM and QEMU open it then), addressed and up.  The VMM
# attaches to it; removing it is net_untap's.
net_tap()
{
	TAPMQ=
	[ "$1" -gt 1 ] && TAPMQ=multi
	out=$(kvnet mktap $TAP $TAPMQ 2>&1) || { REASON="$out"; return 1; }
	ip link set $TAP mtu $2 && ip addr add $NET_L1/24 dev $TAP &&
		ip link set $TAP up ||
		{ REASON="addressing $TAP (mtu $2) failed"; net_untap; return 1; }
}

# Stop this scenario's kvnet processes in L1 and remove the tap.
net_untap()
{
	for p in $NET_PIDS; do
		kill -9 $p 2>/dev/null
		wait $p 2>/dev/null
	done
	NET_PIDS=
	kvnet rmtap $TAP $TAPMQ > /dev/null 2>&1
	[ ! -e /sys/class/net/$TAP ] || REASON=${REASON:-"tap $TAP still there after rmtap"}
}

# net_bg NAME ARGS: kvnet ARGS in the background, output in /tmp/net.NAME.
net_bg()
{
	n=$1
	shift
	kvnet "$@" > /tmp/net.$n 2>&1 &
	NET_PIDS="$NET_PIDS $!"
	eval "NETPID_$n=$!"
}

# net_wait NAME SECS: wait for net_bg NAME; its line (or error) in $NETOUT.
net_wait()
{
	eval "p=\$NETPID_$1"
	wait_pid $p $2
	nw_rc=$?
	NETOUT=$(tail -n 1 /tmp/net.$1)
	echo "$NETOUT" | sed "s|^|L1 [$TAG] L1 |"
	return $nw_rc
}

# The guest's "L2 NET <cmd> ..." line for kvnet command $1 ($2: a prefix
# inside the line, e.g. "cpu0 ").
l2_net() { tr -d '\r' < $log | grep -m1 "^L2 NET ${2:-}$1 " | sed "s/^L2 NET ${2:-}//"; }

# Value of key $1 in line $2.
kval() { echo " $2 " | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }

# same_stream WHAT SENDER RECEIVER BYTES: the two kvnet lines report BYTES
# bytes and the same sum.  Sets REASON.
same_stream()
{
	sb=$(kval bytes "$2") ss=$(kval sum "$2")
	rb=$(kval bytes "$3") rs=$(kval sum "$3")
	say "[$TAG] $1: sent $sb bytes sum $ss in $(kval secs "$2") s ($(kval mbps "$2") Mbit/s), received $rb sum $rs"
	[ -n "$sb" ] && [ -n "$rb" ] ||
		{ REASON="$1: no result (sender: '$2', receiver: '$3')"; return 1; }
	[ "$sb" = "$4" ] && [ "$rb" = "$4" ] ||
		{ REASON="$1: $sb bytes sent, $rb received, want $4"; return 1; }
	[ "$ss" = "$rs" ] ||
		{ REASON="$1: the data arrived altered (sum $ss sent, $rs received)"; return 1; }
}

# Feature bit $1 of the guest's virtio-net device ("L2 DEV ... device=
# 0x0001 features=0101..."): 1 or 0.
net_feature()
{
	tr -d '\r' < $log | awk -v b=$1 '$2 == "DEV" && $4 == "device=0x0001" {
		f = $6; sub(/^features=/, "", f); print substr(f, b + 1, 1); exit }'
}

# net_tcp CPUS LEN SEED ARGS: a guest sends LEN bytes to L1 and L1 LEN
# bytes back (kvnet tcp-source/sink, seeds SEED and SEED + 1); both sums
# must match.  The tap must be up; $NET says the device.
net_tcp()
{
	bytes=$(kvnet_bytes $2)
	net_bg sink tcp-sink 5001
	net_bg src tcp-source $NET_L2 5002 $2 $(($3 + 1))
	guest $1 "" "" "kvt.scen=net-tcp kvt.len=$2 kvt.seed=$3 $4" ${NET_TIMEOUT:-150} ||
		return 1
	net_wait sink 20 || { REASON="L1's sink: $NETOUT"; return 1; }
	sink=$NETOUT
	net_wait src 20 || { REASON="L1's source: $NETOUT"; return 1; }
	same_stream "guest to L1" "$(l2_net tcp-source)" "$sink" $bytes || return 1
	same_stream "L1 to guest" "$NETOUT" "$(l2_net tcp-sink)" $bytes
}

# Bytes in a kvnet size (256M, 4k, 100).
kvnet_bytes()
{
	case $1 in
	*[kK])	echo $((${1%?} * 1024)) ;;
	*[mM])	echo $((${1%?} * 1048576)) ;;
	*[gG])	echo $((${1%?} * 1073741824)) ;;
	*)	echo $1 ;;
	esac
}

# ICMP at MTU 1500 (fragmenting beyond it), then at MTU 9000 on the tap,
# the device (mtu=9000: VIRTIO_NET_F_MTU) and eth0, unfragmented.
sc_net_ping()
{
	net_tap 1 9000 || return 1
	NET=mtu=9000 guest 1 "" "" "kvt.scen=net-ping kvt.bigmtu=9000"
	rc=$?
	net_untap
	[ $rc = 0 ] || return 1
	[ "$(net_feature 3)" = 1 ] || { REASON="VIRTIO_NET_F_MTU not negotiated"; return 1; }
	tr -d '\r' < $log | grep -q '^L2 NET ping size=8972 mtu=9000 received=5/5' ||
		{ REASON="no full-size ping at MTU 9000"; return 1; }
	say "[$TAG] $(tr -d '\r' < $log | grep -m1 '^L2 NET fragments')"
}

# 256 MiB each way over TCP, sums compared at both ends, with the
# checksum and TSO offloads on (negotiated by the guest).
sc_net_tcp()
{
	net_tap 1 1500 || return 1
	NET=on NET_TIMEOUT=240 net_tcp 1 256M 51 ""
	rc=$?
	net_untap
	[ $rc = 0 ] || return 1
	for b in 0:CSUM 1:GUEST_CSUM 7:GUEST_TSO4 11:HOST_TSO4 15:MRG_RXBUF; do
		[ "$(net_feature ${b%%:*})" = 1 ] ||
			{ REASON="VIRTIO_NET_F_${b#*:} not negotiated"; return 1; }
	done
	# A net device's kicks go to its worker unless the VMM asks for
	# inline passes (a transmit stream served inline exits per packet).
	if [ $BACKEND = kernel ]; then
		n=$(tr -d '\r' < $log | awk '/stats: dev .* net backend=kernel/ { f = 1; next }
			f && /inline_passes=/ { sub(/.*inline_passes=/, ""); print $1 + 0; exit }')
		[ "$n" = 0 ] || { REASON="net device: ${n:-no} inline passes, expected 0"; return 1; }
	fi
}

# The same with the device offering no checksum or TSO offload
# (offloads=off): the guest checksums and segments every frame itself.
sc_net_offload()
{
	net_tap 1 1500 || return 1
	NET=offloads=off NET_TIMEOUT=200 net_tcp 1 64M 53 ""
	rc=$?
	net_untap
	[ $rc = 0 ] || return 1
	for b in 0:CSUM 1:GUEST_CSUM 7:GUEST_TSO4 8:GUEST_TSO6 11:HOST_TSO4 12:HOST_TSO6; do
		[ "$(net_feature ${b%%:*})" = 0 ] ||
			{ REASON="VIRTIO_NET_F_${b#*:} negotiated with offloads=off"; return 1; }
	done
}

# UDP: request-response from the guest (every message answered), then a
# 3 s flood each way whose datagrams are counted at the other end.
sc_net_udp()
{
	net_tap 1 1500 || return 1
	net_bg echo echo udp 5003
	net_bg count udp-count 5004 3
	# L1's flood starts when the guest listens: in this scenario's own
	# VM log (the next run's, or its retry's), never an earlier one.
	( first=$((RUN + 1)) end=$(($(now) + 120))
	  while [ $(now) -lt $end ]; do
		for n in $first $((first + 1)); do
			grep -q '^L2 NET LISTEN udp 5005' $L/$n.log 2>/dev/null &&
				break 2
		done
		sleep 0.2
	  done
	  exec kvnet udp-flood $NET_L2 5005 3 1000 ) > /tmp/net.flood 2>&1 &
	NET_PIDS="$NET_PIDS $!"
	NETPID_flood=$!
	NET=on guest 1 "" "" "kvt.scen=net-udp kvt.n=2000"
	rc=$?
	[ $rc = 0 ] && { net_wait count 10 || REASON="L1's udp-count: $NETOUT"; }
	l1count=$NETOUT
	[ $rc = 0 ] && [ -z "$REASON" ] && { net_wait flood 10 || REASON="L1's udp-flood: $NETOUT"; }
	l1flood=$NETOUT
	net_untap
	[ $rc = 0 ] && [ -z "$REASON" ] || return 1
	say "[$TAG] $(l2_net rr)"
	# Each direction: something arrived, never more than was sent, every
	# datagram whole (1000 bytes).
	for d in "guest to L1:$(l2_net udp-flood):$l1count" "L1 to guest:$l1flood:$(l2_net udp-count)"; do
		what=${d%%:*} rest=${d#*:}
		sent=$(kval sent "${rest%%:*}") rcvd=$(kval rcvd "${rest#*:}") by=$(kval bytes "${rest#*:}")
		say "[$TAG] udp $what: $sent sent, $rcvd received ($(kval pps "${rest#*:}") per s)"
		[ -n "$sent" ] && [ "${rcvd:-0}" -gt 0 ] ||
			{ REASON="udp $what: ${rcvd:-no} datagrams of ${sent:-?} received"; return 1; }
		[ "$rcvd" -le "$sent" ] ||
			{ REASON="udp $what: $rcvd datagrams received, only $sent sent"; return 1; }
		[ "$by" = $((rcvd * 1000)) ] ||
			{ REASON="udp $what: $by bytes in $rcvd datagrams of 1000"; return 1; }
	done
}

# Two vCPUs, queues=2: one sender per guest CPU, and both pairs carry
# data (l2-init checks each queue's kicks and interrupts).
sc_net_mq()
{
	net_tap 2 1500 || return 1
	net_bg s0 tcp-sink 5010
	net_bg s1 tcp-sink 5011
	NET=queues=2 guest 2 "" "" "kvt.scen=net-mq kvt.len=32M kvt.seed=55" 200
	rc=$?
	if [ $rc = 0 ]; then
		for c in 0 1; do
			net_wait s$c 20 || { REASON="L1's sink $c: $NETOUT"; rc=1; break; }
			same_stream "CPU $c to L1" "$(l2_net tcp-source "cpu$c ")" "$NETOUT" $((32 * MIB)) ||
				{ rc=1; break; }
		done
	fi
	net_untap
	[ $rc = 0 ] || return 1
	tr -d '\r' < $log | grep '^L2 NET queue ' | sed "s|^|L1 [$TAG] |"
	[ "$(net_feature 22)" = 1 ] || { REASON="VIRTIO_NET_F_MQ not negotiated"; return 1; }
}

# net_hold_guest: a guest streaming both ways without end (L1's ends:
# a sink on 5001, a stream into the guest's sink on 5002); sets VMPID,
# VMLOG.  Returns 1, with REASON set, if the traffic never started.
net_hold_guest()
{
	net_bg hsink tcp-sink 5001
	nh_try=0
	while :; do
		guest_bg 1 "" "" "kvt.scen=net-hold"
		wait_line $VMLOG 'L2 NET RUNNING' 90 $VMPID && break
		REASON="the guest never started its traffic"
		bg_lost_once $nh_try || return 1
		nh_try=1
		if [ -n "$NET_VDPA" ]; then
			vdpa_released || { REASON="pins/live objects of a lost guest not released"; return 1; }
		else
			settled || { REASON="pins/live objects of a lost guest not released"; return 1; }
		fi
	done
	net_bg hstream tcp-stream $NET_L2 5002 600
}

# Bytes through the tap so far, both directions.
tap_bytes()
{
	echo $(($(cat /sys/class/net/$TAP/statistics/rx_bytes) + $(cat /sys/class/net/$TAP/statistics/tx_bytes)))
}

# net_kill_streaming: with net_hold_guest's traffic flowing, SIGKILL the
# VM ($VMPID) and L1's ends of the streams.  Returns 1, REASON set, when
# no traffic went through $TAP in the second before the kill.
net_kill_streaming()
{
	sleep 2
	b0=$(tap_bytes)
	sleep 1
	b1=$(tap_bytes)
	say "[$TAG] $((b1 - b0)) bytes through $TAP in 1 s; pins in flight $(($(pins) - PINS0)) live: $(live_objects)"
	kill -9 $VMPID
	wait $VMPID
	show_log $VMLOG | tail -n 5
	for p in $NET_PIDS; do kill -9 $p 2>/dev/null; wait $p 2>/dev/null; done
	NET_PIDS=
	[ $b1 -gt $b0 ] || { REASON="no traffic through $TAP before the kill"; return 1; }
}

# SIGKILL the VMM in the middle of traffic both ways; everything is
# released, a new VMM's guest moves data intact, and (kernel) the module
# unloads and loads.
sc_net_kill()
{
	net_tap 1 1500 || return 1
	NET=on net_hold_guest || { kill -9 $VMPID 2>/dev/null; wait $VMPID; net_untap; return 1; }
	net_kill_streaming
	[ -z "$REASON" ] && ! settled &&
		REASON="after SIGKILL: pins $(($(pins) - PINS0)) over baseline, live: $(live_objects)"
	if [ -z "$REASON" ]; then
		NET=on net_tcp 1 8M 57 "" || REASON="new VMM after the kill: $REASON"
	fi
	net_untap
	[ -z "$REASON" ] || return 1
	module_reload "after the guests"
}

# $NET_LEAK_ROUNDS (8) x (a guest with traffic both ways, SIGKILL): pins and live
# objects come back each time, slab does not grow; then rmmod/insmod.
sc_net_leak()
{
	net_tap 1 1500 || return 1
	rounds=${NET_LEAK_ROUNDS:-8}
	i=0
	while [ $i -lt $rounds ]; do
		if ! NET=on net_hold_guest; then
			kill -9 $VMPID 2>/dev/null
			wait $VMPID
			REASON="round $i: $REASON"
			break
		fi
		sleep 0.5
		kill -9 $VMPID
		wait $VMPID
		for p in $NET_PIDS; do kill -9 $p 2>/dev/null; wait $p 2>/dev/null; done
		NET_PIDS=
		settled || { REASON="round $i: pins $(($(pins) - PINS0)) over baseline, live: $(live_objects)"; break; }
		slab_round $i
		i=$((i + 1))
	done
	net_untap
	[ -z "$REASON" ] || return 1
	# L1's own closed TCP sockets to killed guests linger a while (a
	# few kB each): well under the bound.
	slab_grown $rounds 768 || return 1
	module_reload "after the rounds"
}

# ---------------------------------------------------------------------
# vDPA: kvirtio's devices on the kernel's vDPA bus (kvirtio_vdpa.ko), no
# L2 guest.  "kvirtio-vdpa add" makes a device, "vdpa dev add" puts it on
# the bus, where virtio_vdpa (L1's own virtio drivers) or vhost_vdpa
# (/dev/vhost-vdpa-N, for a VMM) drives it.  The helpers set REASON and
# return 1 on failure.  A scenario's body calls vdpa_load, then vdpa_add
# (and vdpa_disk) and vdpa_del per device; vdpa_run runs the body and
# then vdpa_cleanup (sc_vdpa_blk): whatever it left, even after a
# failure, is deleted and kvirtio_vdpa unloaded, so that later scenarios
# can rmmod kvirtio.
# ---------------------------------------------------------------------

VDPA=/sys/bus/vdpa
VDPA_ORDER=/lib/modules/vdpa.order
VDPA_KO=/lib/kvirtio_vdpa.ko
VDPA_MAC=52:54:00:12:34:56	# vdpa-net: the device's MAC and QEMU's
VDPA_NAMES=		# kvirtio-vdpa devices made by this scenario

# The tail of L1's kernel log, for a failure's context.
kmsg_tail() { dmesg | tail -n ${1:-15} | sed "s|^|  [$TAG dmesg] |"; }

# The bus, vhost_vdpa, virtio_vdpa, virtio_blk and what kvirtio_vdpa.ko
# needs, in the order of vdpa.order; what is loaded already (vhost,
# irqbypass) is skipped.  Autoprobe goes off: with both drivers loaded, a
# new device would bind to whichever registered first.  vdpa_add binds
# explicitly.
vdpa_bus()
{
	[ -r $VDPA_ORDER ] || { REASON="no $VDPA_ORDER in the L1 image"; return 1; }
	for f in $(cat $VDPA_ORDER); do
		m=$(echo ${f%.ko} | tr - _)
		[ -d /sys/module/$m ] && continue
		insmod /lib/modules/$f ||
			{ kmsg_tail; REASON="insmod $f failed"; return 1; }
	done
	for d in vhost_vdpa virtio_vdpa; do
		[ -d $VDPA/drivers/$d ] || { REASON="no $d driver on the vdpa bus"; return 1; }
	done
	echo 0 > $VDPA/drivers_autoprobe ||
		{ REASON="cannot turn off $VDPA/drivers_autoprobe"; return 1; }
	[ -x /bin/vdpa ] || { REASON="no vdpa tool (iproute2) in the L1 image"; return 1; }
}

# vdpa_load: vdpa_bus, kvirtio-vdpa, then vdpa_module.
vdpa_load()
{
	vdpa_bus || return 1
	[ -x /bin/kvirtio-vdpa ] || { REASON="no kvirtio-vdpa in the L1 image"; return 1; }
	vdpa_module
}

# vdpa_module: kvirtio_vdpa.ko (after kvirtio.ko: it imports kvirtio's
# KVIRTIO namespace), whose control device and management device
# ("kvirtio") must show up.
vdpa_module()
{
	[ -c /dev/kvirtio ] || { REASON="kvirtio.ko is not loaded"; return 1; }
	[ -r $VDPA_KO ] || { REASON="no kvirtio_vdpa.ko in the L1 image"; return 1; }
	if [ ! -d /sys/module/kvirtio_vdpa ]; then
		insmod $VDPA_KO ||
			{ kmsg_tail; REASON="insmod kvirtio_vdpa.ko failed"; return 1; }
	fi
	[ -c /dev/kvirtio-vdpa ] || { REASON="no /dev/kvirtio-vdpa after insmod"; return 1; }
	vdpa mgmtdev show > /tmp/vdpa.mgmt 2>&1
	grep -q '^kvirtio:' /tmp/vdpa.mgmt ||
		{ REASON="vdpa mgmtdev show lists no kvirtio: $(tr '\n' ' ' < /tmp/vdpa.mgmt)"; return 1; }
}

# vdpa_add NAME DRIVER TYPE ARGS...: "kvirtio-vdpa add NAME TYPE ARGS...",
# "vdpa dev add name NAME mgmtdev kvirtio", then bind it to DRIVER
# (virtio_vdpa or vhost_vdpa).  Sets VDPA_NODE: the virtio device
# (virtioN) for virtio_vdpa, the character device (/dev/vhost-vdpa-N)
# for vhost_vdpa.  A VMM on /dev/vhost-vdpa-N has its guest memory
# pinned by vhost_vdpa (PA mode) against RLIMIT_MEMLOCK, with no
# exception for root: raise it (ulimit -l) for the guest's size.
vdpa_add()
{
	va_name=$1 va_drv=$2
	shift 2
	VDPA_NODE=
	out=$(kvirtio-vdpa add $va_name "$@" 2>&1) ||
		{ REASON="kvirtio-vdpa add $va_name $*: $out"; return 1; }
	VDPA_NAMES="$VDPA_NAMES $va_name"
	vdpa_listed $va_name "$1 unbound" || return 1
	out=$(vdpa dev add name $va_name mgmtdev kvirtio 2>&1) ||
		{ kmsg_tail; REASON="vdpa dev add name $va_name mgmtdev kvirtio: $out"; return 1; }
	[ -d $VDPA/devices/$va_name ] ||
		{ REASON="vdpa dev add made no $VDPA/devices/$va_name"; return 1; }
	echo $va_drv > $VDPA/devices/$va_name/driver_override &&
		echo $va_name > $VDPA/drivers_probe
	d=$(readlink $VDPA/devices/$va_name/driver)
	[ "${d##*/}" = $va_drv ] ||
		{ kmsg_tail; REASON="$va_name bound to ${d:-no driver}, not $va_drv"; return 1; }
	case $va_drv in
	virtio_vdpa)
		# virtio_vdpa's device is a child of the vdpa device's DMA
		# device: under the vdpa device itself (kvirtio's, as
		# vdpa_sim's) or elsewhere; its path names the vdpa device.
		for v in /sys/bus/virtio/devices/virtio*; do
			case $(readlink -f $v) in
			*/$va_name/*)	VDPA_NODE=${v##*/}; break ;;
			esac
		done
		;;
	vhost_vdpa)
		v=$(ls -d $VDPA/devices/$va_name/vhost-vdpa-* 2>/dev/null | head -n 1)
		[ -n "$v" ] && VDPA_NODE=/dev/${v##*/}
		[ -z "$VDPA_NODE" ] || [ -c $VDPA_NODE ] ||
			{ REASON="no character device $VDPA_NODE"; return 1; }
		;;
	esac
	[ -n "$VDPA_NODE" ] ||
		{ REASON="$va_name is bound to $va_drv but has no device of it"; return 1; }
	vdpa_listed $va_name "$1 bound" || return 1
	say "[$TAG] vdpa $va_name ($*): $va_drv $VDPA_NODE"
}

# vdpa_listed NAME "TYPE STATE": kvirtio-vdpa list has that line.
vdpa_listed()
{
	kvirtio-vdpa list > /tmp/vdpa.list 2>&1 ||
		{ REASON="kvirtio-vdpa list: $(cat /tmp/vdpa.list)"; return 1; }
	grep -qx "$1 $2" /tmp/vdpa.list ||
		{ REASON="kvirtio-vdpa list has no '$1 $2': $(tr '\n' ' ' < /tmp/vdpa.list)"; return 1; }
}

# vdpa_disk VIRTIO: the disk virtio_blk made on virtio device VIRTIO
# (vdpa_add's VDPA_NODE); sets VDPA_DISK=/dev/vdX.
vdpa_disk()
{
	VDPA_DISK=
	vd_end=$(($(now) + 10))
	while [ -z "$VDPA_DISK" ]; do
		b=$(ls /sys/bus/virtio/devices/$1/block 2>/dev/null | head -n 1)
		[ -n "$b" ] && [ -b /dev/$b ] && VDPA_DISK=/dev/$b && break
		[ $(now) -lt $vd_end ] ||
			{ kmsg_tail; REASON="no disk of virtio_blk on $1 ($(readlink /sys/bus/virtio/devices/$1/driver))"; return 1; }
		sleep 0.2
	done
}

# vdpa_del NAME: "vdpa dev del", then "kvirtio-vdpa del"; the device must
# be gone from the bus and from kvirtio-vdpa's list.
vdpa_del()
{
	out=$(vdpa dev del $1 2>&1) || { REASON="vdpa dev del $1: $out"; return 1; }
	[ ! -e $VDPA/devices/$1 ] || { REASON="$VDPA/devices/$1 still there after vdpa dev del"; return 1; }
	out=$(kvirtio-vdpa del $1 2>&1) || { REASON="kvirtio-vdpa del $1: $out"; return 1; }
	VDPA_NAMES=$(echo "$VDPA_NAMES" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
	kvirtio-vdpa list > /tmp/vdpa.list 2>&1 ||
		{ REASON="kvirtio-vdpa list: $(cat /tmp/vdpa.list)"; return 1; }
	! grep -qw "$1" /tmp/vdpa.list ||
		{ REASON="kvirtio-vdpa list still has $1: $(tr '\n' ' ' < /tmp/vdpa.list)"; return 1; }
}

# Remove what a scenario left (after a failure) and unload kvirtio_vdpa,
# so that the next scenario finds L1 as it was (kvirtio.ko unloadable).
vdpa_cleanup()
{
	for n in $VDPA_NAMES; do
		vdpa dev del $n > /dev/null 2>&1
		kvirtio-vdpa del $n > /dev/null 2>&1 ||
			say "[$TAG] cleanup: kvirtio-vdpa del $n failed"
	done
	VDPA_NAMES=
	[ -d /sys/module/kvirtio_vdpa ] || return 0
	rmmod kvirtio_vdpa || say "[$TAG] cleanup: rmmod kvirtio_vdpa failed"
}

# vdpa_run BODY: run the scenario body BODY (a function), then
# vdpa_cleanup, whatever BODY returned; BODY's status.
vdpa_run()
{
	$1
	vr_rc=$?
	vdpa_cleanup
	return $vr_rc
}

# vdpa_reload: with every device gone, kvirtio_vdpa unloads (its control
# device and management device go) and loads again.
vdpa_reload()
{
	settled || { REASON="before rmmod kvirtio_vdpa: pins $(($(pins) - PINS0)) over baseline, live: $(live_objects)"; return 1; }
	rmmod kvirtio_vdpa || { REASON="rmmod kvirtio_vdpa failed"; return 1; }
	[ ! -e /dev/kvirtio-vdpa ] || { REASON="/dev/kvirtio-vdpa still there after rmmod"; return 1; }
	! vdpa mgmtdev show 2>&1 | grep -q '^kvirtio:' ||
		{ REASON="management device kvirtio still listed after rmmod"; return 1; }
	vdpa_module || { REASON="after rmmod: $REASON"; return 1; }
	say "[$TAG] rmmod/insmod kvirtio_vdpa clean"
}

# The bus and its drivers load, the vdpa tool talks to it, and (when the
# image has it) kvirtio_vdpa.ko registers its management device and
# unloads again: a cheap precondition for the other vdpa-* scenarios.
sc_vdpa_probe()
{
	vdpa_bus || return 1
	vdpa mgmtdev show > /tmp/vdpa.mgmt 2>&1 ||
		{ REASON="vdpa mgmtdev show: $(cat /tmp/vdpa.mgmt)"; return 1; }
	say "[$TAG] bus drivers: $(ls $VDPA/drivers | tr '\n' ' ')"
	if [ ! -r $VDPA_KO ]; then
		say "[$TAG] no kvirtio_vdpa.ko in the image: the bus alone"
		return 0
	fi
	vdpa_module || { vdpa_cleanup; return 1; }
	sed "s|^|L1 [$TAG] mgmtdev: |" /tmp/vdpa.mgmt
	vdpa_reload
	rc=$?
	vdpa_cleanup
	return $rc
}

# vdpa_stat NAME KEY: a counter of kvirtio_vdpa's device NAME (debugfs
# kvirtio/vdpa-NAME/stats); empty when it has none.
vdpa_stat()
{
	awk -v k="$2" '$1 == k { print $2 }' \
		/sys/kernel/debug/kvirtio/vdpa-$1/stats 2>/dev/null
}

# vdpa_zero_copy NAME: the backend of kvirtio_vdpa's device NAME served
# the driver's buffers on their own pages (page vectors), never through
# its bounce copy; a net device moved frames both ways.
vdpa_zero_copy()
{
	case $(vdpa_stat $1 type) in
	blk)	zc_p=$(vdpa_stat $1 file_pagevecs) zc_b=$(vdpa_stat $1 file_bounced)
		say "[$TAG] $1: $zc_p requests on the driver's pages, $zc_b bounced"
		[ "${zc_p:-0}" -gt 0 ] && [ "$zc_b" = 0 ] ||
			{ REASON="$1: $zc_p requests on the driver's pages, $zc_b bounced (expected no copy)"; return 1; } ;;
	net)	zc_t=$(vdpa_stat $1 tap_tx_frames) zc_r=$(vdpa_stat $1 tap_rx_frames)
		zc_b=$(vdpa_stat $1 tap_bounced)
		say "[$TAG] $1: $zc_t frames sent and $zc_r received on the driver's pages, $zc_b bounced"
		[ "${zc_t:-0}" -gt 0 ] && [ "${zc_r:-0}" -gt 0 ] && [ "$zc_b" = 0 ] ||
			{ REASON="$1: $zc_t+$zc_r frames, $zc_b bounced (expected no copy)"; return 1; } ;;
	*)	REASON="$1: no blk or net device in debugfs"; return 1 ;;
	esac
}

# The features of virtio device $1 (sysfs: '0'/'1' per bit, bit 0 first):
# is bit $2 set?
virtio_bit()
{
	[ "$(cut -c$(($2 + 1)) /sys/bus/virtio/devices/$1/features)" = 1 ]
}

# $1's field $2 of /sys/block/X/stat (12: discards, 16: flushes).
disk_stat() { awk -v f=$2 '{ print $f }' /sys/block/${1#/dev/}/stat; }

# L1's own virtio_blk on a kvirtio blk device through virtio_vdpa: the
# data path, discard, flush and read-only without a VMM; then every
# device removed and kvirtio_vdpa unloaded and loaded again.
sc_vdpa_blk() { vdpa_run vdpa_blk_run; }

vdpa_blk_run()
{
	vdpa_load || return 1
	f=$W/vb0.img
	blank $f 64M
	vdpa_add vb0 virtio_vdpa blk $f flush || return 1
	vdpa dev show vb0 | sed "s|^|L1 [$TAG] |"
	v=$VDPA_NODE
	vdpa_disk $v || return 1
	disk=$VDPA_DISK
	b=/sys/block/${disk#/dev/}
	say "[$TAG] $disk on $v: $(cat $b/size) sectors ro=$(cat $b/ro) cache=$(cat $b/queue/write_cache) discard_max=$(cat $b/queue/discard_max_bytes) wz_max=$(cat $b/queue/write_zeroes_max_bytes) features=$(cat /sys/bus/virtio/devices/$v/features)"
	[ "$(cat $b/size)" = 131072 ] || { REASON="$disk is $(cat $b/size) sectors, not 131072"; return 1; }
	[ "$(cat $b/ro)" = 0 ] || { REASON="$disk is read-only"; return 1; }
	# A bound device cannot be destroyed under its driver.
	kvirtio-vdpa del vb0 > /tmp/vdpa.out 2>&1 &&
		{ REASON="kvirtio-vdpa del vb0 succeeded while bound"; return 1; }
	grep -q 'busy' /tmp/vdpa.out ||
		{ REASON="kvirtio-vdpa del vb0 while bound: $(head -n 1 /tmp/vdpa.out), not EBUSY"; return 1; }
	say "[$TAG] del while bound refused: $(head -n 1 /tmp/vdpa.out)"
	kvirtio-vdpa add vb0 blk $f > /tmp/vdpa.out 2>&1 &&
		{ REASON="a second vb0 was created"; return 1; }
	vdpa dev add name vbx mgmtdev kvirtio > /tmp/vdpa.out 2>&1 &&
		{ vdpa dev del vbx; REASON="vdpa dev add of a device kvirtio-vdpa never made succeeded"; return 1; }

	# Pattern over [0, 32M): direct, then buffered + fsync; read back
	# both ways; the backing file must match kvblk's image of it.
	must_l1 write $disk -s 41 -o 0 -l $((16 * MIB)) -b 65536 -d || return 1
	must_l1 write $disk -s 41 -o $((16 * MIB)) -l $((16 * MIB)) -b $MIB -S || return 1
	must_l1 verify $disk -s 41 -l $((32 * MIB)) -b $MIB -d || return 1
	echo 3 > /proc/sys/vm/drop_caches
	must_l1 verify $disk -s 41 -l $((32 * MIB)) -b 4096 || return 1
	patterned $W/expect 41 $((32 * MIB)) 64M || { REASON="kvblk gen failed"; return 1; }
	[ "$(sum $f)" = "$(sum $W/expect)" ] ||
		{ REASON="backing file differs from the pattern written through $disk"; return 1; }
	rm -f $W/expect
	# dd: 8 MiB O_DIRECT at 40M, 8 MiB buffered + fsync at 48M; the
	# file has them, and the whole disk read O_DIRECT is the file.
	dd if=/dev/urandom of=$W/rand bs=$MIB count=16 2> /dev/null
	dd if=$W/rand of=$disk bs=$MIB count=8 seek=40 oflag=direct 2> /tmp/dd.err ||
		{ REASON="dd oflag=direct to $disk: $(tail -n 1 /tmp/dd.err)"; return 1; }
	dd if=$W/rand of=$disk bs=$MIB count=8 skip=8 seek=48 conv=fsync 2> /tmp/dd.err ||
		{ REASON="dd conv=fsync to $disk: $(tail -n 1 /tmp/dd.err)"; return 1; }
	a=$(dd if=$f bs=$MIB skip=40 count=16 2> /dev/null | sha256sum | cut -d' ' -f1)
	[ "$a" = "$(sum $W/rand)" ] ||
		{ REASON="dd's 16 MiB at 40M are not in the backing file"; return 1; }
	rm -f $W/rand
	a=$(dd if=$disk bs=$MIB iflag=direct 2> /dev/null | sha256sum | cut -d' ' -f1)
	[ "$a" = "$(sum $f)" ] ||
		{ REASON="$disk read with O_DIRECT differs from the backing file"; return 1; }
	say "[$TAG] data: 32 MiB kvblk, 16 MiB dd, whole disk sha256 $a"

	# Flush: negotiated, a write cache in the guest's view, and an fsync
	# reaches the device as a flush (the disk's flush count grows).
	virtio_bit $v 9 || { REASON="VIRTIO_BLK_F_FLUSH not negotiated"; return 1; }
	[ "$(cat $b/queue/write_cache)" = "write back" ] ||
		{ REASON="$disk's cache is '$(cat $b/queue/write_cache)' with FLUSH"; return 1; }
	n0=$(disk_stat $disk 16) r0=$(vdpa_stat vb0 requests)
	must_l1 write $disk -s 42 -o $((56 * MIB)) -l $MIB -b $MIB -S || return 1
	sync
	blockdev --flushbufs $disk || { REASON="blockdev --flushbufs $disk failed"; return 1; }
	n1=$(disk_stat $disk 16) r1=$(vdpa_stat vb0 requests)
	say "[$TAG] flushes $n0 -> $n1; device requests $r0 -> $r1"
	[ "$n1" -gt "$n0" ] || { REASON="fsync sent no flush to $disk"; return 1; }
	[ -n "$r0" ] && [ "${r1:-0}" -gt "$r0" ] ||
		{ REASON="the device's request count did not grow ($r0 -> $r1, debugfs kvirtio/vdpa-vb0/stats)"; return 1; }
	kvblk verify $f -s 42 -o $((56 * MIB)) -l $MIB > /dev/null ||
		{ REASON="flushed data not in the backing file"; return 1; }

	# Discard [0, 16M): offered, and the tmpfs file's blocks drop (a
	# punched hole, which reads as zeroes); [16M, 32M) keeps its data.
	# Write-zeroes over [24M, 32M) reads back as zeroes through the disk.
	virtio_bit $v 13 || { REASON="VIRTIO_BLK_F_DISCARD not offered/negotiated"; return 1; }
	virtio_bit $v 14 || { REASON="VIRTIO_BLK_F_WRITE_ZEROES not offered/negotiated"; return 1; }
	b0=$(blocks $f) d0=$(disk_stat $disk 12)
	blkdiscard -o 0 -l $((16 * MIB)) $disk ||
		{ REASON="blkdiscard on $disk failed"; return 1; }
	b1=$(blocks $f) d1=$(disk_stat $disk 12)
	say "[$TAG] discard: backing blocks $b0 -> $b1 (512 B), disk discards $d0 -> $d1"
	[ $((b0 - b1)) -ge $((16 * MIB / 512)) ] ||
		{ REASON="discard freed only $((b0 - b1)) sectors of $((16 * MIB / 512))"; return 1; }
	kvblk zero $f -l $((16 * MIB)) > /dev/null ||
		{ REASON="discarded range does not read as zeroes in the file"; return 1; }
	must_l1 zeroout $disk -o $((24 * MIB)) -l $((8 * MIB)) || return 1
	must_l1 zero $disk -o $((24 * MIB)) -l $((8 * MIB)) -b $MIB -d || return 1
	kvblk verify $f -s 41 -o $((16 * MIB)) -l $((8 * MIB)) > /dev/null ||
		{ REASON="data next to the discarded and zeroed ranges changed"; return 1; }

	# Read-only: a second device on its own file, next to vb0.
	ro=$W/vb1.img
	patterned $ro 43 $((8 * MIB)) 8M || { REASON="kvblk gen failed"; return 1; }
	s0=$(sum $ro)
	vdpa_add vb1 virtio_vdpa blk $ro ro || return 1
	vr=$VDPA_NODE
	vdpa_disk $vr || return 1
	rdisk=$VDPA_DISK
	[ "$rdisk" != "$disk" ] || { REASON="vb1 got vb0's disk $disk"; return 1; }
	virtio_bit $vr 5 || { REASON="VIRTIO_BLK_F_RO not negotiated on vb1"; return 1; }
	[ "$(cat /sys/block/${rdisk#/dev/}/ro)" = 1 ] ||
		{ REASON="$rdisk is not read-only"; return 1; }
	virtio_bit $vr 13 && { REASON="a read-only device offers DISCARD"; return 1; }
	must_l1 readro $rdisk || return 1
	must_l1 verify $rdisk -s 43 -l $((8 * MIB)) -b $MIB -d || return 1
	dd if=/dev/zero of=$rdisk bs=4096 count=1 oflag=direct 2> /tmp/dd.err &&
		{ REASON="dd to read-only $rdisk succeeded"; return 1; }
	e=$(grep -m1 -E 'Operation not permitted|Read-only file system|Permission denied|I/O error' /tmp/dd.err) ||
		{ REASON="dd to read-only $rdisk: unexpected error $(head -n 1 /tmp/dd.err)"; return 1; }
	say "[$TAG] ro: $rdisk refuses writes ($e)"
	[ "$(sum $ro)" = "$s0" ] || { REASON="read-only backing file changed"; return 1; }

	# O_DIRECT on a loop device (kvirtio-vdpa ... direct): the device's
	# kiocbs over the driver's pages complete asynchronously, from the
	# loop's worker, which releases the pages.  The data must verify.
	lo=$(losetup -f) && blank $W/vbd.img 32M && losetup "$lo" $W/vbd.img ||
		{ REASON="losetup failed"; return 1; }
	vdpa_add vbd virtio_vdpa blk $lo direct || { losetup -d $lo; return 1; }
	vdpa_disk $VDPA_NODE || { losetup -d $lo; return 1; }
	ddisk=$VDPA_DISK
	a0=$(vdpa_stat vbd file_async)
	must_l1 write $ddisk -s 44 -l $((16 * MIB)) -b 65536 -d &&
		must_l1 verify $ddisk -s 44 -l $((16 * MIB)) -b $MIB -d &&
		must_l1 verify $lo -s 44 -l $((16 * MIB)) -b $MIB -d ||
		{ losetup -d $lo; return 1; }
	a1=$(vdpa_stat vbd file_async)
	say "[$TAG] direct: $ddisk on $lo, 16 MiB written and verified, asynchronous completions $a0 -> $a1"
	[ "${a1:-0}" -gt "${a0:-0}" ] ||
		{ losetup -d $lo; REASON="no asynchronous completion on the O_DIRECT loop device"; return 1; }

	# Every request above was well formed: the devices saw no error and
	# no bad address.
	for n in vb0 vb1 vbd; do
		say "[$TAG] $n: $(grep -E '^(requests|bytes|kicks|interrupts|errors|mem_faults|status_refused|workers|identity) ' \
			/sys/kernel/debug/kvirtio/vdpa-$n/stats | tr '\n' ' ')"
		[ "$(vdpa_stat $n errors)" = 0 ] && [ "$(vdpa_stat $n mem_faults)" = 0 ] ||
			{ REASON="$n counted $(vdpa_stat $n errors) errors, $(vdpa_stat $n mem_faults) memory faults"; return 1; }
		vdpa_zero_copy $n || return 1
	done

	# Teardown: off the bus (the disks go), destroyed, gone.
	vdpa_del vbd || { losetup -d $lo; return 1; }
	losetup -d $lo || { REASON="losetup -d $lo failed after vdpa del"; return 1; }
	rm -f $W/vbd.img
	vdpa_del vb1 || return 1
	vdpa_del vb0 || return 1
	[ ! -e $disk ] && [ ! -e $rdisk ] ||
		{ REASON="$disk or $rdisk still there after vdpa dev del"; return 1; }
	[ ! -e /sys/bus/virtio/devices/$v ] ||
		{ REASON="virtio device $v still there after vdpa dev del"; return 1; }
	[ -z "$(vdpa dev show 2>&1)" ] ||
		{ REASON="vdpa dev show after del: $(vdpa dev show 2>&1 | tr '\n' ' ')"; return 1; }
	[ "$(sum $ro)" = "$s0" ] || { REASON="read-only backing file changed"; return 1; }
	vdpa_reload || return 1

	# rmmod with devices on the bus, one on virtio_vdpa (its disk
	# unused), one on vhost_vdpa (its /dev/vhost-vdpa-N not open), and
	# one only recorded: the module deletes them all, nothing is left.
	vdpa_add vb2 virtio_vdpa blk $f || return 1
	vdpa_disk $VDPA_NODE || return 1
	d2=$VDPA_DISK
	vdpa_add vb4 vhost_vdpa blk $ro ro || return 1
	h4=$VDPA_NODE
	out=$(kvirtio-vdpa add vb3 blk $ro ro 2>&1) ||
		{ REASON="kvirtio-vdpa add vb3 blk $ro ro: $out"; return 1; }
	VDPA_NAMES="$VDPA_NAMES vb3"
	rmmod kvirtio_vdpa ||
		{ kmsg_tail; REASON="rmmod kvirtio_vdpa with devices on the bus failed"; return 1; }
	VDPA_NAMES=
	for x in $VDPA/devices/vb2 $VDPA/devices/vb4 $d2 $h4; do
		[ ! -e $x ] || { REASON="$x still there after rmmod kvirtio_vdpa"; return 1; }
	done
	settled ||
		{ REASON="after rmmod kvirtio_vdpa with devices: pins $(($(pins) - PINS0)) over baseline, live: $(live_objects)"; return 1; }
	say "[$TAG] rmmod with devices on virtio_vdpa and vhost_vdpa and one recorded: clean"
}

# A kvirtio blk device through vhost_vdpa, driven by tools/vdpa's
# vdpa-blk-check as a tiny VMM (its own buffer mapped through the IOTLB):
# a write read back (and found in the backing file), a read into a
# read-only mapping refused with the buffer untouched, the queue's base
# index read and set (a restart at avail index 100), and a descriptor
# outside every mapping, which must break the queue with NEEDS_RESET and
# a config interrupt.  Then the device deleted and kvirtio_vdpa reloaded.
sc_vdpa_vhost() { vdpa_run vdpa_vhost_run; }

vdpa_vhost_run()
{
	vdpa_load || return 1
	[ -x /bin/vdpa-blk-check ] || { REASON="no vdpa-blk-check in the L1 image"; return 1; }
	f=$W/vh0.img
	blank $f 16M
	vdpa_add vh0 vhost_vdpa blk $f || return 1
	vdpa-blk-check $VDPA_NODE 2048 > /tmp/vbc.out 2>&1
	rc=$?
	sed "s|^|L1 [$TAG] |" /tmp/vbc.out
	[ $rc -eq 0 ] || { kmsg_tail 30; REASON="vdpa-blk-check: $(tail -n 1 /tmp/vbc.out)"; return 1; }
	# Sector 2048 is 1 MiB in: byte i of the pattern is (i * 7 + 3) & 0xff.
	a=$(dd if=$f bs=4096 skip=256 count=1 2>/dev/null | od -An -tx1 | head -n 1)
	case "$a" in
	*"03 0a 11 18"*) ;;
	*)	REASON="the pattern is not in the backing file at 1 MiB: $a"; return 1 ;;
	esac
	say "[$TAG] errors $(vdpa_stat vh0 errors) mem_faults $(vdpa_stat vh0 mem_faults) requests $(vdpa_stat vh0 requests)"
	vdpa_del vh0 || return 1
	vdpa_reload
}

# vdpa_vm_stat KEY: the sum of KEY= over the VMM's "stats:   vdpa" lines
# of the last guest's log ($log).
vdpa_vm_stat()
{
	tr -d '\r' < $log | awk -v k="$1" '
	/^stats:   vdpa / {
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == k) s += kv[2]
		}
	}
	END { print s + 0 }'
}

# The last guest's blk function was the vDPA device, its kicks never
# exited to the VMM (KVM ioeventfds on vhost-vdpa's kick eventfds), its
# queue interrupts went to KVM as irqfds, and no ioctl failed.  Sets
# REASON.
vdpa_vm_checked()
{
	tr -d '\r' < $log > $log.txt
	l=$(grep -m1 '^stats: dev [0-9a-f.]* blk backend=vdpa ' $log.txt)
	rm -f $log.txt
	[ -n "$l" ] || { REASON="no blk function on the vDPA device in the VMM's --stats"; return 1; }
	n=$(echo "$l" | tr ' ' '\n' | sed -n 's/^notify_exits=//p')
	[ "$n" = 0 ] || { REASON="$n notify writes exited to the VMM"; return 1; }
	for k in kick_exits errors; do
		n=$(vdpa_vm_stat $k)
		[ "$n" = 0 ] || { REASON="--vdpa: $k=$n"; return 1; }
	done
	n=$(vdpa_vm_stat irqfd_binds)
	[ "$n" -ge 1 ] || { REASON="--vdpa: no call eventfd was bound as an irqfd"; return 1; }
}

# tools/vmm's --vdpa on a kvirtio blk device bound to vhost_vdpa: L2's
# virtio_blk writes the pattern (blk) and reads one L1 wrote (verify)
# through /dev/vhost-vdpa-N; the backing file must hold the data, the
# device's request count must grow, and kicks and interrupts must bypass
# the VMM.  Then 5 driver rebinds (churn: a device reset and a new
# DRIVER_OK each, guest RAM unmapped and mapped again unless the device
# keeps its IOTLB), the device deleted, nothing left pinned.  The rng
# is the backend's, next to it.
sc_vdpa_vmm()
{
	case $BACKEND in
	kernel|kworker|kdirect|user) ;;
	*)	REASON="--vdpa is tools/vmm's (backend $BACKEND)"; return 1 ;;
	esac
	vdpa_run vdpa_vmm_run
	rc=$?
	VM_MORE=
	return $rc
}

vdpa_vmm_run()
{
	vdpa_load || return 1
	f=$W/vv0.img
	blank $f 64M
	vdpa_add vv0 vhost_vdpa blk $f flush || return 1
	node=$VDPA_NODE
	VM_MORE="--vdpa $node"

	r0=$(vdpa_stat vv0 requests)
	guest 1 "" "" "kvt.scen=blk kvt.seed=21 kvt.len=$((16 * MIB))" || { kmsg_tail; return 1; }
	vdpa_vm_checked || return 1
	r1=$(vdpa_stat vv0 requests)
	say "[$TAG] blk through $node: device requests $r0 -> $r1, irqfd binds $(vdpa_vm_stat irqfd_binds), VMM-routed interrupts $(vdpa_vm_stat vmm_irqs)"
	[ -n "$r0" ] && [ "${r1:-0}" -gt "$r0" ] ||
		{ REASON="the device's request count did not grow ($r0 -> $r1)"; return 1; }
	patterned $W/expect 21 $((16 * MIB)) 64M || { REASON="kvblk gen failed"; return 1; }
	[ "$(sum $f)" = "$(sum $W/expect)" ] ||
		{ REASON="backing file differs from the pattern L2 wrote through $node"; return 1; }
	rm -f $W/expect

	# The device holds the file open: write L1's pattern into it in place.
	kvblk gen $W/pat -s 22 -l $((64 * MIB)) > /dev/null ||
		{ REASON="kvblk gen failed"; return 1; }
	dd if=$W/pat of=$f bs=$MIB conv=notrunc,fsync 2> /tmp/dd.err ||
		{ REASON="dd into $f: $(tail -n 1 /tmp/dd.err)"; return 1; }
	rm -f $W/pat
	guest 1 "" "" "kvt.scen=verify kvt.seed=22 kvt.len=$((64 * MIB))" || { kmsg_tail; return 1; }
	vdpa_vm_checked || return 1

	guest 1 "" "" "kvt.scen=churn kvt.n=5 kvt.seed=23 kvt.len=$MIB" || { kmsg_tail; return 1; }
	vdpa_vm_checked || return 1
	m=$(vdpa_vm_stat maps) z=$(vdpa_vm_stat resets)
	say "[$TAG] churn: guest RAM mapped $m times, $z device resets"
	[ "$z" -ge 5 ] || { REASON="5 driver rebinds, $z device resets"; return 1; }
	kvblk verify $f -s 23 -l $MIB > /dev/null ||
		{ REASON="data written after the rebinds not in the backing file"; return 1; }

	vdpa_zero_copy vv0 || return 1
	VM_MORE=
	vdpa_del vv0 || return 1
	settled || { REASON="after vdpa dev del: pins $(($(pins) - PINS0)) over baseline, live: $(live_objects)"; return 1; }
}

# Debian's QEMU 7.2, unmodified, runs L2 with -netdev vhost-vdpa on a
# kvirtio net device (kvirtio_vdpa) on tap $TAP: ICMP, 64 MiB each way
# over TCP with the sums compared at both ends, then SIGKILL of QEMU in
# the middle of traffic both ways: vhost-vdpa's pins and the device's
# live objects come back, and a new QEMU on the same device moves 8 MiB
# each way intact.  Then the device is deleted and kvirtio_vdpa unloads.
sc_vdpa_net() { vdpa_run vdpa_net_run; }

# The VMM of a vDPA device is gone: vhost_vdpa unpinned its memory and
# reset the device, which maps no ring and has nothing in flight (the
# device itself and its worker live until "kvirtio-vdpa del").
vdpa_released()
{
	vr_end=$(($(now) + 5))
	while :; do
		[ "$(pins)" = "$PINS0" ] &&
			[ -z "$(live_objects | tr ' ' '\n' | grep -E '^(mapped_rings|pinned_pages|inflight|kick_fds|irq_fds)=[1-9]')" ] &&
			return 0
		[ $(now) -lt $vr_end ] || return 1
		sleep 0.2
	done
}

vdpa_net_run()
{
	[ "$BACKEND" = qemu ] || { REASON="vdpa-net runs QEMU (backend qemu, not $BACKEND)"; return 1; }
	[ -x /bin/qemu-system-x86_64 ] ||
		{ REASON="no QEMU in the L1 image (run.sh --with-qemu)"; return 1; }
	vdpa_load || return 1
	net_tap 1 1500 || return 1
	vdpa_net_body
	rc=$?
	NET_VDPA=
	[ $rc = 0 ] && { vdpa_del vn0 || rc=1; }
	net_untap
	[ $rc = 0 ] && [ -z "$REASON" ] || return 1
	settled || { REASON="after vdpa dev del: pins $(($(pins) - PINS0)) over baseline, live: $(live_objects)"; return 1; }
	vdpa_reload
}

vdpa_net_body()
{
	vdpa_add vn0 vhost_vdpa net $TAP mac=$VDPA_MAC || return 1
	NET_VDPA=$VDPA_NODE
	# vhost-vdpa pins L2's RAM against RLIMIT_MEMLOCK, root or not.
	ulimit -l unlimited || { REASON="ulimit -l unlimited refused"; return 1; }
	NET=on guest 1 "" "" "kvt.scen=net-ping" || return 1
	[ "$(net_feature 32)" = 1 ] ||
		{ REASON="VIRTIO_F_VERSION_1 not negotiated"; return 1; }
	say "[$TAG] $(tr -d '\r' < $log | grep -m1 '^L2 NET eth0 up')"
	r0=$(vdpa_stat vn0 requests)
	NET=on NET_TIMEOUT=200 net_tcp 1 64M 61 "" || return 1
	r1=$(vdpa_stat vn0 requests)
	say "[$TAG] device requests $r0 -> $r1 over $NET_VDPA"
	[ -n "$r0" ] && [ "${r1:-0}" -gt "$r0" ] ||
		{ REASON="the device's request count did not grow ($r0 -> $r1)"; return 1; }
	# SIGKILL mid-traffic: vhost_vdpa resets the device on release.
	NET=on net_hold_guest || { kill -9 $VMPID 2>/dev/null; wait $VMPID; return 1; }
	net_kill_streaming || return 1
	vdpa_released || { REASON="after SIGKILL of QEMU: pins $(($(pins) - PINS0)) over baseline, live: $(live_objects)"; return 1; }
	NET=on net_tcp 1 8M 63 "" || { REASON="a new QEMU after the kill: $REASON"; return 1; }
	vdpa_zero_copy vn0
}

# must_l1 KVBLK-ARGS: run kvblk in L1; REASON set from its output on
# failure.
must_l1()
{
	out=$(kvblk "$@" 2>&1) && return 0
	REASON="kvblk $1 ${2:-}: $(echo "$out" | tail -n 1)"
	return 1
}

# ---------------------------------------------------------------------

say "scenarios: $scen_list; backends: $backend_list"
for item in $scen_list; do
	s=${item%%:*}
	for BACKEND in $backend_list; do
		case $item in
		*:*)	case +${item#*:}+ in *+$BACKEND+*) ;; *) continue ;; esac ;;
		esac
		TAG=$s/$BACKEND
		REASON=
		case $BACKEND in
		kernel|kworker|kdirect|user)	need=/bin/vmm ;;
		qemu)		need=/bin/qemu-system-x86_64 ;;
		*)		echo "E2E FAIL $TAG: unknown backend"; continue ;;
		esac
		if [ ! -x $need ]; then
			echo "E2E FAIL $TAG: $need not in the L1 image"
			continue
		fi
		if in_kernel && [ ! -c /dev/kvirtio ]; then
			echo "E2E FAIL $TAG: /dev/kvirtio missing (kvirtio.ko not loaded)"
			continue
		fi
		# Function names cannot hold '-' (net-ping runs sc_net_ping).
		fn=sc_$(echo $s | tr - _)
		type $fn > /dev/null 2>&1 || { echo "E2E FAIL $TAG: no such scenario"; continue; }
		dmesg -c > /dev/null
		PINS0=$(pins)
		t0=$(cut -d' ' -f1 /proc/uptime)
		say "[$TAG] start (pins $PINS0, live: $(live_objects))"
		ok=1
		$fn || ok=0
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
say "guests booted again after the testbed lost them: $RETRIES"
