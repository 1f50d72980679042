#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Fetch the Debian 6.12 kernel the nested testbed boots (as L1 and as L2):
# resolve the versioned linux-image package from the meta package,
# `apt-get download` it (nothing is installed on the host) and unpack it
# into .build/e2e/kernel.  A stamp naming the package version makes reruns
# free; a new version on the mirror replaces the old unpack.
#
#   scripts/e2e/fetch.sh [--headers]
#
# --headers also provides the matching 6.12 headers for kvirtio.ko through
# scripts/build-module.sh when that exists (it owns .build/headers-6.12).
set -euo pipefail
. "$(dirname "$0")/common.sh"

want_headers=0
[ "${1:-}" = --headers ] && want_headers=1

pkg=$(e2e_image_pkg) || e2e_die "cannot resolve $E2E_META (apt-cache depends)"
ver=$(apt-cache policy "$pkg" | awk '/Candidate:/ { print $2 }')
[ -n "$ver" ] && [ "$ver" != "(none)" ] || e2e_die "no candidate for $pkg"
stamp="$pkg=$ver"

if [ "$(cat "$E2E_KERNEL/.stamp" 2>/dev/null)" = "$stamp" ]; then
	e2e_say "kernel $stamp already unpacked in $E2E_KERNEL"
else
	dl=$E2E_BUILD/download
	mkdir -p "$dl"
	deb=$(ls "$dl"/"${pkg}"_*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ] || ! dpkg-deb -f "$deb" Version | grep -qxF "$ver"; then
		rm -f "$dl"/"${pkg}"_*.deb
		e2e_say "downloading $pkg $ver (~100 MB, progress below)"
		# apt-get download writes to the current directory and wants
		# to drop privileges to _apt; let it keep root for .build.
		(cd "$dl" && apt-get download -o APT::Sandbox::User=root \
			"$pkg=$ver") || e2e_die "apt-get download $pkg failed"
		deb=$(ls "$dl"/"${pkg}"_*.deb | head -n1)
	fi
	e2e_say "unpacking $(basename "$deb")"
	rm -rf "$E2E_KERNEL"
	mkdir -p "$E2E_KERNEL"
	dpkg-deb -x "$deb" "$E2E_KERNEL"
	krel=$(ls "$E2E_KERNEL/lib/modules" | head -n1)
	[ -n "$krel" ] && [ -r "$E2E_KERNEL/boot/vmlinuz-$krel" ] ||
		e2e_die "unexpected layout in $deb"
	echo "$krel" > "$E2E_KERNEL/.krel"
	echo "$stamp" > "$E2E_KERNEL/.stamp"
fi
krel=$(e2e_krel)
e2e_say "kernel release $krel: $E2E_KERNEL/boot/vmlinuz-$krel"

if [ $want_headers -eq 1 ]; then
	if [ -x "$KV_ROOT/scripts/build-module.sh" ]; then
		"$KV_ROOT/scripts/build-module.sh" 6.12
	else
		e2e_die "scripts/build-module.sh not there yet: no 6.12 headers"
	fi
fi
