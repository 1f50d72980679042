// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvlat: queue-depth-1 latency of a virtio-blk disk, measured in the guest.
 *
 *   kvlat [-n N] [-w N] [-b BYTES] [-s SEED] [-S BYTES] [-r] MODE PATH
 *
 * MODE read|write: N random, bs-aligned O_DIRECT preads/pwrites of bs
 * bytes on PATH (a block device), one at a time.  MODE getid: N preads at
 * offset 0 of PATH, which must be a virtio-blk "serial" sysfs attribute:
 * every read makes the driver send a VIRTIO_BLK_T_GET_ID request that the
 * device answers without its backend (the notify-to-interrupt floor).
 * Any read that does not fail counts: an empty serial is a valid answer.
 *
 * After -w warm-up requests (not counted) it prints
 *   KVLAT OK mode=M bs=B n=N mean_ns= p50_ns= p90_ns= p99_ns= p999_ns=
 *            min_ns= max_ns= iops=
 *   KVLAT CDF mode=M v0 v1 ... v100      latency (ns) at each percentile
 * and with -r every sample as "KVLAT RAW ns".  On an error it prints
 * "KVLAT FAIL reason" and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#define MAX_SAMPLES	(1u << 24)

enum mode { M_READ, M_WRITE, M_GETID };

static const char *const mode_names[] = { "read", "write", "getid" };

static void __attribute__((format(printf, 1, 2), noreturn))
fail(const char *fmt, ...)
{
	va_list ap;

	printf("KVLAT FAIL ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: kvlat [-n N] [-w N] [-b BYTES] [-s SEED] [-S BYTES] [-r] read|write|getid PATH\n"
		"  -n N      measured requests (default 10000)\n"
		"  -w N      warm-up requests, not measured (default 200)\n"
		"  -b BYTES  request size for read/write (default 4096)\n"
		"  -s SEED   offset sequence seed (default 1)\n"
		"  -S BYTES  span of the random offsets (default: the whole device)\n"
		"  -r        also print every sample\n");
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: a cheap, reproducible offset sequence. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static unsigned long long num(const char *s, unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > max)
		usage();
	return v;
}

/* Nearest-rank percentile of the sorted samples, p in thousandths. */
static uint64_t pct(const uint64_t *v, size_t n, unsigned int p)
{
	size_t r = (n * p + 999) / 1000;

	return v[r ? r - 1 : 0];
}

static void one(enum mode m, int fd, void *buf, size_t bs, uint64_t blocks,
		uint64_t *seed)
{
	uint64_t off = (rnd(seed) % blocks) * bs;
	ssize_t r;

	switch (m) {
	case M_READ:
		r = pread(fd, buf, bs, (off_t)off);
		break;
	case M_WRITE:
		r = pwrite(fd, buf, bs, (off_t)off);
		break;
	default:
		/*
		 * The answer is the device's serial, possibly empty (an
		 * all-zero id); the round trip happened either way.  The
		 * VMM's request counters confirm one request per read.
		 */
		r = pread(fd, buf, bs, 0);
		if (r >= 0)
			return;
		break;
	}
	if (r != (ssize_t)bs)
		fail("%s at %" PRIu64 ": %s", mode_names[m], off,
		     r < 0 ? strerror(errno) : "short transfer");
}

int main(int argc, char **argv)
{
	unsigned long long n = 10000, warm = 200, bs = 4096, seed = 1, span = 0;
	uint64_t *lat, blocks = 1, s, t0, t1, sum = 0;
	int raw = 0, c, fd, flags;
	enum mode m;
	void *buf;
	size_t i;

	while ((c = getopt(argc, argv, "n:w:b:s:S:r")) != -1) {
		switch (c) {
		case 'n':
			n = num(optarg, MAX_SAMPLES);
			break;
		case 'w':
			warm = num(optarg, MAX_SAMPLES);
			break;
		case 'b':
			bs = num(optarg, 1u << 20);
			break;
		case 's':
			seed = num(optarg, ~0ull);
			break;
		case 'S':
			span = num(optarg, ~0ull);
			break;
		case 'r':
			raw = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2 || n == 0 || bs == 0)
		usage();
	if (!strcmp(argv[optind], "read"))
		m = M_READ;
	else if (!strcmp(argv[optind], "write"))
		m = M_WRITE;
	else if (!strcmp(argv[optind], "getid"))
		m = M_GETID;
	else
		usage();

	flags = m == M_READ ? O_RDONLY | O_DIRECT :
		m == M_WRITE ? O_WRONLY | O_DIRECT : O_RDONLY;
	fd = open(argv[optind + 1], flags);
	if (fd < 0)
		fail("open %s: %s", argv[optind + 1], strerror(errno));
	if (m != M_GETID) {
		uint64_t size = 0;
		struct stat st;

		if (bs % 512)
			fail("bs %llu is not a multiple of 512", bs);
		if (fstat(fd, &st))
			fail("stat: %s", strerror(errno));
		/* A regular file works too (testing the tool on the host). */
		if (S_ISREG(st.st_mode))
			size = (uint64_t)st.st_size;
		else if (ioctl(fd, BLKGETSIZE64, &size))
			fail("BLKGETSIZE64: %s", strerror(errno));
		if (span && span < size)
			size = span;
		blocks = size / bs;
		if (!blocks)
			fail("device smaller than one request");
	}
	if (posix_memalign(&buf, 4096, bs))
		fail("out of memory");
	/* Written data: a seed-dependent, non-zero pattern. */
	for (i = 0; i < bs; i++)
		((unsigned char *)buf)[i] = (unsigned char)(i * 7 + seed);
	lat = calloc(n, sizeof(*lat));
	if (!lat)
		fail("out of memory for %llu samples", n);

	s = seed * 0x9e3779b97f4a7c15ull | 1;
	for (i = 0; i < warm; i++)
		one(m, fd, buf, bs, blocks, &s);

	t0 = now_ns();
	for (i = 0; i < n; i++) {
		uint64_t a = now_ns();

		one(m, fd, buf, bs, blocks, &s);
		lat[i] = now_ns() - a;
	}
	t1 = now_ns();

	if (raw)
		for (i = 0; i < n; i++)
			printf("KVLAT RAW %" PRIu64 "\n", lat[i]);
	for (i = 0; i < n; i++)
		sum += lat[i];
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("KVLAT OK mode=%s bs=%llu n=%llu mean_ns=%" PRIu64 " p50_ns=%" PRIu64
	       " p90_ns=%" PRIu64 " p99_ns=%" PRIu64 " p999_ns=%" PRIu64
	       " min_ns=%" PRIu64 " max_ns=%" PRIu64 " iops=%.0f\n",
	       mode_names[m], m == M_GETID ? 0 : bs, n, (uint64_t)(sum / n),
	       pct(lat, n, 500), pct(lat, n, 900), pct(lat, n, 990),
	       pct(lat, n, 999), lat[0], lat[n - 1],
	       t1 > t0 ? (double)n * 1e9 / (double)(t1 - t0) : 0.0);
	printf("KVLAT CDF mode=%s", mode_names[m]);
	for (i = 0; i <= 100; i++)
		printf(" %" PRIu64, pct(lat, n, (unsigned int)i * 10));
	printf("\n");
	free(lat);
	free(buf);
	close(fd);
	return 0;
}
