#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Rebuild Debian's kvm.ko and kvm-amd.ko for one kernel release with the
# carried export patch (patches/kvm/), from exactly that release's Debian
# source and headers (Documentation/kvm-patch.rst):
#
#   scripts/kvm/build-kvm.sh KREL [--out DIR] [--patch FILE]
#
#   KREL          a Debian kernel release (uname -r), e.g. 6.12.117+deb12-amd64
#   --out DIR     where kvm.ko, kvm-amd.ko and Module.symvers go
#                 (default .build/kvm/KREL)
#   --patch FILE  another patch (default: patches/kvm/0001-*.patch; kernels
#                 >= 6.18 need patches/kvm/6.18/, which is untested)
#
# The Debian package version comes from the installed linux-image-KREL,
# else from the testbed's unpacked one (.build/e2e/kernel), else from the
# headers; the headers must carry the same version, and linux-source-X.Y
# of that version is used (/usr/src's if it matches, else apt-get
# download into .build/kvm/src).  No matching source: refused.
#
# The modules are built with the compiler that built the kernel, their
# debug info is stripped and they are not signed.  Then they are checked:
# vermagic is KREL's, Module.symvers has the two new exports and every
# kvm export Debian's Module.symvers has, with the same CRC (so stock
# modules that import from kvm still load).  Any failure exits non-zero.
# A rerun with the same patch and source version only repeats the checks.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

usage()
{
	sed -n '3,/^set -e/{/^#/p}' "$0" | sed 's/^# \?//'
	exit "${1:-0}"
}

krel= out= patch=
while [ $# -gt 0 ]; do
	case $1 in
	--out)		out=$2; shift ;;
	--patch)	patch=$2; shift ;;
	-h|--help)	usage ;;
	-*)		kv_die "unknown option $1" ;;
	*)		[ -z "$krel" ] || kv_die "one KREL only"; krel=$1 ;;
	esac
	shift
done
[ -n "$krel" ] || usage 2 >&2
[[ $krel =~ ^([0-9]+\.[0-9]+)\.[0-9]+[-+][A-Za-z0-9.+-]+$ ]] ||
	kv_die "'$krel' does not look like a Debian kernel release (uname -r)"
series=${BASH_REMATCH[1]}
out=${out:-$KV_BUILD/kvm/$krel}
[ -n "$patch" ] || patch=$(kvm_default_patch)
[ -r "$patch" ] || kv_die "no patch $patch"
patch=$(cd "$(dirname "$patch")" && pwd -P)/$(basename "$patch")

kvm_top=$KV_BUILD/kvm
mkdir -p "$kvm_top" "$out"
# One build per release at a time: the check stage and the testbed may
# both ask for the same modules.
exec 9> "$kvm_top/.lock-$krel"
flock 9

# The Debian version a headers tree was built from: package.h carries it
# (" Debian 6.12.117-1~deb12u1").
headers_version()
{
	sed -n 's/^#define LINUX_PACKAGE_ID " Debian \(.*\)"$/\1/p' \
		"$1/include/generated/package.h" 2>/dev/null || true
}

find_headers()
{
	local d

	for d in "/lib/modules/$krel/build" "/usr/src/linux-headers-$krel" \
		 "$KV_BUILD/headers-6.12/usr/src/linux-headers-$krel"; do
		[ -f "$d/Makefile" ] && [ -f "$d/Module.symvers" ] &&
			{ (cd "$d" && pwd -P); return 0; }
	done
	return 1
}

hdir=$(find_headers) || {
	# The testbed's 6.12 headers are fetched by build-module.sh; only
	# the release the mirror offers now can come that way.
	if [ "$series" = 6.12 ]; then
		kv_note "no headers for $krel: fetching with scripts/build-module.sh 6.12"
		"$KV_ROOT/scripts/build-module.sh" 6.12 > /dev/null 2>&1 || true
	fi
	hdir=$(find_headers) ||
		kv_die "no headers for $krel (install linux-headers-$krel)"
}
# build-module.sh's copy includes the -common Makefile by its /usr/src
# path; point it at the copy next to it.
case $hdir in
"$KV_BUILD"/headers-6.12/*)
	sed -i "s|^include .*/\(linux-headers-[^/]*-common\)/Makefile\$|include $KV_BUILD/headers-6.12/usr/src/\1/Makefile|" \
		"$hdir/Makefile" ;;
esac
hver=$(headers_version "$hdir")
[ -n "$hver" ] || kv_die "$hdir/include/generated/package.h names no Debian version"

# The version of the image this release runs: installed, else unpacked for
# the testbed (its stamp is "linux-image-KREL=VERSION").
ver=$(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' "linux-image-$krel" \
	2>/dev/null | sed -n 's/^ii *//p' || true)
from="installed package"
if [ -z "$ver" ]; then
	ver=$(sed -n "s/^linux-image-$krel=//p" "$KV_BUILD/e2e/kernel/.stamp" 2>/dev/null || true)
	from="testbed's unpacked image"
fi
if [ -z "$ver" ]; then
	ver=$hver
	from="headers; no linux-image-$krel is installed or unpacked"
fi
[ "$ver" = "$hver" ] ||
	kv_die "linux-image-$krel is $ver ($from) but $hdir is $hver: the headers must match"
kv_note "$krel is Debian $ver (from the $from)"

# Everything the modules are made of; the same key means the same modules.
key=$(printf '%s\n' "$krel" "$ver" "$(sha256sum < "$patch")" | sha256sum | cut -c1-16)

# Check the modules in $out; say what was checked, fail loudly.
verify()
{
	local ko vm depends ref stock= new bad n s

	# The stock module's full vermagic, where one is at hand.
	ref=$(ls "/lib/modules/$krel/kernel/arch/x86/kvm/kvm.ko"* \
	      "$KV_BUILD/e2e/kernel/lib/modules/$krel/kernel/arch/x86/kvm/kvm.ko"* \
	      2>/dev/null | head -n 1 || true)
	[ -z "$ref" ] || stock=$(/sbin/modinfo -F vermagic "$ref")
	for ko in kvm kvm-amd; do
		[ -s "$out/$ko.ko" ] || kv_die "$out/$ko.ko missing"
		vm=$(/sbin/modinfo -F vermagic "$out/$ko.ko")
		[ "${vm%% *}" = "$krel" ] ||
			kv_die "$ko.ko vermagic '$vm' is not $krel's"
		[ -z "$stock" ] || [ "$vm" = "$stock" ] ||
			kv_die "$ko.ko vermagic '$vm' differs from $ref's '$stock'"
	done
	depends=$(/sbin/modinfo -F depends "$out/kvm-amd.ko")
	[[ ,$depends, == *,kvm,* ]] || kv_die "kvm-amd.ko depends on '$depends', not kvm"

	# Debian's kvm exports against ours: same symbols, same CRCs, plus
	# the two the patch adds and nothing else.
	new=$(awk -F'\t' '
		NR == FNR {
			if ($3 ~ /^arch\/x86\/kvm\/kvm(-amd)?$/) { crc[$2] = $1; n++ }
			next
		}
		$3 ~ /\/kvm(-amd)?$/ { seen[$2] = 1
			if (!($2 in crc)) { print "new " $2 " " $4; next }
			if (crc[$2] != $1) print "crc " $2 " " crc[$2] " " $1
		}
		END {
			for (s in crc)
				if (!(s in seen)) print "gone " s
			print "count " n
		}' "$hdir/Module.symvers" "$out/Module.symvers")
	n=$(echo "$new" | sed -n 's/^count //p')
	bad=$(echo "$new" | grep -E '^(crc|gone) ' || true)
	[ -z "$bad" ] || kv_die "Module.symvers does not match Debian's:
$bad"
	for s in kvm_io_bus_register_dev kvm_io_bus_unregister_dev; do
		echo "$new" | grep -qx "new $s EXPORT_SYMBOL_GPL" ||
			kv_die "Module.symvers has no EXPORT_SYMBOL_GPL $s"
	done
	bad=$(echo "$new" | grep '^new ' |
	      grep -vE '^new kvm_io_bus_(un)?register_dev ' || true)
	[ -z "$bad" ] || kv_die "unexpected new exports: $bad"
	echo "vermagic: $vm${ref:+ (same as $ref)}"
	echo "kvm-amd.ko depends: $depends"
	echo "Module.symvers: $n Debian kvm exports, every CRC equal; new: kvm_io_bus_register_dev, kvm_io_bus_unregister_dev (GPL)"
	echo "sizes: $(du -k "$out/kvm.ko" "$out/kvm-amd.ko" | awk '{ printf "%s %d KiB  ", $2, $1 }')"
}

if [ "$(cat "$out/.stamp" 2>/dev/null)" = "$key" ] && [ -s "$out/Module.symvers" ]; then
	kv_note "patched KVM for $krel ($ver) is up to date in $out"
	verify
	exit 0
fi

# The Debian source of exactly $ver.
src_pkg=linux-source-$series
tarball=$(kvm_source_tarball "$series" "$ver")

work=$kvm_top/work/$krel
m=$work/m
log=$out/build.log
rm -rf "$work" "$out/.stamp"
mkdir -p "$work/src" "$m/virt"
kv_note "extracting arch/x86/kvm and virt/kvm of $src_pkg $ver ($tarball)"
tar -xf "$tarball" -C "$work/src" --strip-components=1 \
	"$src_pkg/arch/x86/kvm" "$src_pkg/virt/kvm" ||
	kv_die "extracting KVM from $tarball failed"
if grep -q 'EXPORT_SYMBOL_FOR_KVM_INTERNAL(file_is_kvm)' \
	"$work/src/virt/kvm/kvm_main.c" &&
   ! grep -q 'file_is_kvm' "$patch"; then
	kv_die "this source exports file_is_kvm to kvm-amd/kvm-intel only (>= 6.18): use --patch patches/kvm/6.18/*.patch (untested)"
fi

kv_note "applying $(basename "$patch")"
patch -d "$work/src" -p1 --fuzz=0 --batch --no-backup-if-mismatch \
	< "$patch" || kv_die "$(basename "$patch") does not apply to $src_pkg $ver"
kvm_exports_placed "$work/src/virt/kvm/kvm_main.c" ||
	kv_die "$(basename "$patch") applied at the wrong place"

# kvm.ko and kvm-amd.ko as an external module: arch/x86/kvm at the top,
# virt/kvm below it, and arch/x86/kvm/Makefile as the Kbuild with its two
# $(srctree) references pointed at the copy.
cp -a "$work/src/arch/x86/kvm/." "$m/"
cp -a "$work/src/virt/kvm/." "$m/virt/"
{
	echo 'KVM := virt'
	sed -e 's|-I \$(srctree)/arch/x86/kvm$|-I $(src)|' \
	    -e 's|^include \$(srctree)/virt/kvm/Makefile.kvm$|include $(src)/virt/Makefile.kvm|' \
	    -e '/^obj-\$(CONFIG_KVM_INTEL)/d' "$m/Makefile"
} > "$m/Kbuild"
rm "$m/Makefile"
grep -qx 'ccflags-y += -I $(src)' "$m/Kbuild" &&
	grep -qx 'include $(src)/virt/Makefile.kvm' "$m/Kbuild" ||
	kv_die "arch/x86/kvm/Makefile of $ver is not laid out as expected"
# trace.h names its directory relative to the kernel tree; here it lives
# at the top of the module.  "." finds it through -I $(src), the way
# mmu/mmutrace.h is found; an absolute path would go through the
# preprocessor and break on a directory named like a macro ("linux").
sed -i 's|^#define TRACE_INCLUDE_PATH \.\./\.\./arch/x86/kvm$|#define TRACE_INCLUDE_PATH .|' \
	"$m/trace.h"
grep -qx '#define TRACE_INCLUDE_PATH .' "$m/trace.h" ||
	kv_die "arch/x86/kvm/trace.h of $ver has another TRACE_INCLUDE_PATH"

# The compiler that built the kernel, by the name the kernel recorded, so
# that kbuild does not warn about a different one.
cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$hdir/.config")
command -v "$cc" > /dev/null || kv_die "$cc (the kernel's compiler) missing: install gcc-12"

kv_note "building kvm.ko and kvm-amd.ko for $krel with $cc ($KV_JOBS jobs; about a minute on 2 cores); log $log"
t0=$SECONDS
{
	echo "KREL $krel, Debian $ver, headers $hdir, patch $(basename "$patch")"
	make -C "$hdir" M="$m" CC="$cc" -j"$KV_JOBS" modules 2>&1
} > "$log" || {
	grep -E 'error|warning:' "$log" | head -n 20 >&2
	kv_die "build failed, see $log"
}
# Debian builds KVM without warnings; a warning here means the copy is
# not the tree it claims to be.
if grep -E '(warning|error):' "$log" > /dev/null; then
	grep -E '(warning|error):' "$log" | head -n 20 >&2
	kv_die "the build printed warnings, see $log"
fi
for ko in kvm kvm-amd; do
	# What INSTALL_MOD_STRIP=1 does; BTF is not debug info and stays.
	strip --strip-debug -o "$out/$ko.ko" "$m/$ko.ko"
	echo "$ko.ko: $(du -k "$m/$ko.ko" | cut -f1) KiB with debug info, $(du -k "$out/$ko.ko" | cut -f1) KiB stripped" |
		tee -a "$log"
done
cp "$m/Module.symvers" "$out/Module.symvers"
verify
echo "$key" > "$out/.stamp"
rm -rf "$work"
kv_note "patched KVM for $krel built in $((SECONDS - t0)) s: $out"
