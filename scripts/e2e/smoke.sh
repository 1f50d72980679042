#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The end-to-end run that `make check` does (scripts/check.sh counts the
# "E2E PASS/FAIL" lines), in three L1 boots: Debian's kvm.ko with three
# backends (kernel, kworker, user; about 11 minutes warm on an idle 2-core
# machine), then a kvm.ko with the export patch and the kernel backend in
# direct mode (about 5 minutes), then the vDPA bus with QEMU in L1 (about
# 4 minutes).  The leak loops run 10 and 5 guests here (20 and 8 in
# `make e2e`): every guest is still checked for pins and live objects.  Only the latency probe "lat" is left to
# `make e2e`: it measures and asserts nothing.  The QEMU timeouts leave
# room for the fetch and the builds before each boot.
#
#   scripts/e2e/smoke.sh            (make e2e runs the full set: full.sh)
set -uo pipefail
. "$(dirname "$0")/common.sh"

"$KV_ROOT/scripts/deps.sh" base headers kvm e2e || exit 1
# Two L1 boots.  The first runs Debian's kvm.ko: kworker (kvirtio.ko with
# inline=off,notify=mmio: the worker path and MMIO kicks) runs the
# functional scenarios; the lifecycle and isolation ones, which do not
# depend on where a request is served, run with the defaults (kernel) and
# user; fallback proves that direct mode asked of a stock KVM forwards.
# The net scenarios (a virtio-net device on a tap in L1) run with kernel
# and user: about 3 minutes per backend, most of it net-leak's guests.
"$E2E_DIR/run.sh" --backends kernel,kworker,user --timeout 1800 \
	--leak-rounds 10 --net-leak-rounds 5 \
	probe rng blk verify aio discard flush ro mq reboot kill leak:kernel+user \
	quota:kernel+user churn:kernel+user wzstorm:kernel+user \
	freeze:kernel+user hostile:kernel cfgrace:kernel+user selftest:kernel+user \
	intx:kernel+user fallback:kernel net-ping:kernel+user net-tcp:kernel+user \
	net-udp:kernel+user net-mq:kernel+user net-offload:kernel+user \
	net-kill:kernel+user net-leak:kernel+user
stock=$?
# The second boots L1 with kvm.ko rebuilt with patches/kvm (built by the
# kvm-patch stage, cached in .build/kvm) and runs the functional and
# lifetime scenarios in direct mode (kdirect: BAR0 and notify on KVM's
# buses), each guest checked for zero BAR0 exits to the VMM.
"$E2E_DIR/run.sh" --patched-kvm --backends kdirect --timeout 900 \
	--leak-rounds 10 \
	probe rng blk verify aio discard flush ro mq reboot kill leak direct \
	intx cfgrace selftest
patched=$?
# The third boots L1 with Debian's QEMU inside and the vDPA bus
# (kvirtio_vdpa.ko): L1's own virtio_blk on a kvirtio blk device through
# virtio_vdpa, tools/vmm --vdpa on one through vhost_vdpa, and QEMU's
# -netdev vhost-vdpa on a kvirtio net device.
"$E2E_DIR/run.sh" --with-qemu --backends kernel,qemu --timeout 900 \
	vdpa-probe:kernel vdpa-blk:kernel vdpa-vhost:kernel vdpa-vmm:kernel \
	vdpa-net:qemu
vdpa=$?
[ $stock -eq 0 ] && [ $patched -eq 0 ] && [ $vdpa -eq 0 ]
