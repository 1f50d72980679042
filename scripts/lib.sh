# SPDX-License-Identifier: GPL-2.0-only
# Helpers shared by the kvirtio build and test scripts.  Source it, do not
# run it.  Everything it creates lives under $KV_BUILD (the project's
# .build/, gitignored); nothing is written outside the project.

KV_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
KV_BUILD=$KV_ROOT/.build
KV_LOGS=$KV_BUILD/logs
KV_TREE=$KV_BUILD/linux-6.12
KV_SRC_TARBALL=${KV_SRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
KV_JOBS=${KV_JOBS:-$(nproc)}

# Called from "make check" or "make -jN ...": do not hand the outer make's
# flags and jobserver to the kernel builds, which pick their own -j (and
# would warn about an unreachable jobserver).
unset MAKEFLAGS MFLAGS MAKELEVEL

kv_die()
{
	echo "$(basename "$0"): $*" >&2
	exit 1
}

kv_note()
{
	echo "== $*"
}

# Unpack the Debian 6.12 kernel source into .build/linux-6.12 once (a stamp
# marks a complete extraction), then link this project in as
# drivers/kvirtio and hook it into drivers/{Makefile,Kconfig}.  Every step
# is idempotent, so reruns cost nothing.
kv_prepare_tree()
{
	local stamp=$KV_TREE/.kvirtio-extracted

	[ -r "$KV_SRC_TARBALL" ] ||
		kv_die "$KV_SRC_TARBALL missing: run scripts/deps.sh kunit"
	if [ ! -e "$stamp" ]; then
		kv_note "extracting $KV_SRC_TARBALL into $KV_TREE"
		rm -rf "$KV_TREE"
		mkdir -p "$KV_TREE"
		tar -xf "$KV_SRC_TARBALL" -C "$KV_TREE" --strip-components=1 ||
			kv_die "extracting $KV_SRC_TARBALL failed"
		touch "$stamp"
	fi

	# The link points at wherever this checkout lives now.
	if [ "$(readlink "$KV_TREE/drivers/kvirtio")" != "$KV_ROOT" ]; then
		rm -f "$KV_TREE/drivers/kvirtio"
		ln -s "$KV_ROOT" "$KV_TREE/drivers/kvirtio"
	fi
	grep -qx 'obj-y += kvirtio/' "$KV_TREE/drivers/Makefile" ||
		echo 'obj-y += kvirtio/' >> "$KV_TREE/drivers/Makefile"
	grep -qx 'source "drivers/kvirtio/Kconfig"' "$KV_TREE/drivers/Kconfig" ||
		echo 'source "drivers/kvirtio/Kconfig"' >> "$KV_TREE/drivers/Kconfig"
}

# Copy the project's sources (not .git, .build or build products) to $1,
# keeping timestamps so that builds there stay incremental.
kv_sync_sources()
{
	mkdir -p "$1"
	rsync -a --delete \
		--exclude=/.git --exclude=/.build --exclude=/out --exclude=/tools \
		--exclude='*.o' --exclude='*.ko' --exclude='*.a' \
		--exclude='*.mod' --exclude='*.mod.c' --exclude='.*.cmd' \
		--exclude='*.o.d' --exclude=modules.order \
		--exclude=Module.symvers \
		"$KV_ROOT/" "$1/"
}

# Print the directory of the newest installed Debian 6.1 headers.
kv_headers_61()
{
	local pkg dir

	# The meta package names the current versioned headers package.
	pkg=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
		grep -o 'linux-headers-6\.1[^ ,]*-amd64' | head -n 1)
	dir=/usr/src/$pkg
	if [ -z "$pkg" ] || [ ! -f "$dir/Makefile" ]; then
		dir=$(ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null |
			sort -V | tail -n 1)
	fi
	[ -n "$dir" ] && [ -f "$dir/Makefile" ] ||
		kv_die "no Debian 6.1 headers: run scripts/deps.sh headers"
	echo "$dir"
}

# Unpack the current Debian 6.12 headers, with the kbuild package that
# holds their scripts/, into .build/headers-6.12 and print the directory
# to build against.  Reruns reuse what is there.
kv_headers_612()
{
	local top=$KV_BUILD/headers-6.12 ver debs d hdir

	ver=$(apt-cache depends linux-headers-6.12-amd64 2>/dev/null |
		sed -n 's/.*Depends: linux-headers-\(6\.12\..*\)-amd64$/\1/p' |
		head -n 1)
	if [ -z "$ver" ]; then
		# No package lists yet (fresh machine): fall back to what was
		# unpacked before, else ask for an apt-get update.
		hdir=$(ls -d "$top"/usr/src/linux-headers-6.12.*-amd64 2>/dev/null |
			sort -V | tail -n 1)
		[ -n "$hdir" ] ||
			kv_die "cannot resolve the 6.12 headers version: run apt-get update"
	else
		hdir=$top/usr/src/linux-headers-$ver-amd64
		if [ ! -e "$top/.stamp-$ver" ]; then
			echo "fetching Debian headers $ver" >&2
			rm -rf "$top"
			mkdir -p "$top/debs"
			(cd "$top/debs" && apt-get download -q -o APT::Sandbox::User=root \
				"linux-headers-$ver-amd64" \
				"linux-headers-$ver-common" \
				"linux-kbuild-$ver") >&2 ||
				kv_die "apt-get download of the $ver headers failed"
			for d in "$top"/debs/*.deb; do
				dpkg-deb -x "$d" "$top" ||
					kv_die "dpkg-deb -x $d failed"
			done
			rm -rf "$top/debs"
			touch "$top/.stamp-$ver"
		fi
	fi
	# The -amd64 Makefile includes the -common one by its /usr/src path:
	# point it at our copy instead (again on every run, in case the
	# checkout moved).
	sed -i "s|^include .*/\(linux-headers-[^/]*-common\)/Makefile\$|include $top/usr/src/\1/Makefile|" \
		"$hdir/Makefile"
	echo "$hdir"
}
