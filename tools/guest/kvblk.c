// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvblk - block and rng exerciser for the kvirtio end-to-end tests.
 *
 * Runs statically linked inside the L2 guest (and in L1, where it produces
 * the expected image of a backing file).  Every byte it writes comes from a
 * seeded, position-keyed generator, so any range can be written, verified or
 * regenerated independently: the 8-byte word at byte offset o (o % 8 == 0)
 * of a pattern with seed s is mix(s, o / 8).
 *
 * Output lines are meant for scripts: "KVBLK OK <cmd> ..." on success,
 * "KVBLK FAIL <cmd>: reason" and exit status 1 on failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ALIGN 4096

static const char *cmd = "?";

__attribute__((format(printf, 1, 2), noreturn))
static void fail(const char *fmt, ...);
static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("KVBLK FAIL %s: ", cmd);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

/* splitmix64 finaliser: a bijection, so distinct words never collide. */
static uint64_t mix(uint64_t seed, uint64_t idx)
{
	uint64_t z = seed * 0x9e3779b97f4a7c15ULL + idx + 0x632be59bd9b4e019ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Fill buf (len multiple of 8) with the pattern as found at offset off. */
static void pattern(uint64_t seed, uint64_t off, void *buf, size_t len)
{
	uint64_t *w = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = mix(seed, off / 8 + i);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		fail("bad number '%s'", s);
	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		end++;
		break;
	}
	if (*end)
		fail("bad number '%s'", s);
	return v;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *xalloc(size_t len)
{
	void *p;

	if (posix_memalign(&p, ALIGN, len ? len : ALIGN))
		fail("out of memory (%zu bytes)", len);
	return p;
}

static void pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	while (len) {
		n = pwrite(fd, buf, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail("pwrite at %" PRIu64 ": %s", off,
			     n < 0 ? strerror(errno) : "short write");
		buf = (const char *)buf + n;
		len -= n;
		off += n;
	}
}

static void pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	while (len) {
		n = pread(fd, buf, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail("pread at %" PRIu64 ": %s", off,
			     n < 0 ? strerror(errno) : "end of device");
		buf = (char *)buf + n;
		len -= n;
		off += n;
	}
}

struct opts {
	const char *path;
	uint64_t seed, off, len, bs, count;
	int direct, sync, create;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: kvblk CMD PATH [options]\n"
		"  gen      PATH  write the pattern to a regular file (created)\n"
		"  write    PATH  write the pattern to [off, off+len)\n"
		"  verify   PATH  check [off, off+len) holds the pattern\n"
		"  zero     PATH  check [off, off+len) reads as zeroes\n"
		"  discard  PATH  BLKDISCARD [off, off+len)\n"
		"  zeroout  PATH  BLKZEROOUT [off, off+len)\n"
		"  readro   PATH  check the device reports read-only and refuses writes\n"
		"  lat      PATH  QD1 O_DIRECT reads of bs bytes, count times: latency\n"
		"  rng      PATH  read len bytes from an rng device and sanity check them\n"
		"  cfgstorm PATH  count PCI config writes to a sysfs config file: latency\n"
		"  sysread  PATH  count reads of a sysfs attribute: all the same\n"
		"options: -s SEED -o OFF -l LEN -b BS -n COUNT -d (O_DIRECT) -S (fsync)\n");
	exit(2);
}

static int open_dev(struct opts *o, int flags)
{
	int fd;

	if (o->direct)
		flags |= O_DIRECT;
	if (o->create)
		flags |= O_CREAT;
	fd = open(o->path, flags, 0644);
	if (fd < 0)
		fail("open %s: %s", o->path, strerror(errno));
	return fd;
}

static uint64_t dev_size(int fd)
{
	struct stat st;
	uint64_t sz;

	if (fstat(fd, &st))
		fail("fstat: %s", strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &sz))
			fail("BLKGETSIZE64: %s", strerror(errno));
		return sz;
	}
	return st.st_size;
}

static void do_write(struct opts *o)
{
	int fd = open_dev(o, O_WRONLY);
	void *buf = xalloc(o->bs);
	uint64_t done, n, t0 = now_ns();

	for (done = 0; done < o->len; done += n) {
		n = o->len - done < o->bs ? o->len - done : o->bs;
		pattern(o->seed, o->off + done, buf, n);
		pwrite_all(fd, buf, n, o->off + done);
	}
	if (o->sync && fsync(fd))
		fail("fsync: %s", strerror(errno));
	if (close(fd))
		fail("close: %s", strerror(errno));
	printf("KVBLK OK %s seed=%" PRIu64 " off=%" PRIu64 " len=%" PRIu64
	       " direct=%d sync=%d ms=%" PRIu64 "\n", cmd, o->seed, o->off,
	       o->len, o->direct, o->sync, (now_ns() - t0) / 1000000);
	free(buf);
}

/* zero != 0: expect zeroes instead of the pattern. */
static void do_verify(struct opts *o, int zero)
{
	int fd = open_dev(o, O_RDONLY);
	void *buf = xalloc(o->bs), *want = xalloc(o->bs);
	uint64_t done, n, i;

	if (zero)
		memset(want, 0, o->bs);
	for (done = 0; done < o->len; done += n) {
		n = o->len - done < o->bs ? o->len - done : o->bs;
		pread_all(fd, buf, n, o->off + done);
		if (!zero)
			pattern(o->seed, o->off + done, want, n);
		if (memcmp(buf, want, n)) {
			for (i = 0; i < n; i++)
				if (((char *)buf)[i] != ((char *)want)[i])
					break;
			fail("mismatch at byte %" PRIu64 " (got 0x%02x want 0x%02x)",
			     o->off + done + i, ((unsigned char *)buf)[i],
			     ((unsigned char *)want)[i]);
		}
	}
	close(fd);
	printf("KVBLK OK %s seed=%" PRIu64 " off=%" PRIu64 " len=%" PRIu64
	       " direct=%d\n", cmd, o->seed, o->off, o->len, o->direct);
	free(buf);
	free(want);
}

static void do_range_ioctl(struct opts *o, unsigned long req, const char *nm)
{
	int fd = open_dev(o, O_WRONLY);
	uint64_t range[2] = { o->off, o->len };
	uint64_t t0 = now_ns();

	if (ioctl(fd, req, range))
		fail("%s [%" PRIu64 ", +%" PRIu64 "): %s", nm, o->off, o->len,
		     strerror(errno));
	if (fsync(fd))
		fail("fsync: %s", strerror(errno));
	close(fd);
	printf("KVBLK OK %s off=%" PRIu64 " len=%" PRIu64 " ms=%" PRIu64 "\n",
	       cmd, o->off, o->len, (now_ns() - t0) / 1000000);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Config writes while the device works: rewrite the PCI command register
 * (same value) through the sysfs config file @path, count times, 10 ms
 * apart.  Each write exits to the VMM, which forwards it to the device's
 * config path; report how long the slowest one took.
 */
static void do_cfgstorm(struct opts *o)
{
	uint64_t *us = calloc(o->count, sizeof(*us));
	uint16_t cmdreg;
	uint64_t i, t;
	int fd;

	if (!us)
		fail("out of memory");
	fd = open(o->path, O_RDWR);
	if (fd < 0)
		fail("open %s: %s", o->path, strerror(errno));
	if (pread(fd, &cmdreg, 2, 4) != 2)
		fail("reading the command register: %s", strerror(errno));
	for (i = 0; i < o->count; i++) {
		t = now_ns();
		if (pwrite(fd, &cmdreg, 2, 4) != 2)
			fail("config write %" PRIu64 ": %s", i, strerror(errno));
		us[i] = (now_ns() - t) / 1000;
		usleep(10000);
	}
	close(fd);
	qsort(us, o->count, sizeof(*us), cmp_u64);
	printf("KVBLK OK cfgstorm n=%" PRIu64 " p50_us=%" PRIu64
	       " max_us=%" PRIu64 "\n", o->count, us[o->count / 2],
	       us[o->count - 1]);
	free(us);
}

static void do_readro(struct opts *o)
{
	int fd, ro = 0;
	char *buf = xalloc(ALIGN);

	fd = open(o->path, O_RDONLY);
	if (fd < 0)
		fail("open %s: %s", o->path, strerror(errno));
	if (ioctl(fd, BLKROGET, &ro))
		fail("BLKROGET: %s", strerror(errno));
	if (!ro)
		fail("device does not report read-only");
	pread_all(fd, buf, ALIGN, 0);
	close(fd);
	/* The block layer refuses a writable open of a read-only disk. */
	fd = open(o->path, O_WRONLY);
	if (fd >= 0) {
		memset(buf, 0xa5, ALIGN);
		if (pwrite(fd, buf, ALIGN, 0) == ALIGN && fsync(fd) == 0)
			fail("write to read-only device succeeded");
		close(fd);
	}
	printf("KVBLK OK %s ro=%d\n", cmd, ro);
	free(buf);
}

/*
 * Reads that exit to the VMM: a sysfs attribute whose show() reads a
 * device register (virtio's "status" reads device_status from BAR 0),
 * read count times; every read must return the first value.
 */
static void do_sysread(struct opts *o)
{
	char first[64], buf[64];
	ssize_t n0, n;
	uint64_t i;
	int fd;

	fd = open(o->path, O_RDONLY);
	if (fd < 0)
		fail("open %s: %s", o->path, strerror(errno));
	n0 = pread(fd, first, sizeof(first), 0);
	if (n0 <= 0)
		fail("read %s: %s", o->path, n0 < 0 ? strerror(errno) : "empty");
	for (i = 0; i < o->count; i++) {
		n = pread(fd, buf, sizeof(buf), 0);
		if (n != n0 || memcmp(buf, first, n))
			fail("read %" PRIu64 " differs from the first", i);
	}
	close(fd);
	printf("KVBLK OK sysread n=%" PRIu64 " value=%.*s\n", o->count,
	       (int)strcspn(first, "\n"), first);
}

static void do_lat(struct opts *o)
{
	int fd;
	void *buf = xalloc(o->bs);
	uint64_t *ns, size, slots, i, t, off, sum = 0, rnd = o->seed | 1;

	o->direct = 1;
	fd = open_dev(o, O_RDONLY);
	size = dev_size(fd);
	if (o->bs == 0 || o->bs % 512 || size < o->bs)
		fail("bad block size %" PRIu64 " for %" PRIu64 " byte device",
		     o->bs, size);
	if (o->count == 0)
		fail("count must be > 0");
	ns = calloc(o->count, sizeof(*ns));
	if (!ns)
		fail("out of memory");
	slots = size / o->bs;
	/* Warm up: first requests pay for page faults and cold caches. */
	for (i = 0; i < 100; i++)
		pread_all(fd, buf, o->bs, (i % slots) * o->bs);
	for (i = 0; i < o->count; i++) {
		rnd = mix(rnd, i);
		off = (rnd % slots) * o->bs;
		t = now_ns();
		pread_all(fd, buf, o->bs, off);
		ns[i] = now_ns() - t;
		sum += ns[i];
	}
	close(fd);
	qsort(ns, o->count, sizeof(*ns), cmp_u64);
	printf("KVBLK OK %s bs=%" PRIu64 " n=%" PRIu64 " mean_ns=%" PRIu64
	       " p50_ns=%" PRIu64 " p90_ns=%" PRIu64 " p99_ns=%" PRIu64
	       " min_ns=%" PRIu64 " max_ns=%" PRIu64 "\n", cmd, o->bs,
	       o->count, sum / o->count, ns[o->count / 2],
	       ns[o->count * 9 / 10], ns[o->count * 99 / 100], ns[0],
	       ns[o->count - 1]);
	free(ns);
	free(buf);
}

static void do_rng(struct opts *o)
{
	int fd = open(o->path, O_RDONLY);
	unsigned char *buf;
	unsigned int seen[256] = { 0 }, distinct = 0, i;
	uint64_t n;
	ssize_t r;

	if (fd < 0)
		fail("open %s: %s", o->path, strerror(errno));
	if (o->len < 1024 || o->len > (64 << 20))
		fail("length must be within [1 KiB, 64 MiB]");
	buf = xalloc(o->len);
	for (n = 0; n < o->len; n += r) {
		r = read(fd, buf + n, o->len - n);
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0)
			fail("read %s after %" PRIu64 " bytes: %s", o->path, n,
			     r < 0 ? strerror(errno) : "EOF");
	}
	close(fd);
	for (n = 0; n < o->len; n++)
		seen[buf[n]]++;
	for (i = 0; i < 256; i++)
		distinct += !!seen[i];
	/* 1 KiB of real randomness shows ~250 distinct byte values. */
	if (distinct < 200)
		fail("only %u distinct byte values in %" PRIu64 " bytes",
		     distinct, o->len);
	printf("KVBLK OK %s bytes=%" PRIu64 " distinct=%u first=%02x%02x%02x%02x\n",
	       cmd, o->len, distinct, buf[0], buf[1], buf[2], buf[3]);
	free(buf);
}

int main(int argc, char **argv)
{
	struct opts o = { .bs = 1 << 20, .count = 10000 };
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		usage();
	cmd = argv[1];
	o.path = argv[2];
	optind = 3;
	while ((c = getopt(argc, argv, "s:o:l:b:n:dS")) != -1) {
		switch (c) {
		case 's':
			o.seed = parse_size(optarg);
			break;
		case 'o':
			o.off = parse_size(optarg);
			break;
		case 'l':
			o.len = parse_size(optarg);
			break;
		case 'b':
			o.bs = parse_size(optarg);
			break;
		case 'n':
			o.count = parse_size(optarg);
			break;
		case 'd':
			o.direct = 1;
			break;
		case 'S':
			o.sync = 1;
			break;
		default:
			usage();
		}
	}
	if (o.bs == 0 || o.bs % 8 || o.off % 8 || o.len % 8)
		fail("bs, off and len must be multiples of 8 (bs > 0)");
	if (o.direct && (o.bs % 512 || o.off % 512 || o.len % 512))
		fail("O_DIRECT needs 512-byte aligned bs, off and len");
	if (o.off + o.len < o.off)
		fail("range overflows");

	if (!strcmp(cmd, "gen")) {
		o.create = 1;
		do_write(&o);
	} else if (!strcmp(cmd, "write")) {
		do_write(&o);
	} else if (!strcmp(cmd, "verify")) {
		do_verify(&o, 0);
	} else if (!strcmp(cmd, "zero")) {
		do_verify(&o, 1);
	} else if (!strcmp(cmd, "discard")) {
		do_range_ioctl(&o, BLKDISCARD, "BLKDISCARD");
	} else if (!strcmp(cmd, "zeroout")) {
		do_range_ioctl(&o, BLKZEROOUT, "BLKZEROOUT");
	} else if (!strcmp(cmd, "readro")) {
		do_readro(&o);
	} else if (!strcmp(cmd, "lat")) {
		if (o.bs == 1 << 20)
			o.bs = 4096;
		do_lat(&o);
	} else if (!strcmp(cmd, "rng")) {
		do_rng(&o);
	} else if (!strcmp(cmd, "sysread")) {
		do_sysread(&o);
	} else if (!strcmp(cmd, "cfgstorm")) {
		if (!o.count)
			fail("cfgstorm needs -n COUNT");
		do_cfgstorm(&o);
	} else {
		usage();
	}
	return 0;
}
