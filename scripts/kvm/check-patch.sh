#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The kvm-patch stage of make check (Documentation/kvm-patch.rst):
#
#   scripts/kvm/check-patch.sh
#
# 1. The carried patch (patches/kvm/0001-*.patch) applies without fuzz,
#    with GNU patch and with git apply, to virt/kvm/kvm_main.c of Debian's
#    linux-source-6.12 and linux-source-6.1 (the installed version, else
#    the one apt offers; only kvm_main.c is taken from each tarball, once
#    per version), and each export lands right after its own function.
# 2. scripts/kvm/build-kvm.sh builds and checks kvm.ko and kvm-amd.ko for
#    the release the e2e testbed boots (cached after the first run).
#
# Exits non-zero on the first failure; the last line sums up.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

patch=$(kvm_default_patch)
cache=$KV_BUILD/kvm/check
mkdir -p "$cache"
summary=

for series in 6.12 6.1; do
	pkg=linux-source-$series
	ver=$(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' "$pkg" \
		2>/dev/null | sed -n 's/^ii *//p' || true)
	[ -n "$ver" ] ||
		ver=$(apt-cache policy "$pkg" 2>/dev/null |
		      awk '/Candidate:/ && $2 != "(none)" { print $2 }')
	[ -n "$ver" ] || kv_die "apt knows no $pkg (apt-get update?)"

	# Only kvm_main.c, kept per version: the tarball is 140 MB.
	orig=$cache/$pkg-$ver.kvm_main.c
	if [ ! -s "$orig" ]; then
		tarball=$(kvm_source_tarball "$series" "$ver")
		tar -xOf "$tarball" "$pkg/virt/kvm/kvm_main.c" > "$orig.tmp" ||
			kv_die "no virt/kvm/kvm_main.c in $tarball"
		mv "$orig.tmp" "$orig"
	fi

	t=$cache/tree
	rm -rf "$t"
	mkdir -p "$t/virt/kvm"
	cp "$orig" "$t/virt/kvm/kvm_main.c"
	patch -d "$t" -p1 --fuzz=0 --batch --dry-run < "$patch" ||
		kv_die "$(basename "$patch") does not apply to $pkg $ver"
	# The ceiling keeps git from taking .build for part of this repo.
	GIT_CEILING_DIRECTORIES=$cache git -C "$t" apply --check "$patch" ||
		kv_die "git apply --check fails on $pkg $ver"
	patch -d "$t" -p1 --fuzz=0 --batch --no-backup-if-mismatch -s \
		< "$patch"
	kvm_exports_placed "$t/virt/kvm/kvm_main.c" ||
		kv_die "$(basename "$patch") applies at the wrong place in $pkg $ver"
	rm -rf "$t"
	echo "$pkg $ver: applies without fuzz, exports after their functions"
	summary="$summary${summary:+, }$series ($ver)"
done

# The testbed's kernel release (fetch.sh unpacks it once; e2e needs it too).
"$KV_ROOT/scripts/e2e/fetch.sh" > /dev/null
krel=$(cat "$KV_BUILD/e2e/kernel/.krel")
"$KV_ROOT/scripts/kvm/build-kvm.sh" "$krel"
echo "kvm-patch: applies to $summary; kvm.ko and kvm-amd.ko for $krel built and checked"
