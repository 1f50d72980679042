#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the L1 initramfs: busybox-static, Debian's KVM modules (irqbypass,
# ccp, kvm, kvm-amd; decompressed, explicit load order), kvirtio.ko built
# against the matching 6.12 headers, the static VMM with its self-test
# (guest image and run.sh in /e2e/selftest), the L2 kernel (the same
# vmlinuz) and the L2 initramfs, kvblk, kvnet, tun and vhost_net (with
# the modules they need), the vDPA pieces (Debian's vdpa, vhost_vdpa and
# virtio_vdpa with their dependencies, iproute2's vdpa tool, and
# kvirtio_vdpa.ko and tools/vdpa/kvirtio-vdpa when they build), and the
# scenario scripts.
#
#   scripts/e2e/l1-initramfs.sh [--with-qemu] [--no-module] [--no-vmm]
#                               [--patched-kvm]
#
#   --with-qemu   also carry qemu-system-x86_64 (its libraries and
#                 firmware): backend "qemu" becomes available in L1, the
#                 userspace reference the kvirtio backends are compared to.
#   --no-module   do not build or carry kvirtio.ko (testbed-only runs).
#   --no-vmm      do not build or carry tools/vmm (nor its self-test).
#   --patched-kvm carry kvm.ko and kvm-amd.ko rebuilt with the export
#                 patch (scripts/kvm/build-kvm.sh, Documentation/kvm-patch.rst)
#                 instead of Debian's; the image is l1-initrd-pkvm.gz.
#
# E2E_MODULE_SRC=head builds kvirtio.ko from the last commit (git archive)
# instead of the work tree.  E2E_MODULE_HOOK=CMD runs CMD in the module's
# private source copy before the build (deliberate breakage: see
# Documentation/e2e.rst).
#
# Output: .build/e2e/out/l1-initrd.gz (l1-initrd-pkvm.gz with
# --patched-kvm, so that both images can stand side by side).  Missing
# pieces (no module or VMM yet) are reported and left out; scenarios that
# need them then FAIL in L1.
set -euo pipefail
. "$(dirname "$0")/common.sh"

with_qemu=0 with_module=1 with_vmm=1 pkvm= vdpa_deps=
for a in "$@"; do
	case $a in
	--with-qemu)	with_qemu=1 ;;
	--no-module)	with_module=0 ;;
	--no-vmm)	with_vmm=0 ;;
	--patched-kvm)	pkvm=-pkvm ;;
	*)		e2e_die "unknown option $a" ;;
	esac
done

[ -n "$(e2e_krel)" ] || "$E2E_DIR/fetch.sh"
krel=$(e2e_krel)
"$E2E_DIR/l2-initramfs.sh"

root=$E2E_BUILD/l1-root$pkvm
initrd=$E2E_OUT/l1-initrd$pkvm.gz
rm -rf "$root"
mkdir -p "$root/l2" "$root/e2e" "$root/lib"
e2e_install_busybox "$root"
# loop, ext4 (with the crc32c it asks for at mount) and the quota format:
# the quota scenario's file system.
# tun (the taps of the net scenarios; kvirtio.ko's net backend uses its
# socket, so it loads before kvirtio.ko) and vhost_net with its tap,
# vhost and vhost_iotlb (QEMU's vhost=on, the bench's reference).
e2e_install_modules "$root" irqbypass ccp kvm kvm-amd loop crc32c_generic \
	ext4 quota_v2 tun vhost_net
if [ -n "$pkvm" ]; then
	# The rebuilt modules take the stock ones' files, so the load order
	# (irqbypass ccp kvm kvm-amd) stays as it is.
	kdir=$KV_ROOT/.build/kvm/$krel
	"$KV_ROOT/scripts/kvm/build-kvm.sh" "$krel" --out "$kdir" ||
		e2e_die "scripts/kvm/build-kvm.sh $krel failed"
	for m in kvm kvm-amd; do
		grep -qx "$m.ko" "$root/lib/modules/order" ||
			e2e_die "$m.ko is not in L1's module list"
		cp "$kdir/$m.ko" "$root/lib/modules/$m.ko"
	done
	e2e_say "patched KVM: kvm.ko and kvm-amd.ko from $kdir"
fi
cp "$E2E_KERNEL/boot/vmlinuz-$krel" "$root/l2/vmlinuz"
cp "$E2E_OUT/l2-initrd.gz" "$root/l2/initrd.gz"
for p in kvblk kvdirect kvhold kvnet kvpriv kvprobe; do
	cp "$E2E_BUILD/guest/$p" "$root/bin/"
done
# e2fsprogs' mke2fs (busybox has its own, without -O quota) makes the
# quota scenario's ext4 image; its libraries and defaults come along.
e2e_install_bin "$root" "$(command -v mke2fs || echo /sbin/mke2fs)" mke2fs.e2fs
mkdir -p "$root/etc"
cp /etc/mke2fs.conf "$root/etc/"
install -m 0755 "$E2E_DIR/l1-init" "$root/init"
install -m 0755 "$E2E_DIR/scenarios.sh" "$root/e2e/scenarios.sh"

if [ $with_module -eq 1 ]; then
	# Headers of exactly the L1 kernel, as scripts/build-module.sh
	# unpacks them (it fetches them when they are missing).  The module
	# is built here from its own copy of the sources (.build/e2e/mod),
	# so that a concurrent header-check build never races with ours.
	hdir=$KV_ROOT/.build/headers-6.12/usr/src/linux-headers-$krel
	if [ ! -f "$hdir/Makefile" ]; then
		e2e_say "fetching the $krel headers (scripts/build-module.sh 6.12)"
		"$KV_ROOT/scripts/build-module.sh" 6.12 > /dev/null 2>&1
	fi
	[ -f "$hdir/Makefile" ] || e2e_die "no headers for $krel in $hdir"
	# The -amd64 Makefile includes the -common one by its /usr/src path.
	grep -q "^include $KV_ROOT/" "$hdir/Makefile" ||
		sed -i "s|^include .*/\(linux-headers-[^/]*-common\)/Makefile\$|include $KV_ROOT/.build/headers-6.12/usr/src/\1/Makefile|" \
			"$hdir/Makefile"
	mdir=$E2E_BUILD/mod
	# A hooked (deliberately broken) copy leaves objects newer than the
	# restored sources: start from scratch after one, and mark this one.
	if [ -e "$mdir/.e2e-hooked" ] || [ -n "${E2E_MODULE_HOOK:-}" ]; then
		rm -rf "$mdir"
	fi
	if [ "${E2E_MODULE_SRC:-worktree}" = head ]; then
		# The last commit, whatever the work tree holds.
		rm -rf "$mdir"
		mkdir -p "$mdir"
		git -C "$KV_ROOT" archive HEAD | tar -x -C "$mdir"
	else
		( . "$KV_ROOT/scripts/lib.sh"; kv_sync_sources "$mdir" )
	fi
	if [ -n "${E2E_MODULE_HOOK:-}" ]; then
		# Fault injection for proving the tests bite: a command run in
		# the private copy, e.g. a sed that removes an unpin.
		e2e_say "E2E_MODULE_HOOK in $mdir: $E2E_MODULE_HOOK"
		: > "$mdir/.e2e-hooked"
		(cd "$mdir" && sh -c "$E2E_MODULE_HOOK") || e2e_die "E2E_MODULE_HOOK failed"
	fi
	e2e_say "building kvirtio.ko against $krel headers"
	ko=$mdir/drivers/kvirtio/kvirtio.ko
	# kvirtio_vdpa.ko comes from the same build when the tree has it
	# (drivers/kvirtio/vdpa, built only against a kernel with CONFIG_VDPA).
	vko=$mdir/drivers/kvirtio/kvirtio_vdpa.ko
	rm -f "$ko" "$vko"
	if ! make -s -C "$hdir" M="$mdir" CONFIG_KVIRTIO=m -j2 modules \
	     > "$E2E_OUT/module-build.log" 2>&1; then
		grep -E 'error' "$E2E_OUT/module-build.log" | head -n 5
		e2e_say "WARNING: kvirtio.ko build failed ($E2E_OUT/module-build.log)"
	fi
	if [ -f "$ko" ]; then
		vm=$(/sbin/modinfo -F vermagic "$ko" | cut -d' ' -f1)
		[ "$vm" = "$krel" ] ||
			e2e_die "kvirtio.ko vermagic $vm does not match the L1 kernel $krel"
		cp "$ko" "$root/lib/kvirtio.ko"
		e2e_say "kvirtio.ko: $vm"
	else
		e2e_say "WARNING: no kvirtio.ko: backend=kernel scenarios will FAIL"
	fi
	if [ -f "$vko" ] && [ -f "$ko" ]; then
		vm=$(/sbin/modinfo -F vermagic "$vko" | cut -d' ' -f1)
		[ "$vm" = "$krel" ] ||
			e2e_die "kvirtio_vdpa.ko vermagic $vm does not match the L1 kernel $krel"
		cp "$vko" "$root/lib/kvirtio_vdpa.ko"
		# Debian modules it links against, loaded before it (kvirtio.ko
		# is loaded by /init already).
		vdpa_deps=$(/sbin/modinfo -F depends "$vko" | tr ',' ' ')
		vdpa_deps=$(echo " $vdpa_deps " | sed 's/ kvirtio / /')
		e2e_say "kvirtio_vdpa.ko: $vm (needs kvirtio$vdpa_deps)"
	elif [ -d "$mdir/drivers/kvirtio/vdpa" ]; then
		e2e_say "WARNING: no kvirtio_vdpa.ko: the vdpa-* scenarios will FAIL"
	fi
fi

# vDPA: the bus (vdpa), vhost_vdpa (/dev/vhost-vdpa-N for a VMM),
# virtio_vdpa and virtio_blk (L1's own virtio driver on a vDPA device; L1
# has no udev to load it by alias), with what they and kvirtio_vdpa.ko
# need.  They are not loaded at boot: the vdpa-* scenarios load them in
# the order of lib/modules/vdpa.order (skipping what /init loaded
# already), so that no other scenario runs with them.
# Installed through a scratch tree, which keeps the boot list and the
# modules already copied (a patched kvm.ko) as they are.
vtmp=$E2E_BUILD/l1-vdpa-mods
rm -rf "$vtmp"
e2e_install_modules "$vtmp" vdpa vhost_iotlb vhost vhost_vdpa virtio_vdpa \
	virtio_blk $vdpa_deps
for m in $(cat "$vtmp/lib/modules/order"); do
	[ -e "$root/lib/modules/$m" ] || cp "$vtmp/lib/modules/$m" "$root/lib/modules/"
done
cp "$vtmp/lib/modules/order" "$root/lib/modules/vdpa.order"
rm -rf "$vtmp"
# iproute2's vdpa tool (netlink: vdpa mgmtdev/dev), with its libraries.
vt=$(command -v vdpa || echo /sbin/vdpa)
if [ -x "$vt" ]; then
	e2e_install_bin "$root" "$vt" vdpa
else
	e2e_say "WARNING: no vdpa tool (iproute2): the vdpa-* scenarios will FAIL"
fi
# kvirtio-vdpa, the command that records kvirtio's vDPA devices
# (tools/vdpa, static), when tools/Makefile builds it.  A stale binary
# would test old code: a failed build stops here.
if [ $with_module -eq 1 ] && grep -q '^kvirtio-vdpa:' "$KV_ROOT/tools/Makefile"; then
	make -s -C "$KV_ROOT/tools" kvirtio-vdpa > /dev/null ||
		e2e_die "make -C tools kvirtio-vdpa failed"
	kv=$KV_ROOT/.build/tools/vdpa/kvirtio-vdpa
	[ -x "$kv" ] || e2e_die "make -C tools kvirtio-vdpa made no $kv"
	e2e_install_bin "$root" "$kv" kvirtio-vdpa
	e2e_say "kvirtio-vdpa: $kv"
	# Its companion: a tiny vhost-vdpa driver (scenario vdpa-vhost).
	[ -x "${kv%/*}/vdpa-blk-check" ] &&
		e2e_install_bin "$root" "${kv%/*}/vdpa-blk-check" vdpa-blk-check
elif [ $with_module -eq 1 ]; then
	e2e_say "WARNING: tools/Makefile has no kvirtio-vdpa: the vdpa-* scenarios will FAIL"
fi

if [ $with_vmm -eq 1 ]; then
	vmm=
	if [ -f "$KV_ROOT/tools/Makefile" ] &&
	   grep -q '^vmm:' "$KV_ROOT/tools/Makefile"; then
		e2e_say "building tools/vmm"
		# A stale binary would test old code: a failed build stops here.
		make -s -C "$KV_ROOT/tools" vmm || e2e_die "make -C tools vmm failed"
	fi
	for c in "$KV_ROOT/.build/tools/vmm" "$KV_ROOT/tools/vmm/vmm" \
		 "$KV_ROOT/.build/tools/vmm/vmm"; do
		[ -f "$c" ] && [ -x "$c" ] && { vmm=$c; break; }
	done
	if [ -n "$vmm" ]; then
		e2e_install_bin "$root" "$vmm" vmm
		e2e_say "vmm: $vmm"
	else
		e2e_say "WARNING: no tools/vmm binary: backend=kernel|user scenarios will FAIL"
	fi
	# The VMM's self-test (scenario selftest): its guest image and
	# script, run by L1's busybox sh.
	st=$KV_ROOT/.build/tools/vmm/selftest/guest.img
	rm -f "$st"
	make -s -C "$KV_ROOT/tools" vmm-selftest-image > /dev/null ||
		e2e_say "WARNING: make -C tools vmm-selftest-image failed"
	if [ -f "$st" ]; then
		mkdir -p "$root/e2e/selftest"
		cp "$st" "$root/e2e/selftest/guest.img"
		install -m 0755 "$KV_ROOT/tools/vmm/selftest/run.sh" \
			"$root/e2e/selftest/run.sh"
		e2e_say "vmm selftest guest: $st"
	else
		e2e_say "WARNING: no self-test guest image: scenario selftest will FAIL"
	fi
fi

if [ $with_qemu -eq 1 ]; then
	q=$(command -v qemu-system-x86_64) || e2e_die "qemu-system-x86 missing"
	e2e_install_bin "$root" "$q"
	# Firmware that a q35 boot of a Linux kernel loads: qboot (fast,
	# used by scenarios.sh) and SeaBIOS as the default, option ROMs.
	mkdir -p "$root/usr/share/qemu"
	for f in /usr/share/qemu/qboot.rom /usr/share/seabios/bios-256k.bin \
		 /usr/share/qemu/kvmvapic.bin /usr/share/qemu/linuxboot_dma.bin; do
		[ -e "$f" ] || e2e_die "$f missing (qemu-system-x86, seabios)"
		cp -L "$f" "$root/usr/share/qemu/"
	done
	e2e_say "qemu: $q ($(du -sk "$root" | cut -f1) KiB tree)"
fi

e2e_pack "$root" "$initrd"
e2e_say "L1 initramfs: $initrd ($(du -k "$initrd" | cut -f1) KiB)"
