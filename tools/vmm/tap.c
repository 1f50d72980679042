// SPDX-License-Identifier: GPL-2.0-only
/*
 * --net: the tap queues a net device works on, whichever backend serves
 * it, and the choices the command line leaves to the VMM (queue pairs,
 * MAC address, offloads).
 *
 * The VMM opens one queue of tap NAME per queue pair on /dev/net/tun with
 * IFF_TAP | IFF_NO_PI | IFF_VNET_HDR (and IFF_MULTI_QUEUE for more than
 * one), which attaches to an existing tap of that name or creates one,
 * sets a vnet header size of 12 (struct virtio_net_hdr_v1, num_buffers
 * included, as VERSION_1 has it) and little-endian headers, and turns the
 * tap's offloads off: the device turns on those the guest accepts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include "vmm.h"

#define TUN_PATH	"/dev/net/tun"
#define VNET_HDR_LEN	12

/**
 * vmm_net_pairs() - the queue pairs of a --net device
 * @vmm: the VM (its vCPU count)
 * @spec: the device
 *
 * Return: queues=, else one pair per vCPU, at most VMM_NET_PAIRS_MAX.
 */
unsigned int vmm_net_pairs(const struct vmm *vmm,
			   const struct vmm_dev_spec *spec)
{
	if (spec->queues)
		return spec->queues;
	return vmm->ncpus < VMM_NET_PAIRS_MAX ? vmm->ncpus : VMM_NET_PAIRS_MAX;
}

/**
 * vmm_net_mac() - the MAC address a --net device offers
 * @spec: the device
 * @mac: mac=, else a locally administered unicast address hashed from
 *	the tap's name (FNV-1a), the same on every run
 */
void vmm_net_mac(const struct vmm_dev_spec *spec, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *p;
	unsigned int i;

	if (spec->mac_set) {
		memcpy(mac, spec->mac, 6);
		return;
	}
	for (p = spec->tap; *p; p++) {
		h ^= (uint8_t)*p;
		h *= 0x100000001b3ULL;
	}
	for (i = 0; i < 6; i++)
		mac[i] = h >> (8 * i);
	mac[0] = (mac[0] & ~0x01) | 0x02;	/* unicast, local */
}

/**
 * vmm_net_features_off() - VIRTIO_NET_F_* bits a --net device must not offer
 * @spec: the device
 *
 * Return: the checksum, TSO and ECN offloads with offloads=off, else 0.
 */
uint64_t vmm_net_features_off(const struct vmm_dev_spec *spec)
{
	if (!spec->offloads_off)
		return 0;
	return 1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM |
	       1ULL << VIRTIO_NET_F_HOST_TSO4 | 1ULL << VIRTIO_NET_F_HOST_TSO6 |
	       1ULL << VIRTIO_NET_F_HOST_ECN | 1ULL << VIRTIO_NET_F_GUEST_TSO4 |
	       1ULL << VIRTIO_NET_F_GUEST_TSO6 | 1ULL << VIRTIO_NET_F_GUEST_ECN;
}

/* Why TUNSETIFF refused, in the user's terms. */
static const char *tunsetiff_hint(int err, unsigned int n)
{
	switch (err) {
	case EPERM:
		return " (creating a tap, or using another user's, needs CAP_NET_ADMIN)";
	case EINVAL:
		return n > 1 ?
		       " (an existing tap without multi_queue, or not a tap?)" :
		       " (an existing multi_queue tap needs queues=2 or more, or it is not a tap?)";
	case EBUSY:
		return " (all its queues are attached, or another owner's flags)";
	default:
		return "";
	}
}

/**
 * vmm_tap_open() - open @n queues of tap @name
 * @name: the tap; a valid interface name (checked by the command line)
 * @n: queues, 1..VMM_NET_PAIRS_MAX
 * @fds: out: @n fds (O_CLOEXEC, blocking)
 *
 * Prints one line naming the tap and the step that failed.
 *
 * Return: 0 or a negative errno (nothing left open).
 */
int vmm_tap_open(const char *name, unsigned int n, int *fds)
{
	unsigned int i;
	int hdr = VNET_HDR_LEN, le = 1, ret;
	const char *step;

	for (i = 0; i < n; i++)
		fds[i] = -1;
	for (i = 0; i < n; i++) {
		struct ifreq ifr;

		step = "open " TUN_PATH;
		fds[i] = open(TUN_PATH, O_RDWR | O_CLOEXEC);
		if (fds[i] < 0)
			goto fail;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
		if (n > 1)
			ifr.ifr_flags |= IFF_MULTI_QUEUE;
		step = "TUNSETIFF";
		if (ioctl(fds[i], TUNSETIFF, &ifr))
			goto fail;
		step = "TUNSETVNETHDRSZ 12";
		if (ioctl(fds[i], TUNSETVNETHDRSZ, &hdr))
			goto fail;
		/* A no-op on a little-endian host; absent on old kernels. */
		if (ioctl(fds[i], TUNSETVNETLE, &le) && errno != EINVAL &&
		    errno != ENOTTY) {
			step = "TUNSETVNETLE";
			goto fail;
		}
	}
	/* Offloads belong to the tap, not a queue: once is enough. */
	i = 0;
	step = "TUNSETOFFLOAD 0";
	if (ioctl(fds[0], TUNSETOFFLOAD, 0))
		goto fail;
	return 0;
fail:
	ret = -errno;
	fprintf(stderr, "vmm: --net: tap '%s' queue %u: %s: %s%s\n", name, i,
		step, strerror(-ret),
		!strcmp(step, "TUNSETIFF") ? tunsetiff_hint(-ret, n) : "");
	vmm_tap_close(fds, n);
	return ret;
}

/**
 * vmm_tap_close() - close the fds vmm_tap_open() gave
 * @fds: @n fds, -1 for none
 * @n: how many
 */
void vmm_tap_close(int *fds, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}
