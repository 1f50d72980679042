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
#   5. in L1, boot an L2 Linux guest with tools/vmm whose virtio-rng and
#      virtio-blk are served by kvirtio.ko (backend=kernel), show what the
#      guest sees, then the same guest on the VMM's userspace devices
#      (backend=user)
#   6. compare QD1 4 KiB read latency of both, measured in the guest
set -uo pipefail
. "$(dirname "$0")/common.sh"

N=${LAT_N:-10000}
step() { printf '\n### %s\n' "$*"; }

step "1/6 packages (scripts/deps.sh base headers e2e)"
"$KV_ROOT/scripts/deps.sh" base headers e2e || exit 1

step "2/6 Debian 6.12 kernel for L1 and L2 (apt-get download, unpacked under .build/e2e)"
"$E2E_DIR/fetch.sh" || exit 1

step "3/6 building kvirtio.ko (6.12 headers), tools/vmm, guest tools, both initramfs images"
"$E2E_DIR/l1-initramfs.sh" || exit 1

step "4-6/6 booting L1 under QEMU TCG; in it, L2 guests on kvirtio (kernel) and on the VMM (user)"
echo "    L1 boots in ~5-10 s, each L2 guest in ~15-30 s (everything is emulated);"
echo "    the guest reads $N x 4 KiB at queue depth 1 on each backend."
log=$E2E_OUT/demo.log
"$E2E_DIR/run.sh" --no-build --log "$log" --timeout 400 --backends kernel,user \
	--lat-n "$N" demo |
	grep -vE '^\[ *[0-9]+s\]   \[demo/[a-z]+\] L2 (BLK|RNG|HALT|READY)'
rc=${PIPESTATUS[0]}

step "what the guest saw (backend=kernel)"
grep -E '^\s*\[demo/kernel\] L2 (DEV|BLK|RNG|DMESG|HWRNG|KVBLK)' "$log" |
	sed 's/^ *\[demo\/kernel\] L2 /    /' | head -n 40

step "VMM counters (--stats): exits to the VMM and where blk requests were served"
for b in kernel user; do
	grep -E "^\s*\[demo/$b\] stats: (exits|dev .* blk|  (kernel|user|queue))" "$log" |
		sed "s/^ *\[demo\/$b\] stats: */    $b: /" | head -n 8
done

step "QD1 4 KiB random read latency in the guest (same L1 run, $N requests each)"
awk '/^E2E LAT / {
	b = $3
	for (i = 4; i <= NF; i++) { split($i, kv, "="); v[b, kv[1]] = kv[2] }
	seen[b] = 1
}
END {
	if (!seen["kernel"] || !seen["user"]) {
		print "    (no latency result for both backends: see the log)"
		exit
	}
	printf "    %-8s %10s %10s %10s %10s\n", "backend", "mean us", "p50 us", "p90 us", "p99 us"
	for (k = 0; k < 2; k++) {
		b = k ? "user" : "kernel"
		printf "    %-8s %10.1f %10.1f %10.1f %10.1f\n", b, v[b, "mean_ns"] / 1000,
		       v[b, "p50_ns"] / 1000, v[b, "p90_ns"] / 1000, v[b, "p99_ns"] / 1000
	}
	printf "    user/kernel p50 ratio: %.2f  (> 1: kernel faster; TCG-emulated and shared cores, compare within one run only)\n",
	       v["user", "p50_ns"] / v["kernel", "p50_ns"]
}' "$log"
echo
echo "full serial log: $log"
exit $rc
