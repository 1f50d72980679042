#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `make demo`: from a fresh Debian 12 machine to a Linux guest running on
# kvirtio devices, step by step.
#
#   1. install what is missing (scripts/deps.sh)
#   2. fetch Debian's 6.12 kernel (L1 and L2) and its headers
#   3. build kvirtio.ko against them, tools/vmm and the guest tools
#   4. boot L1 under QEMU (software emulation of an AMD CPU with SVM, so
#      L1 has KVM), load kvm-amd and kvirtio.ko
#   5. in L1, boot one L2 Linux guest with tools/vmm: its virtio-rng,
#      first disk (vda) and network device (eth0, on tap kvt0 in L1) are
#      served by kvirtio.ko (backend=kernel, inline kicks: the best kernel
#      path), its second disk (vdb), on the same file, by the VMM's
#      userspace engine (backend=user); show what the guest sees, its
#      eth0, a ping to L1 and 16 MiB each way checked at both ends
#   6. in that guest, alternate QD1 4 KiB random read runs between the
#      two disks for DEMO_ROUNDS rounds (default 7, LAT_N reads per run,
#      default 3000) and say which backend is faster, by how much, with
#      the spread over rounds
set -uo pipefail
. "$(dirname "$0")/common.sh"

N=${LAT_N:-3000}
R=${DEMO_ROUNDS:-7}
case $N$R in *[!0-9]*) e2e_die "LAT_N and DEMO_ROUNDS must be numbers" ;; esac
[ "$N" -gt 0 ] && [ "$R" -gt 0 ] || e2e_die "LAT_N and DEMO_ROUNDS must be positive"
step() { printf '\n### %s\n' "$*"; }

step "1/6 packages (scripts/deps.sh base headers e2e)"
"$KV_ROOT/scripts/deps.sh" base headers e2e || exit 1

step "2/6 Debian 6.12 kernel for L1 and L2 (apt-get download, unpacked under .build/e2e)"
"$E2E_DIR/fetch.sh" || exit 1

step "3/6 building kvirtio.ko (6.12 headers), tools/vmm, guest tools, both initramfs images"
"$E2E_DIR/l1-initramfs.sh" || exit 1

step "4-6/6 booting L1 under QEMU TCG; in it, one L2 guest with a kvirtio disk and a userspace disk"
echo "    L1 boots in ~5-10 s, the L2 guest in ~15-30 s (everything is emulated);"
echo "    the guest then reads $R rounds x 2 disks x $N x 4 KiB at queue depth 1."
log=$E2E_OUT/demo.log
# Never summarize an earlier run: run.sh may stop before it writes the log.
: > "$log"
# Room for L1's boot and the guest's own deadline (scenarios.sh: sc_demo).
"$E2E_DIR/run.sh" --no-build --log "$log" --timeout $((200 + R * N / 100)) \
	--backends kernel --rounds "$R" --lat-n "$N" demo |
	grep -vE '^\[ *[0-9]+s\]   \[demo/kernel\] L2 (BLK|RNG|HALT|READY)|^(\[ *[0-9]+s\] )?E2E LAT '
rc=${PIPESTATUS[0]}

step "what the guest saw"
grep -E '^\s*\[demo/kernel\] L2 (DEV|BLK|RNG|DMESG|INFO|HWRNG|KVBLK)' "$log" |
	sed 's/^ *\[demo\/kernel\] L2 /    /' | head -n 40
grep -E '^L1 \[demo/kernel\] disk ' "$log" | sed 's/^L1 \[demo\/kernel\] /    /'

step "the guest's network: virtio-net served by kvirtio.ko on tap kvt0 in L1 (192.168.100.1)"
grep -E '^\s*\[demo/kernel\] L2 NET ' "$log" | sed 's/^ *\[demo\/kernel\] L2 NET /    /'
grep -E '^L1 \[demo/kernel\] network' "$log" | sed 's/^L1 \[demo\/kernel\] /    /'

step "VMM counters (--stats): exits to the VMM and where each device's requests were served"
grep -E '^\s*\[demo/kernel\] stats: (exits|dev |  (kernel|user|queue))' "$log" |
	sed 's/^ *\[demo\/kernel\] stats: */    /'

step "QD1 4 KiB random read latency in the guest: $R interleaved rounds, $N reads per disk and round"
# Lines: E2E LAT <backend> round=R disk=vdX bs=.. n=.. mean_ns=.. p50_ns=..
awk -v logf="$log" -v want="$R" '
function median(a, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
/^E2E LAT (kernel|user) round=/ {
	b = $3
	split($4, kv, "="); r = kv[2] + 0
	for (i = 5; i <= NF; i++) { split($i, kv, "="); v[b, r, kv[1]] = kv[2] + 0 }
	if (r > maxr) maxr = r
}
END {
	for (r = 1; r <= maxr; r++) {
		if (v["kernel", r, "p50_ns"] > 0 && v["user", r, "p50_ns"] > 0)
			ok[++n] = r
	}
	if (n == 0) {
		print "    No round has a p50 for both backends: no verdict (see " logf ")."
		exit 1
	}
	printf "    %5s %14s %14s %12s\n", "round", "kernel p50 us", "user p50 us", "user/kernel"
	for (i = 1; i <= n; i++) {
		r = ok[i]
		ratio[i] = v["user", r, "p50_ns"] / v["kernel", r, "p50_ns"]
		inv[i] = 1 / ratio[i]
		if (ratio[i] > 1) kfaster++
		if (ratio[i] < 1) kslower++
		if (i == 1 || ratio[i] < lo) lo = ratio[i]
		if (i == 1 || ratio[i] > hi) hi = ratio[i]
		printf "    %5d %14.1f %14.1f %12.2f\n", r, v["kernel", r, "p50_ns"] / 1000,
		       v["user", r, "p50_ns"] / 1000, ratio[i]
	}
	printf "\n    median over rounds (us)\n    %-8s %10s %10s %10s %10s\n", "backend", "mean", "p50", "p90", "p99"
	split("mean_ns p50_ns p90_ns p99_ns", stat, " ")
	for (k = 0; k < 2; k++) {
		b = k ? "user" : "kernel"
		line = sprintf("    %-8s", b)
		for (s = 1; s <= 4; s++) {
			for (i = 1; i <= n; i++)
				col[i] = v[b, ok[i], stat[s]]
			line = line sprintf(" %10.1f", median(col, n) / 1000)
		}
		print line
	}
	print ""
	if (n < want)
		printf "    Only %d of %d rounds have both results (see %s).\n", n, want, logf
	who = "kvirtio (in-kernel, inline kicks)"
	if (n < 3)
		printf "    %d round(s) are too few for a verdict: one round is noise.\n", n
	else if (kfaster == n)
		printf "    %s is %.2fx faster than the userspace\n    backend at QD1 p50 (rounds: %.2f-%.2f, %d rounds).\n",
		       who, median(ratio, n), lo, hi, n
	else if (kslower == n)
		printf "    %s is %.2fx slower than the userspace\n    backend at QD1 p50 (rounds: %.2f-%.2f, %d rounds).\n",
		       who, median(inv, n), 1 / hi, 1 / lo, n
	else
		printf "    No winner, the rounds disagree: %s was\n    faster in %d of %d rounds (user/kernel p50 ratio %.2f-%.2f, median %.2f).\n",
		       who, kfaster, n, lo, hi, median(ratio, n)
	print "    Nested and TCG-emulated on shared cores: the absolute numbers are not"
	print "    those of a real machine; both disks ran in one guest at the same time,"
	print "    so their ratio is the comparison."
	if (n < want)
		exit 1
}' "$log" || { [ $rc -eq 0 ] && rc=1; }
echo
echo "full serial log: $log"
exit $rc
