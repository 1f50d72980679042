#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The end-to-end subset that `make check` runs (scripts/check.sh counts the
# "E2E PASS/FAIL" lines): one L1 boot, the scenarios below with both
# backends.  At most 10 minutes cold, download included: the QEMU timeout
# leaves room for the fetch and the builds before it.
#
#   scripts/e2e/smoke.sh            (make e2e runs the full set: full.sh)
set -uo pipefail
. "$(dirname "$0")/common.sh"

"$KV_ROOT/scripts/deps.sh" base headers e2e || exit 1
exec "$E2E_DIR/run.sh" --backends kernel,user --timeout 480 \
	probe blk discard kill
