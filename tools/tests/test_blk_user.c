// SPDX-License-Identifier: GPL-2.0-only
/*
 * Userspace test of the virtio-blk device over the file-descriptor backend:
 * the same devices/blk.c as the kernel, blk_user.c with I/O threads on a
 * temporary file, the flat guest memory double as guest RAM.
 *
 * Prints TAP; exit status 0 when every check passed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "../backend/blk_user.h"
#include "devices/blk.h"
#include "kvirtio_dev_harness.h"
#include "tap.h"

#define DISK_SECTORS	2048
#define NREQ		48

#define CHECK(cond)	tap_check(cond)
#define CHECK_EQ(a, b)	tap_check_eq(a, b)

static void *translate(void *opaque, u64 gpa, u64 len)
{
	return kvirtio_test_mem_ptr(opaque, gpa, len);
}

static u64 put_hdr(struct kvt_dev *h, u32 type, u64 sector)
{
	u64 gpa = kvt_alloc(h, 16);
	__le32 t = cpu_to_le32(type);
	__le64 s = cpu_to_le64(sector);

	kvirtio_test_poke(&h->tm, gpa, &t, 4);
	kvirtio_test_poke(&h->tm, gpa + 8, &s, 8);
	return gpa;
}

/* Process until @want used elements were published (I/O threads run). */
static bool run_until(struct kvt_dev *h, u16 want)
{
	int i;

	for (i = 0; i < 5000; i++) {
		if (kvt_process(h, 0, 1024, 1ULL << 30) < 0)
			return false;
		if (kvirtio_test_used_idx(&h->rings[0]) == want)
			return true;
		usleep(1000);
	}
	return false;
}

static u16 post3(struct kvt_dev *h, u64 hdr, u64 data, u32 len, bool wr,
		 u64 status)
{
	struct kvirtio_test_buf b[3] = {
		{ hdr, 16, false },
		{ data, len, wr },
		{ status, 1, true },
	};

	return kvt_post(h, 0, b, 3);
}

static void one_pass(bool mapped, unsigned int threads)
{
	struct kvirtio_blk_user_opts uo = { .threads = threads };
	struct kvirtio_blk_opts bo = { .queue_size = 256, .flush = true };
	u64 features = BIT_ULL(VIRTIO_F_VERSION_1) |
		       BIT_ULL(VIRTIO_BLK_F_FLUSH) |
		       BIT_ULL(VIRTIO_BLK_F_WRITE_ZEROES) |
		       BIT_ULL(VIRTIO_BLK_F_DISCARD);
	char path[] = "/tmp/kvirtio-blk-user-XXXXXX";
	struct kvirtio_blk_backend *be;
	struct kvirtio_device *vdev;
	struct kvt_dev h = { 0 };
	u64 wdata[NREQ], rdata[NREQ], st[NREQ];
	u16 heads[NREQ];
	u8 buf[4096];
	u16 used = 0;
	int fd, i, acked = 0;

	fd = mkstemp(path);
	CHECK(fd >= 0);
	unlink(path);
	CHECK(!ftruncate(fd, DISK_SECTORS * 512));
	uo.fd = fd;
	if (mapped) {
		uo.translate = translate;
		uo.translate_opaque = &h.tm;
	}
	CHECK(!kvirtio_blk_user_create(&uo, &be));
	CHECK(!kvirtio_blk_create(&bo, be, &vdev));
	CHECK(!kvt_dev_attach(&h, vdev, features, 256));

	/* NREQ writes of 2 KiB each, a distinct pattern per request. */
	for (i = 0; i < NREQ; i++) {
		wdata[i] = kvt_alloc(&h, 2048);
		memset(kvirtio_test_mem_ptr(&h.tm, wdata[i], 2048), i + 1, 2048);
		st[i] = kvt_alloc(&h, 1);
		post3(&h, put_hdr(&h, VIRTIO_BLK_T_OUT, 4 * i), wdata[i], 2048,
		      false, st[i]);
	}
	used += NREQ;
	CHECK(run_until(&h, used));
	for (i = 0; i < NREQ; i++) {
		CHECK(pread(fd, buf, 2048, 2048 * i) == 2048);
		CHECK(buf[0] == i + 1 && buf[2047] == i + 1);
		CHECK(*(u8 *)kvirtio_test_mem_ptr(&h.tm, st[i], 1) == 0);
	}

	/* Read them back into fresh buffers. */
	for (i = 0; i < NREQ; i++) {
		rdata[i] = kvt_alloc(&h, 2048);
		post3(&h, put_hdr(&h, VIRTIO_BLK_T_IN, 4 * i), rdata[i], 2048,
		      true, st[i]);
	}
	used += NREQ;
	CHECK(run_until(&h, used));
	for (i = 0; i < NREQ; i++)
		CHECK(!memcmp(kvirtio_test_mem_ptr(&h.tm, rdata[i], 2048),
			      kvirtio_test_mem_ptr(&h.tm, wdata[i], 2048), 2048));

	/* Flush, then write zeroes over request 0's range. */
	{
		struct kvirtio_test_buf b[2] = {
			{ put_hdr(&h, VIRTIO_BLK_T_FLUSH, 0), 16, false },
			{ st[0], 1, true },
		};
		u64 seg = kvt_alloc(&h, 16);
		__le64 s = cpu_to_le64(0);
		__le32 n = cpu_to_le32(4);

		kvt_post(&h, 0, b, 2);
		kvirtio_test_poke(&h.tm, seg, &s, 8);
		kvirtio_test_poke(&h.tm, seg + 8, &n, 4);
		post3(&h, put_hdr(&h, VIRTIO_BLK_T_WRITE_ZEROES, 0), seg, 16,
		      false, st[1]);
		used += 2;
		CHECK(run_until(&h, used));
		CHECK(*(u8 *)kvirtio_test_mem_ptr(&h.tm, st[0], 1) == 0);
		CHECK(*(u8 *)kvirtio_test_mem_ptr(&h.tm, st[1], 1) == 0);
		CHECK(pread(fd, buf, 2048, 0) == 2048);
		CHECK(buf[0] == 0 && buf[2047] == 0);
		CHECK(pread(fd, buf, 1, 2048) == 1 && buf[0] == 2);
	}

	/*
	 * Reset with writes in flight: after reset returns nothing is
	 * pending, and every acknowledged write is in the file.
	 */
	for (i = 0; i < NREQ; i++) {
		memset(kvirtio_test_mem_ptr(&h.tm, wdata[i], 2048), 0x80 + i,
		       2048);
		heads[i] = post3(&h, put_hdr(&h, VIRTIO_BLK_T_OUT, 4 * i),
				 wdata[i], 2048, false, st[i]);
	}
	kvt_process(&h, 0, 1024, 1ULL << 30);
	vdev->ops->reset(vdev);
	{
		struct kvirtio_test_ring *r = &h.rings[0];
		u32 id, len;

		while (kvirtio_test_used_get(r, &id, &len)) {
			if (r->last_used <= used)
				continue;
			/* An acknowledged write of the last batch. */
			for (i = 0; i < NREQ && heads[i] != id; i++)
				;
			CHECK(i < NREQ);
			CHECK(pread(fd, buf, 1, 2048 * i) == 1);
			CHECK(buf[0] == 0x80 + i);
			acked++;
		}
		printf("# reset: %d of %d writes acknowledged before it\n",
		       acked, NREQ);
	}
	kvt_dev_detach(&h);
	kvirtio_blk_destroy(vdev);
	kvirtio_blk_user_destroy(be);
	close(fd);
}

/*
 * In a child: a disk of DISK_SECTORS, RLIMIT_FSIZE at half of it, one
 * write past the limit (pwritev on mapped guest RAM, or pwrite through a
 * bounce buffer).  Exits with the request's status byte, unless SIGXFSZ
 * (left at its default unless @ignore) kills it first.
 */
static void __attribute__((noreturn)) fsize_child(bool ignore, bool mapped)
{
	/* Half of the disk, in bytes. */
	struct rlimit fsize = { DISK_SECTORS * 256, DISK_SECTORS * 256 };
	struct rlimit core = { 0, 0 };
	struct kvirtio_blk_user_opts uo = { 0 };
	struct kvirtio_blk_opts bo = { .queue_size = 256 };
	u64 features = BIT_ULL(VIRTIO_F_VERSION_1);
	char path[] = "/tmp/kvirtio-blk-fsize-XXXXXX";
	struct kvirtio_blk_backend *be;
	struct kvirtio_device *vdev;
	struct kvt_dev h = { 0 };
	struct sigaction sa = { .sa_handler = ignore ? SIG_IGN : SIG_DFL };
	u64 data, st;
	int fd;

	fd = mkstemp(path);
	if (fd < 0 || unlink(path) || ftruncate(fd, DISK_SECTORS * 512))
		_exit(100);
	uo.fd = fd;
	if (mapped) {
		uo.translate = translate;
		uo.translate_opaque = &h.tm;
	}
	if (kvirtio_blk_user_create(&uo, &be) ||
	    kvirtio_blk_create(&bo, be, &vdev) ||
	    kvt_dev_attach(&h, vdev, features, 256))
		_exit(101);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGXFSZ, &sa, NULL) || setrlimit(RLIMIT_CORE, &core) ||
	    setrlimit(RLIMIT_FSIZE, &fsize))
		_exit(102);

	data = kvt_alloc(&h, 512);
	st = kvt_alloc(&h, 1);
	*(u8 *)kvirtio_test_mem_ptr(&h.tm, st, 1) = 0xff;
	post3(&h, put_hdr(&h, VIRTIO_BLK_T_OUT, DISK_SECTORS * 3 / 4), data,
	      512, false, st);
	if (!run_until(&h, 1))
		_exit(103);
	_exit(*(u8 *)kvirtio_test_mem_ptr(&h.tm, st, 1));
}

static int run_fsize_child(bool ignore, bool mapped)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		fsize_child(ignore, mapped);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/*
 * A write past the process's RLIMIT_FSIZE fails with EFBIG, which the
 * device returns as VIRTIO_BLK_S_IOERR, provided the process ignores
 * SIGXFSZ as the reference VMM does; at its default, SIGXFSZ kills it.
 */
static void fsize_limit(void)
{
	int status, mapped;

	for (mapped = 0; mapped < 2; mapped++) {
		status = run_fsize_child(true, mapped);
		CHECK(status >= 0 && WIFEXITED(status));
		CHECK_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			 VIRTIO_BLK_S_IOERR);
	}
	status = run_fsize_child(false, true);
	CHECK(status >= 0 && WIFSIGNALED(status));
	CHECK_EQ(WIFSIGNALED(status) ? WTERMSIG(status) : -1, SIGXFSZ);
}

int main(void)
{
	one_pass(true, 0);
	tap_test_end("blk_user: mapped guest RAM, inline I/O");
	one_pass(true, 4);
	tap_test_end("blk_user: mapped guest RAM, 4 I/O threads");
	one_pass(false, 2);
	tap_test_end("blk_user: bounce through guest memory ops, 2 threads");
	fsize_limit();
	tap_test_end("blk_user: past RLIMIT_FSIZE: IOERR, SIGXFSZ ignored, else killed");
	return tap_exit();
}
