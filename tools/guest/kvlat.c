// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvlat: latency and IOPS of a virtio-blk disk, measured in the guest.
 *
 *   kvlat [-n N] [-w N] [-b BYTES] [-s SEED] [-S BYTES] [-q DEPTH]
 *         [-p SECS] [-l LABEL] [-r] MODE PATH
 *
 * MODE read|write: N random, bs-aligned O_DIRECT preads/pwrites of bs
 * bytes on PATH (a block device).  With -q DEPTH (default 1), DEPTH
 * threads each keep one request in flight, so the device sees DEPTH
 * requests at once; their samples are pooled.  MODE getid: N preads at
 * offset 0 of PATH, which must be a virtio-blk "serial" sysfs attribute:
 * every read makes the driver send a VIRTIO_BLK_T_GET_ID request that the
 * device answers without its backend (the notify-to-interrupt floor).
 * Any read that does not fail counts: an empty serial is a valid answer.
 *
 * With -p SECS it prints "KVLAT BEGIN mode=M" and sleeps SECS before the
 * measured requests, and "KVLAT END mode=M" and sleeps SECS after them, so
 * that a watcher outside the guest (scripts/bench/l1-init) can read its
 * counters around exactly the measured requests.
 *
 * After -w warm-up requests (not counted) it prints
 *   KVLAT OK mode=M bs=B qd=Q n=N mean_ns= p50_ns= p90_ns= p99_ns=
 *            p999_ns= min_ns= max_ns= iops=
 *   KVLAT CDF mode=M v0 v1 ... v100      latency (ns) at each percentile
 * where M is read, write or getid at depth 1, read-qdQ or write-qdQ
 * deeper, or the LABEL given with -l.
 * and with -r every sample as "KVLAT RAW ns".  On an error it prints
 * "KVLAT FAIL reason" and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
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
#define MAX_DEPTH	256

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
		"usage: kvlat [-n N] [-w N] [-b BYTES] [-s SEED] [-S BYTES] [-q DEPTH] [-p SECS]\n"
		"             [-l LABEL] [-r]\n"
		"             read|write|getid PATH\n"
		"  -n N      measured requests (default 10000)\n"
		"  -w N      warm-up requests, not measured (default 200)\n"
		"  -b BYTES  request size for read/write (default 4096)\n"
		"  -s SEED   offset sequence seed (default 1)\n"
		"  -S BYTES  span of the random offsets (default: the whole device)\n"
		"  -q DEPTH  requests in flight, one thread each (default 1; read/write)\n"
		"  -p SECS   print KVLAT BEGIN/END around the measured requests and\n"
		"            pause SECS after BEGIN and after END (default 0: no marks)\n"
		"  -l LABEL  the mode's name in the output (default: MODE[-qdDEPTH])\n"
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

/* One thread of requests: its own buffer, offsets and share of samples. */
struct stream {
	pthread_t thread;
	enum mode mode;
	int fd;
	void *buf;
	size_t bs;
	uint64_t blocks, seed, warm, n;
	uint64_t *lat;
	pthread_barrier_t *ready, *go;
};

static void *stream_run(void *arg)
{
	struct stream *st = arg;
	uint64_t i, s = st->seed;

	for (i = 0; i < st->warm; i++)
		one(st->mode, st->fd, st->buf, st->bs, st->blocks, &s);
	pthread_barrier_wait(st->ready);
	pthread_barrier_wait(st->go);
	for (i = 0; i < st->n; i++) {
		uint64_t a = now_ns();

		one(st->mode, st->fd, st->buf, st->bs, st->blocks, &s);
		st->lat[i] = now_ns() - a;
	}
	return NULL;
}

/* Tell a watcher outside the guest, then give it time to read counters. */
static void mark(const char *what, const char *mode, unsigned int secs)
{
	if (!secs)
		return;
	printf("KVLAT %s mode=%s\n", what, mode);
	fflush(stdout);
	sleep(secs);
}

int main(int argc, char **argv)
{
	unsigned long long n = 10000, warm = 200, bs = 4096, seed = 1, span = 0;
	unsigned long long depth = 1, pause_s = 0;
	uint64_t *lat, blocks = 1, t0, t1, sum = 0, done = 0;
	pthread_barrier_t ready, go;
	int raw = 0, c, fd, flags, err;
	struct stream *st;
	const char *label = NULL;
	char name[64];
	enum mode m;
	size_t i, j;

	while ((c = getopt(argc, argv, "n:w:b:s:S:q:p:l:r")) != -1) {
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
		case 'q':
			depth = num(optarg, MAX_DEPTH);
			break;
		case 'p':
			pause_s = num(optarg, 60);
			break;
		case 'l':
			if (!*optarg || strlen(optarg) >= sizeof(name) ||
			    strpbrk(optarg, " \t\n"))
				usage();
			label = optarg;
			break;
		case 'r':
			raw = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2 || n == 0 || bs == 0 || depth == 0 || depth > n)
		usage();
	if (!strcmp(argv[optind], "read"))
		m = M_READ;
	else if (!strcmp(argv[optind], "write"))
		m = M_WRITE;
	else if (!strcmp(argv[optind], "getid"))
		m = M_GETID;
	else
		usage();
	if (m == M_GETID && depth != 1)
		fail("getid runs at depth 1 only");
	if (label)
		snprintf(name, sizeof(name), "%s", label);
	else if (depth == 1)
		snprintf(name, sizeof(name), "%s", mode_names[m]);
	else
		snprintf(name, sizeof(name), "%s-qd%llu", mode_names[m], depth);

	flags = m == M_READ ? O_RDONLY | O_DIRECT :
		m == M_WRITE ? O_WRONLY | O_DIRECT : O_RDONLY;
	fd = open(argv[optind + 1], flags);
	if (fd < 0)
		fail("open %s: %s", argv[optind + 1], strerror(errno));
	if (m != M_GETID) {
		uint64_t size = 0;
		struct stat sb;

		if (bs % 512)
			fail("bs %llu is not a multiple of 512", bs);
		if (fstat(fd, &sb))
			fail("stat: %s", strerror(errno));
		/* A regular file works too (testing the tool on the host). */
		if (S_ISREG(sb.st_mode))
			size = (uint64_t)sb.st_size;
		else if (ioctl(fd, BLKGETSIZE64, &size))
			fail("BLKGETSIZE64: %s", strerror(errno));
		if (span && span < size)
			size = span;
		blocks = size / bs;
		if (!blocks)
			fail("device smaller than one request");
	}
	lat = calloc(n, sizeof(*lat));
	st = calloc(depth, sizeof(*st));
	if (!lat || !st)
		fail("out of memory for %llu samples", n);
	if (pthread_barrier_init(&ready, NULL, depth + 1) ||
	    pthread_barrier_init(&go, NULL, depth + 1))
		fail("pthread_barrier_init");
	for (i = 0; i < depth; i++) {
		struct stream *t = &st[i];

		t->mode = m;
		t->fd = fd;
		t->bs = bs;
		t->blocks = blocks;
		/* Distinct, reproducible offsets per stream. */
		t->seed = (seed + i) * 0x9e3779b97f4a7c15ull | 1;
		t->warm = (warm + i) / depth;
		t->n = (n + i) / depth;
		t->lat = lat + done;
		done += t->n;
		t->ready = &ready;
		t->go = &go;
		if (posix_memalign(&t->buf, 4096, bs))
			fail("out of memory");
		/* Written data: a seed-dependent, non-zero pattern. */
		for (j = 0; j < bs; j++)
			((unsigned char *)t->buf)[j] = (unsigned char)(j * 7 + seed);
		err = pthread_create(&t->thread, NULL, stream_run, t);
		if (err)
			fail("pthread_create: %s", strerror(err));
	}

	pthread_barrier_wait(&ready);
	mark("BEGIN", name, (unsigned int)pause_s);
	t0 = now_ns();
	pthread_barrier_wait(&go);
	for (i = 0; i < depth; i++)
		pthread_join(st[i].thread, NULL);
	t1 = now_ns();
	mark("END", name, (unsigned int)pause_s);

	if (raw)
		for (i = 0; i < n; i++)
			printf("KVLAT RAW %" PRIu64 "\n", lat[i]);
	for (i = 0; i < n; i++)
		sum += lat[i];
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("KVLAT OK mode=%s bs=%llu qd=%llu n=%llu mean_ns=%" PRIu64
	       " p50_ns=%" PRIu64 " p90_ns=%" PRIu64 " p99_ns=%" PRIu64
	       " p999_ns=%" PRIu64 " min_ns=%" PRIu64 " max_ns=%" PRIu64
	       " iops=%.0f\n",
	       name, m == M_GETID ? 0 : bs, depth, n, (uint64_t)(sum / n),
	       pct(lat, n, 500), pct(lat, n, 900), pct(lat, n, 990),
	       pct(lat, n, 999), lat[0], lat[n - 1],
	       t1 > t0 ? (double)n * 1e9 / (double)(t1 - t0) : 0.0);
	printf("KVLAT CDF mode=%s", name);
	for (i = 0; i <= 100; i++)
		printf(" %" PRIu64, pct(lat, n, (unsigned int)i * 10));
	printf("\n");
	for (i = 0; i < depth; i++)
		free(st[i].buf);
	free(st);
	free(lat);
	close(fd);
	return 0;
}
