#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The end-to-end run that `make check` does (scripts/check.sh counts the
# "E2E PASS/FAIL" lines): one L1 boot, every functional scenario with both
# backends (8 minutes warm on an idle 2-core machine).  Only the latency
# probe "lat" is left to `make e2e`: it measures and asserts nothing.  At
# most 10 minutes cold, download included: the QEMU timeout leaves room
# for the fetch and the builds before it.
#
#   scripts/e2e/smoke.sh            (make e2e runs the full set: full.sh)
set -uo pipefail
. "$(dirname "$0")/common.sh"

"$KV_ROOT/scripts/deps.sh" base headers e2e || exit 1
exec "$E2E_DIR/run.sh" --backends kernel,user --timeout 1000 \
	probe rng blk verify discard flush ro mq reboot kill leak \
	quota churn wzstorm freeze hostile:kernel cfgrace selftest:kernel+user
