// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the kvirtio kernel guest memory (host/mem.c).
 *
 * The test thread gets a real user address space (kunit_vm_mmap), so the
 * memory table, gpa translation, copy_{from,to}_user, long-term pinning,
 * RLIMIT_MEMLOCK accounting (locked_vm) and vmap run for real.  Guest RAM
 * is laid out so that two regions are adjacent in guest-physical space
 * but swapped in the VMM's address space, with a hole after them: any
 * code that assumes "contiguous gpa means contiguous uaddr" fails here.
 */
#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>

#include "host/host.h"
#include "host/kmem.h"
#include "kvirtio_test_mem.h"

#define NPAGES		8
#define GPA_A		0x100000ULL		/* 2 pages -> uaddr page 4 */
#define GPA_B		(GPA_A + 2 * PAGE_SIZE)	/* 2 pages -> uaddr page 0 */
#define GPA_C		0x200000ULL		/* 1 page -> uaddr page 6 */

struct mem_fix {
	unsigned long ua;
	struct kvirtio_kmem km;
	struct kvirtio_mem_region regs[3];
	long pinned0;
	long rings0;
};

static int mem_test_init(struct kunit *test)
{
	struct mem_fix *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->ua = kunit_vm_mmap(test, NULL, 0, NPAGES * PAGE_SIZE,
			      PROT_READ | PROT_WRITE,
			      MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE(test, f->ua, 0UL);
	KUNIT_ASSERT_LT(test, f->ua, (unsigned long)TASK_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, current->mm);

	f->regs[0] = (struct kvirtio_mem_region){
		.gpa = GPA_A, .size = 2 * PAGE_SIZE,
		.uaddr = f->ua + 4 * PAGE_SIZE };
	f->regs[1] = (struct kvirtio_mem_region){
		.gpa = GPA_B, .size = 2 * PAGE_SIZE, .uaddr = f->ua };
	f->regs[2] = (struct kvirtio_mem_region){
		.gpa = GPA_C, .size = PAGE_SIZE,
		.uaddr = f->ua + 6 * PAGE_SIZE };
	kvirtio_kmem_init(&f->km, current->mm);
	f->pinned0 = atomic_long_read(&kvirtio_live.pinned_pages);
	f->rings0 = atomic_long_read(&kvirtio_live.mapped_rings);
	test->priv = f;
	return 0;
}

static void mem_test_exit(struct kunit *test)
{
	struct mem_fix *f = test->priv;

	kvirtio_kmem_destroy(&f->km);
	/* Whatever the test did, nothing stays pinned or mapped. */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.pinned_pages),
			f->pinned0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.mapped_rings),
			f->rings0);
}

static void set_std_table(struct kunit *test, struct mem_fix *f)
{
	KUNIT_ASSERT_EQ(test, kvirtio_kmem_set_table(&f->km, f->regs, 3), 0);
}

static void mem_check_regions_errnos(struct kunit *test)
{
	struct mem_fix *f = test->priv;
	struct kvirtio_mem_region r[2];
	struct kvirtio_mem_region *many;
	unsigned int i;

	/* Control: the standard table, in any order, is fine. */
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_check_regions(f->regs, 3), 0);
	r[0] = f->regs[2];
	r[1] = f->regs[0];
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_check_regions(r, 2), 0);
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_check_regions(NULL, 0), 0);

	r[0] = f->regs[0];
	r[0].flags = 1;
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_check_regions(r, 1), -EINVAL);
	r[0] = f->regs[0];
	r[0].size = 0;
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_check_regions(r, 1), -EINVAL);
	r[0] = f->regs[0];
	r[0].gpa += 1;
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_check_regions(r, 1), -EINVAL);
	r[0] = f->regs[0];
	r[0].size += 512;
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_check_regions(r, 1), -EINVAL);
	r[0] = f->regs[0];
	r[0].uaddr += 8;
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_check_regions(r, 1), -EINVAL);
	/* Wrap-around in guest-physical and in user space. */
	r[0] = f->regs[0];
	r[0].gpa = 0ULL - PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_check_regions(r, 1), -EOVERFLOW);
	r[0].gpa = 0ULL - 2 * PAGE_SIZE;	/* ends exactly at 2^64: fine */
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_check_regions(r, 1), 0);
	r[0] = f->regs[0];
	r[0].uaddr = 0ULL - PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_check_regions(r, 1), -EOVERFLOW);
	/* Not user memory: kernel half of the address space. */
	r[0] = f->regs[0];
	r[0].uaddr = ALIGN((u64)TASK_SIZE, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_check_regions(r, 1), -EFAULT);
	/* Overlap by one page, and containment. */
	r[0] = f->regs[0];
	r[1] = f->regs[1];
	r[1].gpa -= PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_check_regions(r, 2), -EEXIST);
	r[1].gpa = GPA_A;
	r[1].size = PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_check_regions(r, 2), -EEXIST);

	/* Count cap. */
	many = kunit_kcalloc(test, KVIRTIO_MEM_REGIONS_MAX + 1, sizeof(*many),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, many);
	for (i = 0; i <= KVIRTIO_MEM_REGIONS_MAX; i++) {
		many[i].gpa = (u64)i * 2 * PAGE_SIZE;
		many[i].size = PAGE_SIZE;
		many[i].uaddr = f->ua;
	}
	i = KVIRTIO_MEM_REGIONS_MAX;
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_check_regions(many, i), 0);
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_check_regions(many, i + 1), -E2BIG);
}

/* A refused table leaves the previous one in place. */
static void mem_set_table_atomic(struct kunit *test)
{
	struct mem_fix *f = test->priv;
	struct kvirtio_mem_region bad[2] = { f->regs[0], f->regs[0] };
	void __user *ua;
	u64 n;

	set_std_table(test, f);
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_set_table(&f->km, bad, 2), -EEXIST);
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_translate(&f->km.gmem, GPA_C, 16,
						     &ua, &n), 0);
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_set_table(&f->km, NULL, 0), 0);
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_translate(&f->km.gmem, GPA_C, 16,
						     &ua, &n), -EFAULT);
}

static void mem_translate(struct kunit *test)
{
	struct mem_fix *f = test->priv;
	struct kvirtio_test_mem tm;
	void __user *ua;
	u64 n;

	set_std_table(test, f);
	/* Inside A, stopping at A's end although B follows in gpa. */
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_translate(&f->km.gmem, GPA_A + 100,
						     3 * PAGE_SIZE, &ua, &n), 0);
	KUNIT_EXPECT_EQ(test, (unsigned long)ua, f->ua + 4 * PAGE_SIZE + 100);
	KUNIT_EXPECT_EQ(test, n, 2 * PAGE_SIZE - 100);
	/* The rest continues in B at the start of the mapping. */
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_translate(&f->km.gmem, GPA_B, 64,
						     &ua, &n), 0);
	KUNIT_EXPECT_EQ(test, (unsigned long)ua, f->ua);
	KUNIT_EXPECT_EQ(test, n, 64ULL);
	/* Holes, wrap, zero length, foreign memory. */
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_translate(&f->km.gmem, GPA_C - 1, 1,
						     &ua, &n), -EFAULT);
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_translate(&f->km.gmem, GPA_B +
						     2 * PAGE_SIZE, 1, &ua, &n),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_translate(&f->km.gmem, GPA_A - 1, 2,
						     &ua, &n), -EFAULT);
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_translate(&f->km.gmem, GPA_A,
						     ~0ULL, &ua, &n), -EFAULT);
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_translate(&f->km.gmem, GPA_A, 0,
						     &ua, &n), -EINVAL);
	KUNIT_ASSERT_EQ(test, kvirtio_test_mem_init(&tm, 0, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_translate(&tm.mem, 0, 1, &ua, &n),
			-EOPNOTSUPP);
	KUNIT_EXPECT_FALSE(test, kvirtio_kmem_is_kernel(&tm.mem));
	KUNIT_EXPECT_TRUE(test, kvirtio_kmem_is_kernel(&f->km.gmem));
	kvirtio_test_mem_destroy(&tm);
}

static void mem_range_ok(struct kunit *test)
{
	struct mem_fix *f = test->priv;
	const struct kvirtio_guest_mem_ops *ops = f->km.gmem.ops;
	struct kvirtio_guest_mem *m = &f->km.gmem;

	KUNIT_EXPECT_FALSE(test, ops->range_ok(m, GPA_A, 1));	/* no table */
	set_std_table(test, f);
	KUNIT_EXPECT_TRUE(test, ops->range_ok(m, GPA_A, 4 * PAGE_SIZE));
	KUNIT_EXPECT_TRUE(test, ops->range_ok(m, GPA_A + 1, 4 * PAGE_SIZE - 1));
	KUNIT_EXPECT_FALSE(test, ops->range_ok(m, GPA_A, 4 * PAGE_SIZE + 1));
	KUNIT_EXPECT_FALSE(test, ops->range_ok(m, GPA_A - 1, 2));
	KUNIT_EXPECT_TRUE(test, ops->range_ok(m, GPA_C, PAGE_SIZE));
	KUNIT_EXPECT_FALSE(test, ops->range_ok(m, GPA_C + 1, PAGE_SIZE));
	KUNIT_EXPECT_TRUE(test, ops->range_ok(m, GPA_C, 0));
	KUNIT_EXPECT_FALSE(test, ops->range_ok(m, GPA_C + PAGE_SIZE, 0));
	KUNIT_EXPECT_FALSE(test, ops->range_ok(m, ~0ULL, 2));
}

static void mem_read_write_split(struct kunit *test)
{
	struct mem_fix *f = test->priv;
	struct kvirtio_guest_mem *m = &f->km.gmem;
	u8 *buf, *chk;
	unsigned int i;

	buf = kunit_kzalloc(test, 256, GFP_KERNEL);
	chk = kunit_kzalloc(test, 256, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, chk);
	set_std_table(test, f);
	for (i = 0; i < 256; i++)
		buf[i] = i;
	/* 128 bytes at the end of A, 128 at the start of B. */
	KUNIT_ASSERT_EQ(test, kvirtio_gmem_write(m, GPA_B - 128, buf, 256), 0);
	KUNIT_ASSERT_EQ(test, copy_from_user(chk, (void __user *)(f->ua +
				6 * PAGE_SIZE - 128), 128), 0UL);
	KUNIT_EXPECT_EQ(test, memcmp(chk, buf, 128), 0);
	KUNIT_ASSERT_EQ(test, copy_from_user(chk, (void __user *)f->ua, 128),
			0UL);
	KUNIT_EXPECT_EQ(test, memcmp(chk, buf + 128, 128), 0);
	memset(chk, 0, 256);
	KUNIT_EXPECT_EQ(test, kvirtio_gmem_read(m, GPA_B - 128, chk, 256), 0);
	KUNIT_EXPECT_EQ(test, memcmp(chk, buf, 256), 0);
	/* Running into the hole fails. */
	KUNIT_EXPECT_EQ(test, kvirtio_gmem_read(m, GPA_B + 2 * PAGE_SIZE - 8,
						chk, 16), -EFAULT);
	KUNIT_EXPECT_EQ(test, kvirtio_gmem_write(m, ~0ULL - 4, buf, 16),
			-EFAULT);
}

/* Memory of another mm is never touched, even with a valid table. */
static void mem_foreign_mm_refused(struct kunit *test)
{
	struct mem_fix *f = test->priv;
	struct kvirtio_kmem other;
	struct mm_struct *mm;
	u8 b[8] = {};

	mm = mm_alloc();
	KUNIT_ASSERT_NOT_NULL(test, mm);
	kvirtio_kmem_init(&other, mm);
	KUNIT_ASSERT_EQ(test, kvirtio_kmem_set_table(&other, f->regs, 3), 0);
	KUNIT_EXPECT_EQ(test, kvirtio_gmem_read(&other.gmem, GPA_A, b, 8),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, kvirtio_gmem_write(&other.gmem, GPA_A, b, 8),
			-EFAULT);
	KUNIT_EXPECT_NULL(test, other.gmem.ops->map_ring(&other.gmem, GPA_A,
							 64));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&other.pinned_pages), 0L);
	/* Control: the creator's own mm works. */
	set_std_table(test, f);
	KUNIT_EXPECT_EQ(test, kvirtio_gmem_read(&f->km.gmem, GPA_A, b, 8), 0);
	kvirtio_kmem_destroy(&other);
	mmput(mm);
}

static void mem_map_ring_pins_and_charges(struct kunit *test)
{
	struct mem_fix *f = test->priv;
	struct kvirtio_guest_mem *m = &f->km.gmem;
	unsigned long locked0 = current->mm->locked_vm;
	u64 gpa = GPA_B - 64;	/* 64 bytes in A, the rest in B */
	u32 len = PAGE_SIZE + 128;
	u8 *p, b[4];

	set_std_table(test, f);
	p = m->ops->map_ring(m, gpa, len);
	KUNIT_ASSERT_NOT_NULL(test, p);
	/* Spans the last page of A and two pages of B: three pages. */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&f->km.pinned_pages), 3L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.pinned_pages),
			f->pinned0 + 3);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.mapped_rings),
			f->rings0 + 1);
	KUNIT_EXPECT_EQ(test, current->mm->locked_vm, locked0 + 3);
	KUNIT_EXPECT_EQ(test, f->km.nr_maps, 1U);

	/* The vmap is the VMM's memory, in gpa order across the swap. */
	p[0] = 0x5a;
	p[64] = 0xa5;
	KUNIT_ASSERT_EQ(test, copy_from_user(b, (void __user *)(f->ua +
				6 * PAGE_SIZE - 64), 1), 0UL);
	KUNIT_EXPECT_EQ(test, b[0], 0x5a);
	KUNIT_ASSERT_EQ(test, copy_from_user(b, (void __user *)f->ua, 1), 0UL);
	KUNIT_EXPECT_EQ(test, b[0], 0xa5);
	b[0] = 0x77;
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)(f->ua + PAGE_SIZE),
					   b, 1), 0UL);
	KUNIT_EXPECT_EQ(test, p[64 + PAGE_SIZE], 0x77);

	/* The table cannot change under a mapped ring. */
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_set_table(&f->km, f->regs, 2),
			-EBUSY);

	m->ops->unmap_ring(m, p, gpa, len);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&f->km.pinned_pages), 0L);
	KUNIT_EXPECT_EQ(test, current->mm->locked_vm, locked0);
	KUNIT_EXPECT_EQ(test, f->km.nr_maps, 0U);
	KUNIT_EXPECT_EQ(test, kvirtio_kmem_set_table(&f->km, f->regs, 2), 0);
}

static void mem_map_ring_refused(struct kunit *test)
{
	struct mem_fix *f = test->priv;
	struct kvirtio_guest_mem *m = &f->km.gmem;
	unsigned long locked0 = current->mm->locked_vm;

	set_std_table(test, f);
	/* Into the hole after B: nothing may stay pinned or charged. */
	KUNIT_EXPECT_NULL(test, m->ops->map_ring(m, GPA_B + PAGE_SIZE,
						 PAGE_SIZE + 1));
	KUNIT_EXPECT_NULL(test, m->ops->map_ring(m, GPA_A, 0));
	KUNIT_EXPECT_NULL(test, m->ops->map_ring(m, ~0ULL - 8, 64));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&f->km.pinned_pages), 0L);
	KUNIT_EXPECT_EQ(test, current->mm->locked_vm, locked0);
	KUNIT_EXPECT_EQ(test, f->km.nr_maps, 0U);
	/* Control: the same start with a length that stays in RAM. */
	KUNIT_EXPECT_NOT_NULL(test, m->ops->map_ring(m, GPA_B + PAGE_SIZE,
						     PAGE_SIZE));
	/* Left mapped on purpose: destroy must unpin it (checked in exit). */
}

static void mem_unmap_unknown_is_harmless(struct kunit *test)
{
	struct mem_fix *f = test->priv;
	struct kvirtio_guest_mem *m = &f->km.gmem;
	void *p;

	set_std_table(test, f);
	p = m->ops->map_ring(m, GPA_C, 64);
	KUNIT_ASSERT_NOT_NULL(test, p);
	m->ops->unmap_ring(m, p, GPA_C + 8, 64);	/* wrong gpa: ignored */
	KUNIT_EXPECT_EQ(test, f->km.nr_maps, 1U);
	m->ops->unmap_ring(m, p, GPA_C, 64);
	KUNIT_EXPECT_EQ(test, f->km.nr_maps, 0U);
}

static struct kunit_case host_mem_cases[] = {
	KUNIT_CASE(mem_check_regions_errnos),
	KUNIT_CASE(mem_set_table_atomic),
	KUNIT_CASE(mem_translate),
	KUNIT_CASE(mem_range_ok),
	KUNIT_CASE(mem_read_write_split),
	KUNIT_CASE(mem_foreign_mm_refused),
	KUNIT_CASE(mem_map_ring_pins_and_charges),
	KUNIT_CASE(mem_map_ring_refused),
	KUNIT_CASE(mem_unmap_unknown_is_harmless),
	{}
};

static struct kunit_suite host_mem_suite = {
	.name = "kvirtio_host_mem",
	.init = mem_test_init,
	.exit = mem_test_exit,
	.test_cases = host_mem_cases,
};

kunit_test_suite(host_mem_suite);
