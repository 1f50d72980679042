#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install the Debian 12 packages that the named test stages need, and only
# the missing ones: dpkg-query is asked first, and apt-get (update, then
# install) runs only when something is missing.  Needs root for that.
#
#   scripts/deps.sh [GROUP...]     groups: base kunit headers docs dkms tools fuzz kvm e2e bench all
#
# With no group, "all" is assumed.
set -euo pipefail

pkgs_base="make gcc gcc-12 libc6-dev"
# UML KUnit kernel: the kernel source and what building a kernel needs.
pkgs_kunit="linux-source-6.12 xz-utils flex bison bc libelf-dev libssl-dev python3"
# Out-of-tree module builds against Debian 6.1 and 6.12, sparse, checkpatch
# (checkpatch comes from the linux-source tree, which needs perl).
pkgs_headers="linux-headers-amd64 linux-source-6.12 xz-utils flex bison bc
	libelf-dev libssl-dev pahole sparse rsync perl"
# The docs stage: Debian's docutils parses Documentation/*.rst.
pkgs_docs="python3 python3-docutils"
# The DKMS package built, installed and removed against both header sets
# (scripts/dkms-check.sh); openssl makes DKMS's module signing key.
pkgs_dkms="dkms openssl"
# Userspace unit tests of the host-agnostic core: gcc and clang builds,
# both with ASan and UBSan.
pkgs_tools="clang libclang-rt-14-dev"
# libFuzzer and the sanitizers' runtimes.
pkgs_fuzz="clang libclang-rt-14-dev"
# The KVM export patch (scripts/kvm/): Debian's kernel source for
# arch/x86/kvm and virt/kvm, patch, modinfo, strip; the headers and the
# compiler come with the headers group and base.
pkgs_kvm="linux-source-6.12 xz-utils patch kmod binutils pahole"
# Nested testbed: Debian kernel under QEMU TCG, busybox initramfs (and
# iproute2's vdpa tool for the vdpa-* scenarios).
pkgs_e2e="qemu-system-x86 busybox-static cpio xz-utils zstd kmod e2fsprogs iproute2"
# make bench: the nested testbed, the CDF plot and fio (copied into L2 for
# the fio client, with the libraries ldd names).
pkgs_bench="python3 python3-matplotlib fio procps"

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(all)

want="$pkgs_base"
for g in "${groups[@]}"; do
	case $g in
	base)		;;
	kunit)		want+=" $pkgs_kunit" ;;
	headers)	want+=" $pkgs_headers" ;;
	dkms)		want+=" $pkgs_headers $pkgs_dkms" ;;
	docs)		want+=" $pkgs_docs" ;;
	tools)		want+=" $pkgs_tools" ;;
	fuzz)		want+=" $pkgs_fuzz" ;;
	kvm)		want+=" $pkgs_kvm" ;;
	e2e)		want+=" $pkgs_e2e" ;;
	bench)		want+=" $pkgs_kvm $pkgs_e2e $pkgs_bench" ;;
	all)		want+=" $pkgs_kunit $pkgs_headers $pkgs_docs $pkgs_dkms $pkgs_tools $pkgs_fuzz $pkgs_kvm $pkgs_e2e" ;;
	*)		echo "deps.sh: unknown group '$g'" >&2; exit 2 ;;
	esac
done

missing=()
for p in $(printf '%s\n' $want | sort -u); do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	[ "${status:0:2}" = ii ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all present for: ${groups[*]}"
	exit 0
fi

echo "deps: installing ${missing[*]}"
[ "$(id -u)" -eq 0 ] || {
	echo "deps.sh: missing packages and not root; install them: ${missing[*]}" >&2
	exit 1
}
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
