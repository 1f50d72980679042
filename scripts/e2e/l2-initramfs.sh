#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the L2 guest initramfs: busybox-static, Debian's virtio_blk,
# virtio-rng and virtio_net modules (with whatever modules.dep says they
# need: net_failover and failover for virtio_net), the static tools/guest
# programs kvblk and kvnet and scripts/e2e/l2-init as /init.
#
#   scripts/e2e/l2-initramfs.sh      -> .build/e2e/out/l2-initrd.gz
set -euo pipefail
. "$(dirname "$0")/common.sh"

[ -n "$(e2e_krel)" ] || "$E2E_DIR/fetch.sh"
e2e_guest_tools

root=$E2E_BUILD/l2-root
rm -rf "$root"
mkdir -p "$root" "$E2E_OUT"
e2e_install_busybox "$root"
e2e_install_modules "$root" virtio_blk virtio-rng virtio_net
cp "$E2E_BUILD/guest/kvblk" "$E2E_BUILD/guest/kvnet" "$root/bin/"
install -m 0755 "$E2E_DIR/l2-init" "$root/init"
e2e_pack "$root" "$E2E_OUT/l2-initrd.gz"
e2e_say "L2 initramfs: $E2E_OUT/l2-initrd.gz ($(du -k "$E2E_OUT/l2-initrd.gz" | cut -f1) KiB; modules: $(tr '\n' ' ' < "$root/lib/modules/order"))"
