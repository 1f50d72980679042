#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The DKMS package of kvirtio, installed and removed the way a user does it
# ("make dkms-install", "make dkms-remove"), against Debian's 6.1 and 6.12
# headers, without changing the host:
#
#   scripts/dkms-check.sh [6.1] [6.12]      default: both
#
# Each header set gets a private mount namespace in which /usr/src,
# /lib/modules and /var/lib/dkms are overlays whose writable layers live in
# .build/dkms/<ver>/, so dkms add, build (DKMS's own make command), install
# (depmod included), remove, and any MOK signing key DKMS makes, all
# happen there and vanish with the namespace.  The udev rule goes to
# .build/dkms/<ver>/udev and the running udev is left alone.  Checked:
# DKMS builds kvirtio.ko (and kvirtio_vdpa.ko for a kernel with
# CONFIG_VDPA, once drivers/kvirtio/vdpa exists, and only then), installs
# them, modinfo shows the version of ./VERSION and a default in every
# parameter's description, each parameter has its row (with that default)
# in Documentation/packaging.rst, and the removal leaves nothing behind.
# DKMS's make.log is printed whole for each header set.
#
# Where no mount namespace can be had (not root, no unshare), DKMS's make
# command is run by hand on the same source tree instead, and the same
# modules are checked; the output says so.  DKMS_CHECK_BY_HAND=1 takes
# that path anyway (to test it).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

top=$KV_BUILD/dkms
dist=$top/dist
version=$(cat "$KV_ROOT/VERSION")

# The modules a build for kernel $1 (headers in $2) must produce, as paths
# in the build tree: what the DKMS tree's dkms.conf lists for that kernel.
listed_modules()
{
	local tree=$dist/kvirtio-$version

	(kernelver=$1 kernel_source_dir=$2
	 . "$tree/dkms.conf" > /dev/null
	 for i in "${!BUILT_MODULE_NAME[@]}"; do
		echo "${BUILT_MODULE_LOCATION[$i]}${BUILT_MODULE_NAME[$i]}.ko"
	 done)
}

# What drivers/kvirtio/Kbuild decides: kvirtio_vdpa.ko for a kernel with
# the vDPA bus, once its sources are there.
expect_vdpa()
{
	[ -d "$KV_ROOT/drivers/kvirtio/vdpa" ] &&
		grep -qE '^CONFIG_VDPA=[ym]$' "$1/.config"
}

# modinfo of one built module: the version and a default in every
# parameter's description ("parm: name:description (type)").
check_modinfo()
{
	local ko=$1 kver=$2 v vm bad

	echo "-- modinfo $(basename "$ko")"
	# (without the signature's hex dump)
	modinfo "$ko" | grep -vE '^(signature:|[[:space:]]+[0-9A-F]{2}:)' |
		sed 's/^/   /'
	v=$(modinfo -F version "$ko")
	[ "$v" = "$version" ] || {
		echo "FAIL: $(basename "$ko") has version '$v', ./VERSION says '$version'"
		return 1
	}
	vm=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
	[ "$vm" = "$kver" ] || {
		echo "FAIL: $(basename "$ko") is for kernel '$vm', not $kver"
		return 1
	}
	bad=$(modinfo -F parm "$ko" | grep -vi 'default' || true)
	[ -z "$bad" ] || {
		echo "FAIL: parameters without a default in their description:"
		echo "$bad"
		return 1
	}
	check_param_table "$ko"
}

# Every parameter has its row in Documentation/packaging.rst's table
# ("``name``  type  default  meaning"), with the default that modinfo's
# description names ("(default 256)", "(default: N, ...)").
check_param_table()
{
	local doc=$KV_ROOT/Documentation/packaging.rst line name def rc=0

	while IFS= read -r line; do
		name=${line%%:*}
		def=$(sed -nE 's/.*\(default:? ([^ ,;:)]+).*/\1/p' <<< "$line")
		grep -qE '^``'"$name"'`` +[a-z]+ +'"$def"'( |$)' "$doc" || {
			echo "FAIL: $name (default '$def') has no matching row in $doc"
			rc=1
		}
	done < <(modinfo -F parm "$1")
	return $rc
}

# Inside the private namespace (run as "$0 --ns VER KDIR KVER"): overlay the
# system trees, then install and remove the package as a user would.
in_namespace()
{
	local ver=$1 kdir=$2 kver=$3 priv=$top/$1 d ko m rc=0
	local mk=(make -s -C "$KV_ROOT" KVER="$kver" DIST_DIR="$dist"
		  UDEV_RULES_DIR="$priv/udev" UDEVADM=true)

	for d in /usr/src /lib/modules /var/lib/dkms; do
		mkdir -p "$priv/upper$d" "$priv/work$d" &&
		mount -t overlay overlay -o \
			"lowerdir=$d,upperdir=$priv/upper$d,workdir=$priv/work$d" "$d" ||
			return 3
	done
	# DKMS finds the headers by /lib/modules/<kernel>/build.
	if [ "$(readlink -f "/lib/modules/$kver/build")" != "$(readlink -f "$kdir")" ]; then
		mkdir -p "/lib/modules/$kver"
		ln -sfn "$kdir" "/lib/modules/$kver/build"
	fi

	kv_note "make dkms-install KVER=$kver"
	"${mk[@]}" dkms-install || rc=1
	for d in /var/lib/dkms/kvirtio/"$version"/"$kver"/*/log/make.log; do
		[ -f "$d" ] || continue
		kv_note "DKMS make.log for $kver ($ver headers: $kdir)"
		cat "$d"
		cp "$d" "$KV_LOGS/dkms-$ver-make.log"
	done
	[ $rc -eq 0 ] || {
		echo "FAIL: make dkms-install for $kver"
		d=/var/lib/dkms/kvirtio/$version/build/make.log
		[ -f "$d" ] && cat "$d"
		return 1
	}

	kv_note "installed modules for $kver"
	find "/lib/modules/$kver/updates" -name 'kvirtio*.ko*' | sort
	for m in $(listed_modules "$kver" "$kdir"); do
		ko=$(find "/lib/modules/$kver/updates/dkms" -name "$(basename "$m")*" | head -n 1)
		[ -n "$ko" ] || { echo "FAIL: $(basename "$m") not installed"; rc=1; continue; }
		check_modinfo "$ko" "$kver" || rc=1
	done
	if expect_vdpa "$kdir"; then
		[ -n "$(find "/lib/modules/$kver/updates/dkms" -name 'kvirtio_vdpa.ko*')" ] || {
			echo "FAIL: $kver has CONFIG_VDPA but no kvirtio_vdpa.ko was installed"
			rc=1
		}
	elif [ -n "$(find "/lib/modules/$kver" -name 'kvirtio_vdpa.ko*')" ]; then
		echo "FAIL: kvirtio_vdpa.ko installed for $kver, which has no vDPA"
		rc=1
	fi
	grep -qs "kvirtio" "/lib/modules/$kver/modules.dep" || {
		echo "FAIL: depmod did not list kvirtio for $kver"
		rc=1
	}
	[ -f "$priv/udev/60-kvirtio.rules" ] || {
		echo "FAIL: the udev rule was not installed"
		rc=1
	}

	kv_note "make dkms-remove"
	"${mk[@]}" dkms-remove || rc=1
	if [ -n "$(dkms status -m kvirtio)" ] ||
	   [ -n "$(find "/lib/modules/$kver" -name 'kvirtio*.ko*')" ] ||
	   [ -e "/usr/src/kvirtio-$version" ] ||
	   [ -e "$priv/udev/60-kvirtio.rules" ]; then
		echo "FAIL: make dkms-remove left kvirtio behind:"
		dkms status -m kvirtio
		find "/lib/modules/$kver" /usr/src "$priv/udev" -maxdepth 3 -name 'kvirtio*'
		rc=1
	fi
	return $rc
}

# Without a namespace: what DKMS runs (its clean, then its default make
# command with KERNELRELEASE and -j), on a copy of the DKMS source tree.
emulate()
{
	local ver=$1 kdir=$2 kver=$3 b=$top/$1/build m rc=0

	rm -rf "$b"
	cp -a "$dist/kvirtio-$version" "$b"
	make -C "$kdir" M="$b" clean > /dev/null 2>&1
	kv_note "make -j$KV_JOBS KERNELRELEASE=$kver -C $kdir M=$b ($ver headers)"
	make -j"$KV_JOBS" KERNELRELEASE="$kver" -C "$kdir" M="$b" 2>&1 |
		tee "$KV_LOGS/dkms-$ver-make.log"
	[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "FAIL: build for $kver"; return 1; }
	for m in $(listed_modules "$kver" "$kdir"); do
		[ -f "$b/$m" ] || { echo "FAIL: $m not built"; rc=1; continue; }
		check_modinfo "$b/$m" "$kver" || rc=1
	done
	if expect_vdpa "$kdir" && [ -z "$(find "$b" -name kvirtio_vdpa.ko)" ]; then
		echo "FAIL: $kver has CONFIG_VDPA but kvirtio_vdpa.ko was not built"
		rc=1
	fi
	return $rc
}

one_kernel()
{
	local ver=$1 kdir kver rc

	case $ver in
	6.1)	kdir=$(kv_headers_61) || return 1 ;;
	6.12)	kdir=$(kv_headers_612) || return 1 ;;
	*)	kv_die "unknown header set '$ver' (6.1, 6.12)" ;;
	esac
	kver=${kdir##*/linux-headers-}
	kv_note "DKMS against the $ver headers: $kver ($kdir)"
	rm -rf "${top:?}/$ver"
	mkdir -p "$top/$ver"
	if [ -z "${DKMS_CHECK_BY_HAND:-}" ] && [ "$(id -u)" -eq 0 ] &&
	   command -v unshare > /dev/null; then
		unshare -m --propagation private "$0" --ns "$ver" "$kdir" "$kver"
		rc=$?
		[ $rc -ne 3 ] && return $rc
		echo "no private mounts here: running DKMS's make command by hand"
	else
		echo "not root, no unshare or DKMS_CHECK_BY_HAND: running DKMS's make command by hand"
	fi
	emulate "$ver" "$kdir" "$kver"
}

if [ "${1:-}" = --ns ]; then
	shift
	in_namespace "$@"
	exit $?
fi

command -v dkms > /dev/null || kv_die "dkms missing: run scripts/deps.sh dkms"
mkdir -p "$top" "$KV_LOGS"
kv_note "make dist (version $version)"
make -s -C "$KV_ROOT" dist DIST_DIR="$dist" || exit 1
bash -n "$dist/kvirtio-$version/dkms.conf" || exit 1
grep -qx "PACKAGE_VERSION=\"$version\"" "$dist/kvirtio-$version/dkms.conf" || {
	echo "FAIL: the DKMS tree's dkms.conf does not carry version $version"
	exit 1
}

# What of kvirtio the host has (a real "make dkms-install" of its own):
# this run must not change it.
host_state()
{
	ls -d /usr/src/kvirtio-* /var/lib/dkms/kvirtio 2>/dev/null
	find /lib/modules -name 'kvirtio*.ko*' 2>/dev/null
}

vers=("$@")
[ ${#vers[@]} -gt 0 ] || vers=(6.1 6.12)
before=$(host_state)
rc=0
for v in "${vers[@]}"; do
	if one_kernel "$v"; then
		echo "dkms $v: ok"
	else
		echo "dkms $v: FAILED"
		rc=1
	fi
done
if [ "$(host_state)" != "$before" ]; then
	echo "FAIL: the host's /usr/src, /var/lib/dkms or /lib/modules changed:"
	diff <(echo "$before") <(host_state)
	rc=1
fi
exit $rc
