# SPDX-License-Identifier: GPL-2.0-only
# Helpers of the KVM export patch scripts (build-kvm.sh, check-patch.sh).
# Source it after scripts/lib.sh, do not run it.  Downloads stay under
# .build/kvm/src.

KVM_PATCH_DIR=$KV_ROOT/patches/kvm

# The patch for kernels before 6.18 (the one that is built and booted).
kvm_default_patch()
{
	local p

	p=$(ls "$KVM_PATCH_DIR"/0001-*.patch 2>/dev/null | head -n 1 || true)
	[ -n "$p" ] || kv_die "no patch in $KVM_PATCH_DIR"
	echo "$p"
}

# Print the path of Debian's linux-source-$1 tarball of version $2: /usr/src's
# when the installed package is that version, else one fetched with apt-get
# download into .build/kvm/src/$2 (once).  Dies when the archive has no such
# version.
kvm_source_tarball()
{
	local ver=$2 pkg=linux-source-$1 have dl tarball deb

	have=$(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' "$pkg" \
		2>/dev/null | sed -n 's/^ii *//p' || true)
	tarball=/usr/src/$pkg.tar.xz
	if [ "$have" = "$ver" ] && [ -r "$tarball" ]; then
		echo "$tarball"
		return 0
	fi
	dl=$KV_BUILD/kvm/src/$ver
	tarball=$dl/$pkg.tar.xz
	if [ ! -s "$tarball" ]; then
		kv_note "downloading $pkg=$ver (installed: ${have:-none})" >&2
		rm -rf "$dl"
		mkdir -p "$dl"
		(cd "$dl" && apt-get download -q -o APT::Sandbox::User=root \
			"$pkg=$ver") >&2 || {
			rm -rf "$dl"
			kv_die "no $pkg=$ver in the archive (apt-cache madison $pkg lists what there is)"
		}
		deb=$(ls "$dl"/*.deb)
		dpkg-deb --fsys-tarfile "$deb" |
			tar -xO "./usr/src/$pkg.tar.xz" > "$tarball.tmp" ||
			kv_die "no $pkg.tar.xz in $deb"
		mv "$tarball.tmp" "$tarball"
		rm -f "$deb"
	fi
	echo "$tarball"
}

# Check that EXPORT_SYMBOL_GPL(f) follows the closing brace of f() in
# kvm_main.c $1 for both bus functions: a patch hunk applied at the wrong
# place would still compile.
kvm_exports_placed()
{
	local s

	for s in kvm_io_bus_register_dev kvm_io_bus_unregister_dev; do
		awk -v s="$s" '
			$0 ~ "^[a-z].*[ *]" s "\\(" { infn = 1 }
			infn && /^}$/ {
				getline nxt
				ok = nxt == "EXPORT_SYMBOL_GPL(" s ");"
				exit
			}
			END { exit !ok }' "$1" || {
			echo "EXPORT_SYMBOL_GPL($s) does not follow $s() in $1" >&2
			return 1
		}
	done
}
