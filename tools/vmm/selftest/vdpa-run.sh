#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# --vdpa on a host without vDPA: boot the self-test guest (guest.c) under
# vmm-fakevdpa, the VMM linked with a userspace vhost-vdpa stand-in
# (fake_vdpa.c), with a vDPA rng and a vDPA blk device and nothing else,
# once per notify kind, and check
#  - the guest's verdict: its rng checks (a buffer made available before
#    DRIVER_OK, kicks, one MSI-X interrupt per completion, the vector
#    retargeted through the PCI_CFG window, masked and unmasked, and
#    with decoding off) and its blk checks (read, write, read back, a
#    write past the file size limit, then INTx with MSI-X off);
#  - the disk file;
#  - --stats: no kick exited to the VMM (each notify address is a KVM
#    ioeventfd on the device's kick eventfd); the rng's interrupts went
#    straight from the device's call eventfd to KVM (irqfd bound, unbound
#    while the guest masked the vector, bound again) and the blk's INTx
#    ones through the VMM's interrupt thread; guest RAM was mapped once
#    per device start;
#  - the device's own counters (kicks and calls), printed at close;
#  - RLIMIT_MEMLOCK (the stand-in enforces it as vhost-vdpa does): with a
#    hard limit below guest RAM the VMM raises it where it may
#    (CAP_SYS_RESOURCE) and boots, else it stops with a message that
#    names the limit.
#
#   vdpa-run.sh VMM_FAKEVDPA GUEST_IMAGE [WORKDIR]
set -u
vmm=$1 image=$2 work=${3:-$(mktemp -d)}
mkdir -p "$work"
rng=$work/fake-vhost-vdpa-rng
blk=$work/fake-vhost-vdpa-blk
disk=$blk.img
fail=0

say() { echo "$*"; }
bad() { echo "FAIL: $*"; fail=1; }
# name=value of one field on the Nth stats line matching a pattern
field() { grep -- "$1" "$log" | sed -n "${3:-1}p" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

run_one()
{
	notify=$1 want=$2
	log=$work/vmm-vdpa-$notify.log
	say "# --vdpa, notify=$notify"
	: >"$rng"
	: >"$blk"
	dd if=/dev/zero of="$disk" bs=1M count=1 2>/dev/null
	printf 'kvirtio-selftest-sector0' | dd of="$disk" conv=notrunc 2>/dev/null
	(
		ulimit -c 0 2>/dev/null
		ulimit -f 512 || exit 125
		exec timeout 60 "$vmm" --kernel "$image" --mem 64 --cpus 1 \
			--stats --vdpa "$rng,notify=$notify" \
			--vdpa "$blk,notify=$notify"
	) >"$log" 2>&1
	rc=$?
	cat "$log"
	[ $rc -eq 0 ] || bad "vmm exit status $rc (guest check number, or a VMM error)"
	grep -q '^selftest: PASS' "$log" || bad "guest did not report PASS"
	grep -q "^# notify: $want" "$log" ||
		bad "notify=$notify: the guest did not kick by $want"
	grep -q '^vmm: vdpa' "$log" && bad "the VMM reported a vdpa error"
	got=$(dd if="$disk" bs=512 skip=1 count=1 2>/dev/null | head -c 25)
	[ "$got" = written-by-selftest-guest ] || bad "sector 1 of the disk is '$got'"
	past=$(dd if="$disk" bs=512 skip=1536 count=1 2>/dev/null | tr -d '\0' | wc -c)
	[ "$past" -eq 0 ] || bad "sector 1536, past the file size limit, was written"

	grep -q '^stats: dev 01.0 rng backend=vdpa' "$log" ||
		bad "no rng function on the vDPA device at 01.0"
	grep -q '^stats: dev 02.0 blk backend=vdpa' "$log" ||
		bad "no blk function on the vDPA device at 02.0"
	for n in $(grep '^stats: dev' "$log" | tr ' ' '\n' | sed -n 's/^notify_exits=//p'); do
		[ "$n" -eq 0 ] || bad "$n notify writes exited to the VMM (no ioeventfd)"
	done
	for n in $(grep '^stats:   vdpa' "$log" | tr ' ' '\n' | sed -n 's/^kick_exits=//p'); do
		[ "$n" -eq 0 ] || bad "$n kicks were forwarded by the VMM"
	done
	# rng (first vdpa line): MSI-X, straight to KVM except while masked.
	b=$(field 'stats:   vdpa' irqfd_binds 1)
	u=$(field 'stats:   vdpa' irqfd_unbinds 1)
	[ "${b:-0}" -ge 3 ] && [ "${u:-0}" -ge 2 ] ||
		bad "rng: irqfd bound $b and unbound $u times, want >= 3 and >= 2 (retargeted twice)"
	m=$(field 'stats:   vdpa' maps 1)
	[ "${m:-0}" -ge 1 ] || bad "rng: guest RAM mapped $m times"
	# blk (second): INTx, every interrupt through the VMM's thread.
	v=$(field 'stats:   vdpa' vmm_irqs 2)
	[ "${v:-0}" -ge 3 ] || bad "blk: $v interrupts routed by the VMM, want >= 3 (INTx)"
	l=$(field 'stats:   vdpa' intx_lines 2)
	[ "${l:-0}" -ge 2 ] || bad "blk: $l KVM_IRQ_LINE calls"
	k=$(field 'fake-vdpa rng:' kicks)
	c=$(field 'fake-vdpa rng:' calls)
	[ "${k:-0}" -ge 4 ] && [ "${c:-0}" -ge 7 ] ||
		bad "rng device: $k kicks and $c calls, want >= 4 and >= 7"
	k=$(field 'fake-vdpa blk:' kicks)
	[ "${k:-0}" -ge 3 ] || bad "blk device: $k kicks, want >= 3"
}

run_one pio port
run_one mmio memory

# RLIMIT_MEMLOCK 8 MiB (soft and hard) for 2 x 32 MiB of guest RAM.
log=$work/vmm-vdpa-memlock.log
: >"$rng"
: >"$blk"
(
	ulimit -l 8192 || exit 125
	FAKE_VDPA_MEMLOCK=1 exec timeout 60 "$vmm" --kernel "$image" --mem 32 \
		--vdpa "$rng" --vdpa "$blk"
) >"$log" 2>&1
rc=$?
cat "$log"
eff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status 2>/dev/null)
if [ -n "$eff" ] && [ $(( 0x$eff >> 24 & 1 )) -eq 1 ]; then
	# CAP_SYS_RESOURCE: raised to what both devices pin.
	[ $rc -eq 0 ] && grep -q '^selftest: PASS' "$log" ||
		bad "RLIMIT_MEMLOCK 8 MiB with CAP_SYS_RESOURCE: status $rc, want a raised limit and PASS"
else
	[ $rc -eq 1 ] &&
		grep -q 'RLIMIT_MEMLOCK is 8192 KiB where 32768 KiB are needed: raise it (ulimit -l)' "$log" ||
		bad "RLIMIT_MEMLOCK 8 MiB without CAP_SYS_RESOURCE: status $rc, want 1 and the limit named"
fi

# Bad input: a node that is not there, and one that is no vhost-vdpa device.
log=$work/vmm-vdpa-bad.log
"$vmm" --kernel "$image" --vdpa "$work/no-such-node" >"$log" 2>&1
rc=$?
cat "$log"
[ $rc -eq 2 ] && grep -q "^vmm: --vdpa: cannot open '$work/no-such-node'" "$log" ||
	bad "a missing node: status $rc, want 2 and a message naming it"
: >"$work/not-vdpa"
"$vmm" --kernel "$image" --vdpa "$work/not-vdpa" >"$log" 2>&1
rc=$?
cat "$log"
[ $rc -eq 1 ] && grep -q "^vmm: vdpa $work/not-vdpa: VHOST_SET_OWNER: " "$log" ||
	bad "a file that is no vhost-vdpa device: status $rc, want 1 and VHOST_SET_OWNER named"

if [ $fail -eq 0 ]; then
	say "vmm vdpa selftest: PASS"
else
	say "vmm vdpa selftest: FAILED"
fi
exit $fail
