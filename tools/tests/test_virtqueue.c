// SPDX-License-Identifier: GPL-2.0-only
/*
 * Userspace tests of the virtqueue engine (the same virtqueue.c as the
 * module, built on kvirtio_user_compat.h).  A compact set of scenarios;
 * the exhaustive per-rule suite is kunit/virtqueue_test.c.  TAP output.
 */
#include "compat.h"
#include "virtqueue.h"
#include "kvirtio_test_mem.h"
#include "tap.h"

#define BASE	0x100000ULL
#define RAM	0x40000ULL
#define DATA	(BASE + 0x20000)
#define TABLE	(BASE + 0x30000)
#define HOLE	(BASE + 0x38000)

#define F_EVENT_IDX	BIT_ULL(VIRTIO_RING_F_EVENT_IDX)
#define F_INDIRECT	BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC)

struct env {
	struct kvirtio_test_mem tm;
	struct kvirtio_test_ring r;
	struct kvirtio_queue vq;
	struct kvirtio_queue_config cfg;
	struct kvirtio_chain chain;
	struct kvirtio_desc descs[64];
};

static struct env e;

static void env_up(u16 size, u64 features)
{
	memset(&e, 0, sizeof(e));
	tap_check(kvirtio_test_mem_init(&e.tm, BASE, RAM) == 0);
	kvirtio_test_mem_add_hole(&e.tm, HOLE, 0x1000);
	kvirtio_test_ring_place(&e.r, &e.tm, size, BASE);
	kvirtio_test_ring_config(&e.r, &e.cfg, features, 0);
	tap_check_eq(kvirtio_queue_setup(&e.vq, &e.tm.mem, &e.cfg), 0);
	e.chain.descs = e.descs;
	e.chain.capacity = ARRAY_SIZE(e.descs);
}

static void env_down(void)
{
	kvirtio_queue_teardown(&e.vq);
	tap_check_eq(e.tm.live_maps, 0);
	tap_check_eq(e.tm.bad_unmaps, 0);
	kvirtio_test_mem_destroy(&e.tm);
}

static void offer(u16 head)
{
	kvirtio_test_avail_add(&e.r, head);
	kvirtio_test_avail_publish(&e.r);
}

static int pop(void)
{
	return kvirtio_queue_pop(&e.vq, &e.chain);
}

static void expect_violation(int err)
{
	tap_check_eq(pop(), err);
	tap_check(kvirtio_queue_broken(&e.vq));
	tap_check_eq(e.vq.error, err);
	tap_check_eq(e.vq.stats.errors, 1);
	tap_check_eq(pop(), -EIO);
}

static void t_round_trip(void)
{
	struct kvirtio_test_buf bufs[2] = {
		{ DATA, 16, false }, { DATA + 0x100, 32, true },
	};
	u32 id, len;

	env_up(8, 0);
	tap_check_eq(pop(), -EAGAIN);
	kvirtio_test_add_chain(&e.r, 2, bufs, 2);
	offer(2);
	tap_check(kvirtio_queue_has_avail(&e.vq));
	tap_check_eq(pop(), 0);
	tap_check_eq(e.chain.head, 2);
	tap_check_eq(e.chain.num, 2);
	tap_check_eq(e.chain.num_readable, 1);
	tap_check_eq(e.chain.readable_len, 16);
	tap_check_eq(e.chain.writable_len, 32);
	/* Device bugs: bad head, then nothing in flight; no guest write. */
	tap_check_eq(kvirtio_queue_push(&e.vq, 8, 32), -EINVAL);
	tap_check_eq(kvirtio_queue_push(&e.vq, 2, 32), 0);
	tap_check_eq(kvirtio_queue_push(&e.vq, 2, 32), -EINVAL);
	tap_check_eq(e.vq.used_idx, 1);
	tap_check(kvirtio_queue_ready(&e.vq));
	tap_check_eq(kvirtio_test_used_idx(&e.r), 0);
	kvirtio_queue_flush(&e.vq);
	tap_check(kvirtio_test_used_get(&e.r, &id, &len));
	tap_check_eq(id, 2);
	tap_check_eq(len, 32);
	tap_check(kvirtio_queue_should_notify(&e.vq));
	env_down();
	tap_test_end("pop, push, flush, notify round trip");
}

static void t_config_rules(void)
{
	memset(&e, 0, sizeof(e));
	tap_check(kvirtio_test_mem_init(&e.tm, BASE, RAM) == 0);
	kvirtio_test_mem_add_hole(&e.tm, HOLE, 0x1000);
	kvirtio_test_ring_place(&e.r, &e.tm, 16, BASE);
	kvirtio_test_ring_config(&e.r, &e.cfg, 0, 0);
	tap_check_eq(kvirtio_queue_check_config(&e.cfg, &e.tm.mem), 0);
	e.cfg.size = 12;
	tap_check_eq(kvirtio_queue_check_config(&e.cfg, &e.tm.mem), -EINVAL);
	e.cfg.size = 0;
	tap_check_eq(kvirtio_queue_check_config(&e.cfg, &e.tm.mem), -EINVAL);
	e.cfg.size = 16;
	e.cfg.desc += 8;
	tap_check_eq(kvirtio_queue_check_config(&e.cfg, &e.tm.mem), -EINVAL);
	e.cfg.desc = HOLE - 16;
	tap_check_eq(kvirtio_queue_check_config(&e.cfg, &e.tm.mem), -EFAULT);
	e.cfg.desc = 0xfffffffffffffff0ULL;
	tap_check_eq(kvirtio_queue_setup(&e.vq, &e.tm.mem, &e.cfg), -EFAULT);
	tap_check_eq(e.tm.map_calls, 0);
	kvirtio_test_ring_config(&e.r, &e.cfg, 0, 0);
	e.tm.map_fail_at = 3;
	tap_check_eq(kvirtio_queue_setup(&e.vq, &e.tm.mem, &e.cfg), -EFAULT);
	tap_check_eq(e.tm.live_maps, 0);
	env_down();
	tap_test_end("queue config: size, alignment, RAM, map unwinding");
}

static void t_index_rules(void)
{
	env_up(8, 0);
	kvirtio_test_avail_set_idx(&e.r, 9);
	expect_violation(-ERANGE);
	env_down();

	env_up(8, 0);
	offer(8);
	expect_violation(-ERANGE);
	env_down();

	env_up(8, 0);
	kvirtio_test_set_desc(&e.r, 0, DATA, 4, VRING_DESC_F_NEXT, 8);
	offer(0);
	expect_violation(-ERANGE);
	env_down();
	tap_test_end("avail.idx ahead, head and next out of range");
}

static void t_loop_and_caps(void)
{
	env_up(8, 0);
	kvirtio_test_set_desc(&e.r, 0, DATA, 4, VRING_DESC_F_NEXT, 1);
	kvirtio_test_set_desc(&e.r, 1, DATA, 4, VRING_DESC_F_NEXT, 0);
	offer(0);
	expect_violation(-ELOOP);
	env_down();

	env_up(8, 0);
	e.chain.capacity = 1;
	kvirtio_test_set_desc(&e.r, 0, DATA, 4, VRING_DESC_F_NEXT, 1);
	kvirtio_test_set_desc(&e.r, 1, DATA, 4, 0, 0);
	offer(0);
	expect_violation(-E2BIG);
	env_down();

	env_up(2, 0);
	kvirtio_test_set_desc(&e.r, 0, DATA, 4, 0, 0);
	kvirtio_test_set_desc(&e.r, 1, DATA, 4, 0, 0);
	offer(0);
	offer(1);
	tap_check_eq(pop(), 0);
	tap_check_eq(pop(), 0);
	offer(0);
	expect_violation(-ENOSPC);
	env_down();
	tap_test_end("loop, chain cap, in-flight cap");
}

static void t_buffers(void)
{
	env_up(8, 0);
	kvirtio_test_set_desc(&e.r, 0, DATA, 4, VRING_DESC_F_WRITE |
			      VRING_DESC_F_NEXT, 1);
	kvirtio_test_set_desc(&e.r, 1, DATA, 4, 0, 0);
	offer(0);
	expect_violation(-EPROTO);
	env_down();

	env_up(8, 0);
	kvirtio_test_set_desc(&e.r, 0, HOLE + 0x800, 4, 0, 0);
	offer(0);
	expect_violation(-EFAULT);
	env_down();

	env_up(8, 0);
	kvirtio_test_set_desc(&e.r, 0, 0xfffffffffffffffcULL, 8, 0, 0);
	offer(0);
	kvirtio_test_mem_reset_counters(&e.tm);
	expect_violation(-EFAULT);
	/* Refused by the engine's own wrap check, not only by range_ok. */
	tap_check(e.vq.error_msg && strstr(e.vq.error_msg, "wraps"));
	tap_check_eq(e.tm.range_ok_calls, 0);
	env_down();

	env_up(8, 0);
	kvirtio_test_set_desc(&e.r, 0, DATA, 0, 0, 0);	/* zero length */
	offer(0);
	tap_check_eq(pop(), 0);
	tap_check_eq(e.chain.descs[0].len, 0);
	env_down();
	tap_test_end("direction order, holes, wrap, zero length");
}

static void t_indirect(void)
{
	struct kvirtio_test_buf tbl[3] = {
		{ DATA, 5, false }, { DATA + 16, 6, true },
		{ DATA + 32, 7, true },
	};

	env_up(8, F_INDIRECT);
	kvirtio_test_write_table(&e.tm, TABLE, tbl, 3);
	kvirtio_test_set_desc(&e.r, 4, TABLE, 48,
			      VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE, 0);
	offer(4);
	tap_check_eq(pop(), 0);
	tap_check_eq(e.chain.num, 3);
	tap_check_eq(e.chain.readable_len, 5);
	tap_check_eq(e.chain.writable_len, 13);
	tap_check_eq(e.tm.read_calls, 3);
	kvirtio_test_write_desc(&e.tm, TABLE, 1, TABLE, 16,
				VRING_DESC_F_INDIRECT, 0);
	offer(4);
	expect_violation(-EINVAL);
	env_down();

	env_up(8, 0);
	kvirtio_test_write_table(&e.tm, TABLE, tbl, 3);
	kvirtio_test_set_desc(&e.r, 4, TABLE, 48, VRING_DESC_F_INDIRECT, 0);
	offer(4);
	expect_violation(-EINVAL);
	env_down();

	env_up(8, F_INDIRECT);
	kvirtio_test_set_desc(&e.r, 4, TABLE, 40, VRING_DESC_F_INDIRECT, 0);
	offer(4);
	expect_violation(-EINVAL);
	env_down();

	/* Entry 0 of a 2-entry table links to entry 2 (which is valid RAM). */
	env_up(8, F_INDIRECT);
	kvirtio_test_write_table(&e.tm, TABLE, tbl, 3);
	kvirtio_test_write_desc(&e.tm, TABLE, 0, DATA, 5, VRING_DESC_F_NEXT, 2);
	kvirtio_test_set_desc(&e.r, 4, TABLE, 32, VRING_DESC_F_INDIRECT, 0);
	offer(4);
	expect_violation(-ERANGE);
	env_down();

	/* 0 -> 1 -> 0: a loop, caught before entry 0 is fetched again. */
	env_up(8, F_INDIRECT);
	kvirtio_test_write_desc(&e.tm, TABLE, 0, DATA, 5, VRING_DESC_F_NEXT, 1);
	kvirtio_test_write_desc(&e.tm, TABLE, 1, DATA, 5, VRING_DESC_F_NEXT, 0);
	kvirtio_test_set_desc(&e.r, 4, TABLE, 32, VRING_DESC_F_INDIRECT, 0);
	offer(4);
	expect_violation(-ELOOP);
	tap_check_eq(e.tm.read_calls, 2);
	env_down();

	/* A table straddling the hole. */
	env_up(8, F_INDIRECT);
	kvirtio_test_set_desc(&e.r, 4, HOLE - 16, 48, VRING_DESC_F_INDIRECT, 0);
	offer(4);
	expect_violation(-EFAULT);
	tap_check_eq(e.tm.read_calls, 0);
	env_down();
	tap_test_end("indirect tables: happy, nested, not negotiated, bad len, next, RAM");
}

/* Trash every ring descriptor naming the buffer the engine just checked. */
static void trash_after_check(struct kvirtio_test_mem *tm,
			      enum kvirtio_test_mem_access kind, u64 gpa,
			      u64 len, bool ok)
{
	struct kvirtio_vring_desc d;
	u16 i;

	if (kind != KVIRTIO_TEST_MEM_RANGE_OK)
		return;
	for (i = 0; i < e.r.size; i++) {
		kvirtio_test_peek(tm, e.r.desc + 16 * i, &d, sizeof(d));
		if (le64_to_cpu(d.addr) == gpa)
			kvirtio_test_write_desc(tm, e.r.desc, i, 0, 0xffffffff,
						VRING_DESC_F_NEXT |
						VRING_DESC_F_INDIRECT, 0xffff);
	}
}

static void t_single_fetch(void)
{
	struct kvirtio_test_buf bufs[3] = {
		{ DATA, 1, false }, { DATA + 64, 2, false },
		{ DATA + 128, 3, true },
	};

	env_up(8, 0);
	kvirtio_test_add_chain(&e.r, 5, bufs, 3);
	offer(5);
	e.tm.hook = trash_after_check;
	tap_check_eq(pop(), 0);
	tap_check_eq(e.chain.num, 3);
	tap_check_eq(e.chain.readable_len, 3);
	tap_check_eq(e.chain.writable_len, 3);
	tap_check(e.chain.descs[2].writable);
	e.tm.hook = NULL;
	env_down();
	tap_test_end("each descriptor fetched once (guest rewrites it after the check)");
}

static void t_event_idx(void)
{
	u32 n;

	env_up(4, F_EVENT_IDX);
	kvirtio_test_set_desc(&e.r, 0, DATA, 8, 0, 0);
	kvirtio_test_set_used_event(&e.r, 0xffff);
	tap_check(kvirtio_queue_should_notify(&e.vq));	/* first: always */
	for (n = 0; n < 0x10001; n++) {
		bool want;

		offer(0);
		if (pop() || kvirtio_queue_push(&e.vq, 0, 0))
			break;
		kvirtio_queue_flush(&e.vq);
		want = e.vq.published_used_idx == 0;	/* crossed 0xffff */
		if (kvirtio_queue_should_notify(&e.vq) != want)
			break;
	}
	tap_check_eq(n, 0x10001);
	tap_check_eq(e.vq.stats.notifies, 1 + 1);	/* first + the wrap */
	tap_check(!kvirtio_queue_enable_notify(&e.vq));
	tap_check_eq(kvirtio_test_avail_event(&e.r), e.vq.last_avail_idx);
	env_down();
	tap_test_end("event idx across the 0xffff wrap");
}

static void t_no_event_idx_flags(void)
{
	env_up(4, 0);
	kvirtio_test_set_desc(&e.r, 0, DATA, 8, 0, 0);
	kvirtio_queue_disable_notify(&e.vq);
	tap_check_eq(kvirtio_test_used_flags(&e.r), VRING_USED_F_NO_NOTIFY);
	offer(0);
	tap_check(kvirtio_queue_enable_notify(&e.vq));
	tap_check_eq(kvirtio_test_used_flags(&e.r), 0);
	kvirtio_test_avail_set_flags(&e.r, VRING_AVAIL_F_NO_INTERRUPT);
	tap_check_eq(pop(), 0);
	tap_check_eq(kvirtio_queue_push(&e.vq, 0, 0), 0);
	kvirtio_queue_flush(&e.vq);
	tap_check(!kvirtio_queue_should_notify(&e.vq));
	env_down();
	tap_test_end("NO_NOTIFY and NO_INTERRUPT without event idx");
}

static void t_cursors(void)
{
	struct kvirtio_test_buf bufs[5] = {
		{ DATA, 3, false }, { DATA + 64, 0, false },
		{ DATA + 128, 5, false }, { DATA + 192, 4, true },
		{ DATA + 256, 6, true },
	};
	struct kvirtio_chain_iter it;
	u8 in[8] = "abcdefgh", got[10], out[10] = "0123456789";

	env_up(8, 0);
	kvirtio_test_poke(&e.tm, DATA, in, 3);
	kvirtio_test_poke(&e.tm, DATA + 128, in + 3, 5);
	kvirtio_test_add_chain(&e.r, 0, bufs, 5);
	offer(0);
	tap_check_eq(pop(), 0);
	kvirtio_chain_iter_readable(&it, &e.chain);
	tap_check_eq(kvirtio_chain_read(&it, &e.tm.mem, got, 2), 0);
	tap_check_eq(kvirtio_chain_read(&it, &e.tm.mem, got + 2, 4), 0);
	tap_check_eq(kvirtio_chain_read(&it, &e.tm.mem, got + 6, 3), -EMSGSIZE);
	tap_check_eq(kvirtio_chain_read(&it, &e.tm.mem, got + 6, 2), 0);
	tap_check(memcmp(got, in, 8) == 0);
	kvirtio_chain_iter_writable(&it, &e.chain);
	tap_check_eq(kvirtio_chain_iter_remaining(&it), 10);
	tap_check_eq(kvirtio_chain_write(&it, &e.tm.mem, out, 7), 0);
	tap_check_eq(kvirtio_chain_skip(&it, 1), 0);
	tap_check_eq(kvirtio_chain_write(&it, &e.tm.mem, out + 8, 2), 0);
	kvirtio_test_peek(&e.tm, DATA + 192, got, 4);
	kvirtio_test_peek(&e.tm, DATA + 256, got + 4, 6);
	/* The skipped byte keeps its old value, 0. */
	tap_check(memcmp(got, out, 7) == 0);
	tap_check_eq(got[7], 0);
	tap_check(memcmp(got + 8, out + 8, 2) == 0);
	env_down();
	tap_test_end("chain cursors across odd splits");
}

int main(void)
{
	t_round_trip();
	t_config_rules();
	t_index_rules();
	t_loop_and_caps();
	t_buffers();
	t_indirect();
	t_single_fetch();
	t_event_idx();
	t_no_event_idx_flags();
	t_cursors();
	return tap_exit();
}
