# SPDX-License-Identifier: GPL-2.0-only
# Shared settings of the nested end-to-end testbed.  Source it, do not run
# it.  All scratch lives under .build/e2e (gitignored).

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
KV_ROOT=$(cd "$E2E_DIR/../.." && pwd -P)
E2E_BUILD=${E2E_BUILD:-$KV_ROOT/.build/e2e}
E2E_KERNEL=$E2E_BUILD/kernel		# unpacked linux-image package
E2E_OUT=$E2E_BUILD/out			# initramfs images, logs
E2E_META=${E2E_META:-linux-image-6.12-amd64}

e2e_die()
{
	echo "$(basename "$0"): $*" >&2
	exit 1
}

e2e_say()
{
	echo "== $*"
}

# The versioned image package the meta package points at now, e.g.
# linux-image-6.12.117+deb12-amd64.  The mirror drifts, so always ask.
e2e_image_pkg()
{
	local pkg

	pkg=$(apt-cache depends "$E2E_META" 2>/dev/null |
	      awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$pkg" ]; then
		[ "$(id -u)" -eq 0 ] || return 1
		apt-get update -q >/dev/null 2>&1 || return 1
		pkg=$(apt-cache depends "$E2E_META" 2>/dev/null |
		      awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	fi
	[ -n "$pkg" ] && echo "$pkg"
}

# The kernel release (uname -r) of the unpacked image.
e2e_krel()
{
	cat "$E2E_KERNEL/.krel" 2>/dev/null
}

# Make sure modules.dep exists for the unpacked image (the package does not
# ship it; depmod generates it in place under .build).
e2e_depmod()
{
	local krel

	krel=$(e2e_krel) || return 1
	[ -s "$E2E_KERNEL/lib/modules/$krel/modules.dep" ] ||
		/sbin/depmod -b "$E2E_KERNEL" "$krel" ||
		e2e_die "depmod on $E2E_KERNEL failed"
}

# Print, one per line and in load order, the module files (relative to
# lib/modules/KREL) that loading the named modules needs.  modules.dep lists
# a module's full dependency closure, deepest last.
e2e_mod_closure()
{
	local krel dep m line f seen=" "

	krel=$(e2e_krel)
	dep=$E2E_KERNEL/lib/modules/$krel/modules.dep
	for m in "$@"; do
		line=$(grep -E "/$m\.ko(\.xz|\.zst|\.gz)?:" "$dep") ||
			e2e_die "module $m not in $dep"
		for f in $(echo "${line#*:}" | tr ' ' '\n' | tac) "${line%%:*}"; do
			case $seen in *" $f "*) continue ;; esac
			seen="$seen$f "
			echo "$f"
		done
	done
}

# Copy modules (decompressed, busybox insmod cannot read .ko.xz) into
# $1/lib/modules and write their load order to $1/lib/modules/order.
e2e_install_modules()
{
	local root=$1 krel f out
	shift

	e2e_depmod
	krel=$(e2e_krel)
	mkdir -p "$root/lib/modules"
	: > "$root/lib/modules/order"
	for f in $(e2e_mod_closure "$@"); do
		out=$(basename "$f")
		out=${out%.xz}
		xz -dc "$E2E_KERNEL/lib/modules/$krel/$f" > "$root/lib/modules/$out"
		echo "$out" >> "$root/lib/modules/order"
	done
}

# Put busybox-static into an initramfs tree; /init runs --install.
e2e_install_busybox()
{
	local root=$1 bb

	bb=$(command -v busybox) || e2e_die "busybox missing: scripts/deps.sh e2e"
	file -L "$bb" 2>/dev/null | grep -q 'statically linked' ||
		ldd "$bb" 2>&1 | grep -q 'not a dynamic' ||
		e2e_die "$bb is not static: install busybox-static"
	mkdir -p "$root/bin" "$root/sbin" "$root/proc" "$root/sys" \
		 "$root/dev" "$root/tmp" "$root/run"
	cp "$bb" "$root/bin/busybox"
	ln -sf busybox "$root/bin/sh"
}

# Pack a tree into a gzip'ed newc cpio.
e2e_pack()
{
	local root=$1 out=$2

	(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	 cpio --null -o -H newc --quiet -R 0:0) | gzip -1 > "$out.tmp"
	mv "$out.tmp" "$out"
}

# Build the static guest programs.
e2e_guest_tools()
{
	make -s -C "$KV_ROOT/tools/guest" O="$E2E_BUILD/guest" ||
		e2e_die "building tools/guest failed"
}

# Copy program $2 into tree $1 as $1/bin/$(basename $3 or $2).  A dynamic
# executable brings its loader and libraries along at their own paths (L1
# has no libc of its own).
e2e_install_bin()
{
	local root=$1 bin=$2 name=${3:-$(basename "$2")} l

	mkdir -p "$root/bin"
	cp "$bin" "$root/bin/$name"
	ldd "$bin" > /dev/null 2>&1 || return 0
	for l in $(ldd "$bin" | grep -oE '/[^ ]+'); do
		mkdir -p "$root$(dirname "$l")"
		cp -L "$l" "$root$l"
	done
}

# e2e_boot_l1 TIMEOUT MEM KERNEL INITRD APPEND LOG [QEMU ARGS...]
# Boot L1 under QEMU TCG (-cpu EPYC: emulated SVM, so L1 has kvm-amd; two
# vCPUs) and print its console, cleaned of carriage returns, screen
# clears and TCG's feature warnings, while a copy goes to LOG.  timeout
# SIGKILLs QEMU (and with it L1 and everything in it) when L1 hangs: a
# hung L1 is a failure, never a hung make.  Returns QEMU's status.
e2e_boot_l1()
{
	local timeout=$1 mem=$2 kernel=$3 initrd=$4 append=$5 log=$6

	shift 6
	timeout -s KILL "$timeout" \
		qemu-system-x86_64 -machine q35 -cpu EPYC -m "$mem" -smp 2 \
		-nographic -nic none -no-reboot -kernel "$kernel" \
		-initrd "$initrd" -append "$append" "$@" < /dev/null 2>&1 |
		grep --line-buffered -av "TCG doesn't support requested feature" |
		sed -u -e 's/\r//g' -e 's/^.*\x1b\[2J//' | tee "$log"
	return "${PIPESTATUS[0]}"
}
