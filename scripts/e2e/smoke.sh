#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The end-to-end run that `make check` does (scripts/check.sh counts the
# "E2E PASS/FAIL" lines): one L1 boot, every functional scenario with three
# backends (kernel, kworker, user; about 10 minutes warm on an idle 2-core
# machine).  Only the latency probe "lat" is left to `make e2e`: it
# measures and asserts nothing.  At most 12 minutes cold, download
# included: the QEMU timeout leaves room for the fetch and the builds
# before it.
#
#   scripts/e2e/smoke.sh            (make e2e runs the full set: full.sh)
set -uo pipefail
. "$(dirname "$0")/common.sh"

"$KV_ROOT/scripts/deps.sh" base headers e2e || exit 1
# kworker (kvirtio.ko with inline=off,notify=mmio: the worker path and
# MMIO kicks) runs the functional scenarios; the lifecycle and isolation
# ones, which do not depend on where a request is served, run with the
# defaults (kernel) and user.
exec "$E2E_DIR/run.sh" --backends kernel,kworker,user --timeout 1200 \
	probe rng blk verify aio discard flush ro mq reboot kill leak:kernel+user \
	quota:kernel+user churn:kernel+user wzstorm:kernel+user \
	freeze:kernel+user hostile:kernel cfgrace:kernel+user selftest:kernel+user
