#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Every end-to-end scenario with the three backends (`make e2e`), then in
# direct mode on a patched kvm.ko: about 15-25
# minutes on a shared 2-core machine, most of it the leak scenario's 20
# guest boots per backend.  Pass --with-qemu to add QEMU/KVM in L1 as a
# third, reference backend.
#
#   scripts/e2e/full.sh [--with-qemu]
set -uo pipefail
. "$(dirname "$0")/common.sh"

backends=kernel,kworker,user
[ "${1:-}" = --with-qemu ] && backends=kernel,kworker,user,qemu
"$KV_ROOT/scripts/deps.sh" base headers kvm e2e || exit 1
"$E2E_DIR/run.sh" --backends $backends \
	probe rng blk verify aio discard flush ro mq reboot kill leak \
	quota churn wzstorm freeze hostile:kernel+kworker cfgrace \
	selftest:kernel+user intx fallback:kernel lat net-ping net-tcp net-udp \
	net-mq net-offload net-kill net-leak
stock=$?
# Direct mode on a kvm.ko with patches/kvm (smoke.sh says more).
"$E2E_DIR/run.sh" --patched-kvm --backends kdirect \
	probe rng blk verify aio discard flush ro mq reboot kill leak direct \
	intx cfgrace quota churn freeze selftest lat
patched=$?
# kvirtio's devices on the vDPA bus (smoke.sh says more).
"$E2E_DIR/run.sh" --with-qemu --backends kernel,qemu \
	vdpa-probe:kernel vdpa-blk:kernel vdpa-vhost:kernel vdpa-vmm:kernel \
	vdpa-net:qemu
vdpa=$?
[ $stock -eq 0 ] && [ $patched -eq 0 ] && [ $vdpa -eq 0 ]
