// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio virtio-rng entropy source for userspace hosts.
 */
#include <sys/random.h>

#include "../../drivers/kvirtio/devices/rng.h"

/**
 * kvirtio_rng_fill_user() - fill @buf with getrandom(2)
 * @opaque: unused
 * @buf: destination
 * @len: bytes (at most 256 per call from the device)
 *
 * getrandom() blocks only until the kernel's CRNG is initialised; an
 * interrupted call is retried.  Any other failure (ENOSYS on an ancient
 * kernel) aborts the VMM: handing the guest predictable bytes as entropy
 * would be worse.
 */
void kvirtio_rng_fill_user(void *opaque, void *buf, u32 len)
{
	u8 *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("kvirtio rng: getrandom");
			abort();
		}
		p += n;
		len -= n;
	}
}
