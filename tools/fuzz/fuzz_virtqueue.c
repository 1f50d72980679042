// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the fuzzer plays a hostile guest against the
 * virtqueue engine.
 *
 * Input: a 16-byte header (queue size, ring features, chain caps, ring
 * placement, RAM hole, race mode), then an op stream.  Ops make the guest
 * write descriptors, indirect tables, avail entries, raw bytes or bogus
 * indices, and make the device pop, push, flush, decide interrupts,
 * switch kicks off and on, walk chains with the cursors, and tear the
 * queue down and set it up again.  Optionally a hook rewrites ring memory
 * while the engine walks a chain (a guest racing on another CPU).
 *
 * After every op the engine's invariants are checked; a failure aborts
 * (libFuzzer reports a crash):
 *  - a popped chain is inside its caps, readable before writable, its
 *    lengths add up, every buffer lies in guest RAM (no hole, no wrap);
 *  - pop errors are only the documented ones; a violation leaves the
 *    queue BROKEN with that error, and a broken queue never pops again;
 *  - inflight <= size; the used index only moves forward by pushes and
 *    what flush publishes is what the guest sees;
 *  - at most one error per enable; ring maps never leak.
 * Also built without libFuzzer (tools/tests/corpus_replay.c).
 */
#include <sys/mman.h>

#include "compat.h"
#include "virtqueue.h"
#include "kvirtio_test_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_BASE		0x40000ULL
#define FZ_RAM		0x10000ULL		/* 64 KiB of guest RAM */
#define FZ_MAX_DESCS	64

#define fz_assert(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_virtqueue: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

struct fz {
	const u8 *p;
	size_t left;
	struct kvirtio_test_mem tm;
	struct kvirtio_test_ring r;
	struct kvirtio_queue vq;
	struct kvirtio_queue_config cfg;
	struct kvirtio_chain chain;
	struct kvirtio_desc descs[FZ_MAX_DESCS];
	bool set_up;		/* setup succeeded since the last teardown */
	bool have_chain;	/* chain holds the last popped chain */
	u16 heads[KVIRTIO_QUEUE_SIZE_MAX];	/* popped, not pushed (FIFO) */
	u32 nheads;
	u32 head_start;
	u16 expect_used;	/* pushes since setup */
	/* race hook */
	u8 race_bytes[8];
	u32 race_budget;
	u32 race_pos;
};

static u8 fz_u8(struct fz *z)
{
	if (!z->left)
		return 0;
	z->left--;
	return *z->p++;
}

/*
 * Every fz_*() call is a statement of its own or the only one in its
 * expression: C leaves the order of operands unspecified, and gcc and
 * clang must decode an input the same way for the corpus to replay.
 */
static u16 fz_u16(struct fz *z)
{
	u16 lo = fz_u8(z);

	return lo | (u16)fz_u8(z) << 8;
}

static u32 fz_u32(struct fz *z)
{
	u32 lo = fz_u16(z);

	return lo | (u32)fz_u16(z) << 16;
}

/* An address: mostly inside RAM, sometimes anywhere. */
static u64 fz_addr(struct fz *z)
{
	u8 mode = fz_u8(z);
	u16 off = fz_u16(z);
	u64 hi;

	switch (mode & 7) {
	case 0:
		return FZ_BASE - 16 + off;	/* around RAM start */
	case 1:
		return FZ_BASE + FZ_RAM - 0x100 + (off & 0x1ff);
	case 2:
		return 0xffffffffffffffffULL - (off & 0xff);
	case 3:
		hi = fz_u32(z);
		return hi << 32 | fz_u32(z);
	default:
		return FZ_BASE + off % FZ_RAM;
	}
}

static u32 fz_len(struct fz *z)
{
	u8 mode = fz_u8(z);

	switch (mode & 3) {
	case 0:
		return fz_u8(z);
	case 1:
		return fz_u16(z);
	case 2:
		return fz_u32(z);
	default:
		return 16 * (fz_u8(z) & 0x3f);	/* indirect-sized */
	}
}

/*
 * The racing guest: on the next accesses the engine makes, scribble over
 * the ring and table memory with the input's bytes.
 */
static void fz_race_hook(struct kvirtio_test_mem *tm,
			 enum kvirtio_test_mem_access kind, u64 gpa, u64 len,
			 bool ok)
{
	struct fz *z = tm->hook_priv;
	u64 target;
	u8 b;

	if (!z->race_budget)
		return;
	z->race_budget--;
	b = z->race_bytes[z->race_pos++ % sizeof(z->race_bytes)];
	/* Hit the descriptor table, the avail ring or the accessed range. */
	switch (b & 3) {
	case 0:
		target = z->r.desc + (b >> 2) * 4;
		break;
	case 1:
		target = z->r.avail + (b >> 2);
		break;
	default:
		target = gpa + (len ? (b >> 2) % len : 0);
		break;
	}
	if (kvirtio_test_mem_ptr(tm, target, 4))
		memset(kvirtio_test_mem_ptr(tm, target, 4), b * 37, 4);
}

static void fz_check_chain(struct fz *z)
{
	const struct kvirtio_chain *c = &z->chain;
	u64 rlen = 0, wlen = 0;
	u16 i, cap;

	cap = min_t(u16, c->capacity, z->vq.max_chain);
	fz_assert(c->head < z->vq.ring.size);
	fz_assert(c->num >= 1 && c->num <= cap);
	fz_assert(c->num_readable <= c->num);
	for (i = 0; i < c->num; i++) {
		const struct kvirtio_desc *d = &c->descs[i];

		fz_assert(d->writable == (i >= c->num_readable));
		/* Inside RAM, no hole, no wrap (zero length: a RAM byte). */
		fz_assert(kvirtio_test_mem_is_ram(&z->tm, d->addr, d->len));
		if (d->writable)
			wlen += d->len;
		else
			rlen += d->len;
	}
	fz_assert(rlen == c->readable_len);
	fz_assert(wlen == c->writable_len);
	fz_assert(rlen + wlen <= U32_MAX);
}

static bool fz_is_violation(int ret)
{
	switch (ret) {
	case -ERANGE:
	case -ENOSPC:
	case -ELOOP:
	case -E2BIG:
	case -EINVAL:
	case -EPROTO:
	case -EOVERFLOW:
	case -EFAULT:
		return true;
	default:
		return false;
	}
}

static void fz_pop(struct fz *z)
{
	bool was_ready = kvirtio_queue_ready(&z->vq);
	u64 errors = z->vq.stats.errors;
	u32 inflight = z->vq.inflight;
	int ret;

	z->chain.descs = z->descs;
	z->chain.capacity = 1 + fz_u8(z) % FZ_MAX_DESCS;
	ret = kvirtio_queue_pop(&z->vq, &z->chain);
	z->have_chain = false;
	if (!was_ready) {
		/* A broken or disabled queue never pops. */
		fz_assert(ret == -EIO);
		fz_assert(z->vq.stats.errors == errors);
		return;
	}
	if (ret == 0) {
		fz_check_chain(z);
		fz_assert(z->vq.inflight == inflight + 1);
		fz_assert(z->nheads < z->vq.ring.size);
		z->heads[(z->head_start + z->nheads++) % KVIRTIO_QUEUE_SIZE_MAX] =
			z->chain.head;
		z->have_chain = true;
	} else if (ret == -EAGAIN) {
		fz_assert(kvirtio_queue_ready(&z->vq));
	} else {
		fz_assert(fz_is_violation(ret));
		fz_assert(kvirtio_queue_broken(&z->vq));
		fz_assert(z->vq.error == ret);
		fz_assert(z->vq.error_msg);
		fz_assert(z->vq.stats.errors == errors + 1);
		fz_assert(kvirtio_queue_pop(&z->vq, &z->chain) == -EIO);
	}
}

static void fz_push(struct fz *z, bool oldest)
{
	u32 len = fz_len(z);
	u16 head;
	int ret;

	if (!z->nheads) {
		ret = kvirtio_queue_push(&z->vq, fz_u16(z), len);
		fz_assert(ret == -EINVAL || ret == -EIO);
		return;
	}
	if (oldest) {
		head = z->heads[z->head_start % KVIRTIO_QUEUE_SIZE_MAX];
		z->head_start++;
	} else {
		head = z->heads[(z->head_start + z->nheads - 1) %
				KVIRTIO_QUEUE_SIZE_MAX];
	}
	z->nheads--;
	ret = kvirtio_queue_push(&z->vq, head, len);
	if (kvirtio_queue_ready(&z->vq)) {
		fz_assert(ret == 0);
		z->expect_used++;
	} else {
		fz_assert(ret == -EIO);
	}
}

static void fz_flush(struct fz *z)
{
	u16 before = z->vq.published_used_idx;

	kvirtio_queue_flush(&z->vq);
	if (!kvirtio_queue_ready(&z->vq)) {
		fz_assert(z->vq.published_used_idx == before);
		return;
	}
	/* Monotonic: publishes exactly the pushes so far. */
	fz_assert(z->vq.published_used_idx == z->expect_used);
	if (z->vq.published_used_idx != before)
		fz_assert(kvirtio_test_used_idx(&z->r) ==
			  z->vq.published_used_idx);
}

/* Walk the last chain with the cursors in odd pieces. */
static void fz_iterate(struct fz *z)
{
	struct kvirtio_chain_iter it;
	u8 buf[64];
	u32 step, left;

	if (!z->have_chain)
		return;
	step = 1 + fz_u8(z) % sizeof(buf);
	kvirtio_chain_iter_readable(&it, &z->chain);
	fz_assert(kvirtio_chain_iter_remaining(&it) == z->chain.readable_len);
	/* Bounded: at most 64 pieces per op. */
	for (left = 64; left && kvirtio_chain_iter_remaining(&it); left--) {
		u32 n = min_t(u32, step, kvirtio_chain_iter_remaining(&it));

		fz_assert(kvirtio_chain_read(&it, &z->tm.mem, buf, n) == 0);
	}
	if (!kvirtio_chain_iter_remaining(&it))
		fz_assert(kvirtio_chain_read(&it, &z->tm.mem, buf, 1) ==
			  -EMSGSIZE);
	/* Skip is bounded the same way and never moves past the end. */
	kvirtio_chain_iter_readable(&it, &z->chain);
	left = kvirtio_chain_iter_remaining(&it);
	if (kvirtio_chain_skip(&it, step) == 0)
		fz_assert(kvirtio_chain_iter_remaining(&it) == left - step);
	else
		fz_assert(left < step &&
			  kvirtio_chain_iter_remaining(&it) == left);
	kvirtio_chain_iter_writable(&it, &z->chain);
	fz_assert(kvirtio_chain_iter_remaining(&it) == z->chain.writable_len);
	memset(buf, 0xa5, sizeof(buf));
	for (left = 64; left && kvirtio_chain_iter_remaining(&it); left--) {
		u32 n = min_t(u32, step, kvirtio_chain_iter_remaining(&it));

		fz_assert(kvirtio_chain_write(&it, &z->tm.mem, buf, n) == 0);
	}
}

static void fz_setup(struct fz *z, u8 lg, u8 features, u16 max_chain,
		     u8 place)
{
	u16 qsize = 1 << (lg % 16);
	u64 desc, avail, used;
	int ret, check;

	if (lg & 0x80)
		qsize = lg & 0x7f;	/* possibly not a power of two */
	desc = FZ_BASE;
	avail = desc + 16ULL * qsize;
	used = ALIGN(avail + 6 + 2ULL * qsize, 4);
	if (place & 1)
		desc += (place >> 1) & 0xf;	/* maybe misaligned */
	if ((place & 0xe0) == 0x20)
		used = FZ_BASE + FZ_RAM - 8;	/* maybe outside RAM */
	kvirtio_test_ring_init(&z->r, &z->tm, qsize, desc, avail, used);
	kvirtio_test_ring_config(&z->r, &z->cfg,
				 (features & 1 ? BIT_ULL(VIRTIO_RING_F_EVENT_IDX) : 0) |
				 (features & 2 ? BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) : 0),
				 max_chain);
	ret = kvirtio_queue_setup(&z->vq, &z->tm.mem, &z->cfg);
	fz_assert(ret == 0 || ret == -EINVAL || ret == -EFAULT);
	check = kvirtio_queue_check_config(&z->cfg, &z->tm.mem);
	fz_assert(ret == check ||
		  (z->tm.map_fail_at && !check && ret == -EFAULT));
	if (ret)
		fz_assert(z->vq.state == KVIRTIO_QUEUE_DISABLED);
	z->set_up = !ret;
	fz_assert(z->tm.live_maps == (ret ? 0 : 3));
	fz_assert(kvirtio_queue_ready(&z->vq) == !ret);
	z->nheads = 0;
	z->head_start = 0;
	z->expect_used = 0;
	z->have_chain = false;
}

static void fz_teardown(struct fz *z)
{
	kvirtio_queue_teardown(&z->vq);
	fz_assert(z->tm.live_maps == 0);
	fz_assert(z->tm.bad_unmaps == 0);
	fz_assert(z->vq.state == KVIRTIO_QUEUE_DISABLED);
	z->set_up = false;
}

static void fz_op(struct fz *z, u8 op)
{
	u16 i;

	switch (op % 18) {
	case 0:
	case 1:
	case 2:
		fz_pop(z);
		break;
	case 3:
		fz_push(z, true);
		break;
	case 4:
		fz_push(z, false);
		break;
	case 5:
		fz_flush(z);
		break;
	case 6:
		kvirtio_queue_should_notify(&z->vq);
		break;
	case 7:
		kvirtio_queue_disable_notify(&z->vq);
		break;
	case 8:
		kvirtio_queue_enable_notify(&z->vq);
		break;
	case 9:
		kvirtio_queue_has_avail(&z->vq);
		break;
	case 10: {	/* guest writes a ring descriptor */
		u16 idx = fz_u16(z);
		u64 addr = fz_addr(z);
		u32 len = fz_len(z);
		u8 flags = fz_u8(z);

		kvirtio_test_write_desc(&z->tm, z->r.desc,
					idx % (z->r.size ? z->r.size : 1), addr,
					len, flags & 7, fz_u16(z) % 0x110);
		break;
	}
	case 11: {	/* guest writes an indirect table entry */
		u64 table = FZ_BASE + 0x8000 + 0x400 * (fz_u8(z) & 7);
		u64 addr = fz_addr(z);
		u32 len = fz_len(z);
		u8 flags = fz_u8(z);
		u8 entry = fz_u8(z) & 63;

		kvirtio_test_write_desc(&z->tm, table, entry, addr, len,
					flags & 7, fz_u8(z) & 63);
		break;
	}
	case 12:	/* guest makes a head available */
		if (z->r.size) {
			kvirtio_test_avail_add(&z->r, fz_u16(z) % 0x110);
			kvirtio_test_avail_publish(&z->r);
		}
		break;
	case 13:	/* guest stores a raw avail.idx */
		kvirtio_test_avail_set_idx(&z->r, fz_u16(z));
		break;
	case 14: {	/* guest scribbles raw bytes */
		u64 gpa = FZ_BASE + fz_u16(z) % FZ_RAM;
		u8 n = fz_u8(z) & 15, b[16];

		for (i = 0; i < n; i++)
			b[i] = fz_u8(z);
		if (kvirtio_test_mem_ptr(&z->tm, gpa, n))
			kvirtio_test_poke(&z->tm, gpa, b, n);
		break;
	}
	case 15:
		fz_iterate(z);
		break;
	case 16: {	/* arm the racing guest */
		for (i = 0; i < sizeof(z->race_bytes); i++)
			z->race_bytes[i] = fz_u8(z);
		z->race_budget = fz_u8(z) & 15;
		break;
	}
	case 17: {	/* reset: teardown and set up again */
		u8 lg = fz_u8(z), features = fz_u8(z);
		u16 max_chain = fz_u8(z);

		u8 place = fz_u8(z);

		fz_teardown(z);
		/* Sometimes one of the three ring maps fails. */
		z->tm.map_calls = 0;
		z->tm.map_fail_at = (place & 0xc0) == 0xc0 ? 1 + lg % 3 : 0;
		fz_setup(z, lg, features, max_chain, place);
		z->tm.map_fail_at = 0;
		break;
	}
	}

	/* Invariants after every op. */
	fz_assert(z->vq.inflight <= z->vq.ring.size);
	fz_assert(z->vq.stats.errors <= 1);
	fz_assert(z->tm.bad_unmaps == 0);
	if (z->set_up)
		fz_assert(z->tm.live_maps == 3);
	if (kvirtio_queue_broken(&z->vq))
		fz_assert(z->vq.error < 0);
	fz_assert(z->nheads == z->vq.inflight || !kvirtio_queue_ready(&z->vq));
}

/*
 * Guest RAM with inaccessible guard regions on both sides, each larger
 * than the farthest a bad ring index could reach (16 * 65535 bytes past
 * the descriptor table): an out-of-bounds ring access faults at once
 * instead of reading some other mapped memory that ASan does not watch.
 */
#define FZ_GUARD	(2ULL << 20)

static u8 *fz_guarded_ram(void)
{
	u8 *p = mmap(NULL, FZ_GUARD + FZ_RAM + FZ_GUARD, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + FZ_GUARD, FZ_RAM, PROT_READ | PROT_WRITE))
		return NULL;
	return p + FZ_GUARD;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz z;	/* large: keep it off the stack */
	u8 lg, features, place, hole;
	u16 max_chain;
	u32 ops;

	/* One RAM buffer for the whole run: a fresh one costs page faults. */
	static struct kvirtio_test_mem ram;

	if (!ram.buf) {
		u8 *guarded = fz_guarded_ram();

		if (!guarded || kvirtio_test_mem_init(&ram, FZ_BASE, FZ_RAM))
			abort();
		kvfree(ram.buf);
		ram.buf = guarded;
	}
	memset(&z, 0, sizeof(z));
	z.p = data;
	z.left = size;
	z.tm = ram;
	memset(z.tm.buf, 0, FZ_RAM);
	z.tm.hook = fz_race_hook;
	z.tm.hook_priv = &z;

	lg = fz_u8(&z);
	features = fz_u8(&z);
	max_chain = fz_u8(&z);
	place = fz_u8(&z);
	hole = fz_u8(&z);
	if (hole & 1)
		kvirtio_test_mem_add_hole(&z.tm, FZ_BASE + 0x1000ULL * (hole >> 4),
					  0x100ULL * ((hole >> 1) & 7) + 1);
	fz_setup(&z, lg % 10 | (lg & 0x80), features, max_chain, place);

	for (ops = 0; z.left && ops < 4096; ops++)
		fz_op(&z, fz_u8(&z));

	fz_teardown(&z);
	return 0;
}
