#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The docs stage of make check: every Documentation/*.rst must parse with
# Debian's docutils without a warning (a malformed table or a broken
# reference renders as an error box, or silently loses text), and every
# file there must be named in README.md, so that no document is orphaned.
#
#   scripts/docs-check.sh [FILE.rst...]     default: Documentation/*.rst
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$KV_ROOT" || exit 1

# Debian's interpreter on purpose: its python3-docutils is what deps.sh
# installs, whatever python3 comes first in PATH.
py=/usr/bin/python3
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(Documentation/*.rst)

bad=0
for f in "${files[@]}"; do
	# report_level 2: warnings and errors; halt_level 5: never abort.
	msg=$("$py" - "$f" <<'EOF'
import io, sys
import docutils.core
path = sys.argv[1]
err = io.StringIO()
with open(path, encoding="utf-8") as fh:
    src = fh.read()
docutils.core.publish_doctree(src, source_path=path, settings_overrides={
    "warning_stream": err, "report_level": 2, "halt_level": 5,
    "file_insertion_enabled": False, "raw_enabled": False})
sys.stdout.write(err.getvalue())
EOF
	) || { echo "docs: $f: docutils failed to run"; bad=1; continue; }
	if [ -n "$msg" ]; then
		echo "docs: $f:"
		printf '%s\n' "$msg" | sed 's/^/    /'
		bad=1
	else
		echo "docs: $f: ok"
	fi
	if [ $# -eq 0 ] && ! grep -qF "${f##*/}" README.md; then
		echo "docs: $f is not named in README.md"
		bad=1
	fi
done
exit "$bad"
