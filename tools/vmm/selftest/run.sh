#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# VMM self-test on a host's /dev/kvm (this machine's, or L1's in the
# nested testbed: scripts/e2e scenario selftest): boot the freestanding guest (guest.c) with an rng and a blk device,
# backend=user unless BACKEND=kernel (or kdirect: backend=kernel in
# direct mode, kvmbus=on), and check
#  - the guest's verdict (debug exit port status 0, TAP-like lines),
#  - the disk file (the guest wrote sector 1; its write to sector 1536,
#    past the VMM's file size limit, failed and left nothing),
#  - --stats: every kick reached the worker through its ioeventfd (or, in
#    direct mode, KVM's bus) and the notify BAR never exited to the VMM;
#    in direct mode no BAR 0 access did either;
#  - where this script may make taps (root, /dev/net/tun, ip): a
#    virtio-net device on a tap the VMM creates and this script addresses
#    as 198.18.0.1/24 once it exists: the guest's ARP request must get the
#    host's reply, and --stats must count the frames both ways.  Elsewhere
#    that part is skipped with a note (NET=off skips it too).
#
#   run.sh VMM GUEST_IMAGE [WORKDIR]
#
# POSIX sh plus ulimit -c: it runs under bash or dash on a host and under
# busybox sh in the nested testbed's L1 (scripts/e2e/scenarios.sh).
set -u
vmm=$1 image=$2 work=${3:-$(mktemp -d)}
backend=${BACKEND:-user}
dev=backend=$backend
[ "$backend" = kdirect ] && dev=backend=kernel,kvmbus=on
mkdir -p "$work"
disk=$work/disk.img
fail=0
# A name of our own (at most 15 characters): the VMM creates the tap.
ntap=kvst$$
net=${NET:-on}
if [ "$net" = on ]; then
	if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ] ||
	   ! command -v ip >/dev/null 2>&1; then
		net=off
		echo "# net: SKIP (needs root, /dev/net/tun and ip)"
	fi
fi

say() { echo "$*"; }
bad() { echo "FAIL: $*"; fail=1; }
# name=value of one field on the first stats line matching a pattern
field() { grep -m1 -- "$1" "$log" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# One VM per notify kind: the guest takes the first NOTIFY capability, a
# port with notify=pio (the default), memory with notify=mmio.
run_one()
{
	notify=$1 want=$2
	log=$work/vmm-$notify.log
	say "# notify=$notify"
	dd if=/dev/zero of="$disk" bs=1M count=1 2>/dev/null
	printf 'kvirtio-selftest-sector0' | dd of="$disk" conv=notrunc 2>/dev/null

	# The VMM runs with a file size limit (ulimit -f, in KiB) below the
	# sector guest.c writes last (FSIZE_SECTOR): that write must be an I/O
	# error in the guest, not a SIGXFSZ that kills the VMM.  No core files.
	fsize_kib=512
	netopt=
	if [ "$net" = on ]; then
		netopt="--net tap=$ntap,$dev,notify=$notify"
		# Address the tap as soon as the VMM has made it; the guest
		# asks until then.
		(
			i=0
			while [ ! -e /sys/class/net/$ntap ] && [ $i -lt 200 ]; do
				sleep 0.05 2>/dev/null || sleep 1
				i=$((i + 1))
			done
			ip addr add 198.18.0.1/24 dev $ntap &&
				ip link set $ntap up
		) >"$work/tap-$notify.log" 2>&1 &
		tapper=$!
	fi
	(
		ulimit -c 0 2>/dev/null
		ulimit -f $fsize_kib || exit 125
		exec timeout 60 "$vmm" --kernel "$image" --mem 64 --cpus 1 --stats \
			--rng "$dev,notify=$notify" \
			--blk "$disk,$dev,notify=$notify" $netopt
	) >"$log" 2>&1
	rc=$?
	if [ "$net" = on ]; then
		wait $tapper
		cat "$work/tap-$notify.log"
	fi
	cat "$log"
	grep -q "^# notify: $want" "$log" ||
		bad "notify=$notify: the guest did not kick by $want"
	[ $rc -eq 0 ] || bad "vmm exit status $rc (guest check number, or a VMM error)"
	grep -q '^selftest: PASS' "$log" || bad "guest did not report PASS"

	got=$(dd if="$disk" bs=512 skip=1 count=1 2>/dev/null | head -c 25)
	[ "$got" = written-by-selftest-guest ] || bad "sector 1 of the disk is '$got'"
	past=$(dd if="$disk" bs=512 skip=1536 count=1 2>/dev/null | tr -d '\0' | wc -c)
	[ "$past" -eq 0 ] || bad "sector 1536, past the file size limit, was written"

	# Kicks are notify writes (memory or port): with the ioeventfds in
	# place none exits to the VMM.  This is the check for backend=kernel,
	# whose kicks counter counts a kick the VMM forwarded by pwrite too.
	nexits=$(grep '^stats: dev' "$log" | tr ' ' '\n' | sed -n 's/^notify_exits=//p')
	[ -n "$nexits" ] || bad "no notify_exits counters in --stats"
	for n in $nexits; do
		[ "$n" -eq 0 ] ||
			bad "$n notify writes exited to the VMM (no ioeventfd)"
	done

	if [ "$backend" = user ]; then
		rng_kicks=$(field 'stats:   user' kick_eventfds)
		[ "${rng_kicks:-0}" -ge 4 ] ||
			bad "rng: $rng_kicks kicks through the ioeventfd, want >= 4"
		blk_kicks=$(grep 'stats:   user' "$log" | sed -n 2p | tr ' ' '\n' |
			    sed -n 's/^kick_eventfds=//p')
		[ "${blk_kicks:-0}" -ge 3 ] ||
			bad "blk: $blk_kicks kicks through the ioeventfd, want >= 3"
		ign=$(field 'stats:   transport' kicks_ignored)
		[ "${ign:-1}" -eq 0 ] || bad "transport dropped $ign kicks"
	else
		kk=$(field 'stats:   kernel' kicks)
		[ "${kk:-0}" -ge 4 ] || bad "kernel rng device saw $kk kicks"
	fi
	if [ "$net" = on ]; then
		grep -q '^ok - ARP reply from the host through the tap' "$log" ||
			bad "net: no ARP reply through tap $ntap"
		for c in tx_packets rx_packets; do
			n=$(field 'stats:   net ' $c)
			[ "${n:-0}" -ge 1 ] || bad "net: $c=$n in --stats, want >= 1"
		done
	fi
	if [ "$backend" = kdirect ]; then
		for n in $(grep '^stats: dev' "$log" | tr ' ' '\n' | sed -n 's/^bar0_exits=//p'); do
			[ "$n" -eq 0 ] || bad "direct mode: $n BAR 0 accesses exited to the VMM"
		done
		dk=$(field 'stats:   kernel' direct_kicks)
		[ "${dk:-0}" -ge 4 ] || bad "direct mode: rng took $dk kicks on KVM's bus"
	fi
}

run_one pio port
run_one mmio memory
if [ $fail -eq 0 ]; then
	say "vmm selftest ($backend): PASS"
else
	say "vmm selftest ($backend): FAILED"
fi
exit $fail
