// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the PCI device model (pci_dev.c): type-0 header,
 * masked accesses of every width at any offset, RW1C, 64-bit BAR sizing,
 * the capability list and the refusal of bad accesses.
 */
#include <kunit/test.h>

#include "compat.h"
#include "pci_dev.h"

struct pdt {
	struct kvirtio_pci_dev pdev;
	unsigned int reads_hooked;
	unsigned int writes_hooked;
	u32 last_write_off;
	u32 last_write_len;
};

static void pdt_before_read(struct kvirtio_pci_dev *pdev, u32 off, u32 len)
{
	container_of(pdev, struct pdt, pdev)->reads_hooked++;
}

static void pdt_after_write(struct kvirtio_pci_dev *pdev, u32 off, u32 len)
{
	struct pdt *t = container_of(pdev, struct pdt, pdev);

	t->writes_hooked++;
	t->last_write_off = off;
	t->last_write_len = len;
}

static const struct kvirtio_pci_dev_ops pdt_ops = {
	.before_read	= pdt_before_read,
	.after_write	= pdt_after_write,
};

static const struct kvirtio_pci_dev_id pdt_id = {
	.vendor		= 0x1af4,
	.device		= 0x1044,
	.subsys_vendor	= 0x1af4,
	.subsys_id	= 0x1100,
	.revision	= 1,
	.class_code	= 0x00ff01,
	.irq_pin	= KVIRTIO_PCI_INTX_A,
};

static struct pdt *pdt_new(struct kunit *test)
{
	struct pdt *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	kvirtio_pci_dev_init(&t->pdev, &pdt_id, &pdt_ops);
	KUNIT_ASSERT_EQ(test, kvirtio_pci_dev_set_bar64(&t->pdev, 0, 0x4000,
							false), 0);
	KUNIT_ASSERT_EQ(test, kvirtio_pci_dev_set_bar64(&t->pdev, 2,
							8ULL << 30, true), 0);
	kvirtio_pci_dev_seal(&t->pdev);
	return t;
}

static u32 rd(struct pdt *t, u32 off, u32 w)
{
	return kvirtio_pci_dev_read(&t->pdev, off, w);
}

static void wr(struct pdt *t, u32 off, u32 w, u32 v)
{
	kvirtio_pci_dev_write(&t->pdev, off, w, v);
}

static void pci_dev_header_identity(struct kunit *test)
{
	struct pdt *t = pdt_new(test);

	KUNIT_EXPECT_EQ(test, rd(t, 0x00, 4), 0x10441af4u);
	KUNIT_EXPECT_EQ(test, rd(t, 0x08, 4), 0x00ff0101u);
	KUNIT_EXPECT_EQ(test, rd(t, 0x0e, 1), 0u);
	KUNIT_EXPECT_EQ(test, rd(t, 0x2c, 4), 0x11001af4u);
	KUNIT_EXPECT_EQ(test, rd(t, 0x3d, 1), 1u);
	/* No capability yet: the list bit is clear. */
	KUNIT_EXPECT_EQ(test, rd(t, 0x06, 2) & KVIRTIO_PCI_STS_CAP_LIST, 0u);
}

static void pci_dev_readonly_fields(struct kunit *test)
{
	struct pdt *t = pdt_new(test);

	wr(t, 0x00, 4, 0);
	wr(t, 0x08, 4, 0xffffffff);
	wr(t, 0x2c, 4, 0);
	wr(t, 0x3d, 1, 0x4);
	wr(t, 0x0e, 1, 0x80);
	KUNIT_EXPECT_EQ(test, rd(t, 0x00, 4), 0x10441af4u);
	KUNIT_EXPECT_EQ(test, rd(t, 0x08, 4), 0x00ff0101u);
	KUNIT_EXPECT_EQ(test, rd(t, 0x2c, 4), 0x11001af4u);
	KUNIT_EXPECT_EQ(test, rd(t, 0x3d, 1), 1u);
	KUNIT_EXPECT_EQ(test, rd(t, 0x0e, 1), 0u);
	/* Interrupt line is a writable scratch register. */
	wr(t, 0x3c, 1, 0x0b);
	KUNIT_EXPECT_EQ(test, rd(t, 0x3c, 1), 0x0bu);
	/* Writes were counted as applied and seen by the hook. */
	KUNIT_EXPECT_EQ(test, t->pdev.stats.writes, 6u);
	KUNIT_EXPECT_EQ(test, t->writes_hooked, 6u);
}

static void pci_dev_command_mask(struct kunit *test)
{
	struct pdt *t = pdt_new(test);

	wr(t, 0x04, 2, 0xffff);
	KUNIT_EXPECT_EQ(test, rd(t, 0x04, 2), (u32)KVIRTIO_PCI_CMD_WRITABLE);
	/* No I/O BAR: the I/O space bit is hardwired to 0. */
	KUNIT_EXPECT_EQ(test, rd(t, 0x04, 2) & KVIRTIO_PCI_CMD_IO, 0u);
	wr(t, 0x04, 2, 0);
	KUNIT_EXPECT_EQ(test, rd(t, 0x04, 2), 0u);
	/* A byte write of the high half leaves the low half alone. */
	wr(t, 0x04, 1, KVIRTIO_PCI_CMD_MEMORY);
	wr(t, 0x05, 1, 0xff);
	KUNIT_EXPECT_EQ(test, rd(t, 0x04, 2),
			(u32)(KVIRTIO_PCI_CMD_MEMORY | KVIRTIO_PCI_CMD_SERR |
			      KVIRTIO_PCI_CMD_INTX_DISABLE));
}

static void pci_dev_status_rw1c(struct kunit *test)
{
	struct pdt *t = pdt_new(test);
	u16 errs = KVIRTIO_PCI_STS_REC_MASTER_ABORT |
		   KVIRTIO_PCI_STS_SIG_TARGET_ABORT;

	KUNIT_ASSERT_GE(test, kvirtio_pci_dev_add_cap(&t->pdev, 0x09, 8), 0);
	kvirtio_pci_dev_raise_status(&t->pdev, errs);
	KUNIT_EXPECT_EQ(test, rd(t, 0x06, 2),
			(u32)(errs | KVIRTIO_PCI_STS_CAP_LIST));
	/* Writing 0 changes nothing; writing 1 clears only that bit. */
	wr(t, 0x06, 2, 0);
	KUNIT_EXPECT_EQ(test, rd(t, 0x06, 2),
			(u32)(errs | KVIRTIO_PCI_STS_CAP_LIST));
	wr(t, 0x06, 2, KVIRTIO_PCI_STS_REC_MASTER_ABORT);
	KUNIT_EXPECT_EQ(test, rd(t, 0x06, 2),
			(u32)(KVIRTIO_PCI_STS_SIG_TARGET_ABORT |
			      KVIRTIO_PCI_STS_CAP_LIST));
	/* All-ones clears the errors but not the read-only bits. */
	wr(t, 0x06, 2, 0xffff);
	KUNIT_EXPECT_EQ(test, rd(t, 0x06, 2), (u32)KVIRTIO_PCI_STS_CAP_LIST);
	/* Only error bits can be raised. */
	kvirtio_pci_dev_raise_status(&t->pdev, KVIRTIO_PCI_STS_INTERRUPT);
	KUNIT_EXPECT_EQ(test, rd(t, 0x06, 2), (u32)KVIRTIO_PCI_STS_CAP_LIST);
}

static void pci_dev_intx_status_mirror(struct kunit *test)
{
	struct pdt *t = pdt_new(test);

	kvirtio_pci_dev_set_intx_status(&t->pdev, true);
	KUNIT_EXPECT_TRUE(test, rd(t, 0x06, 2) & KVIRTIO_PCI_STS_INTERRUPT);
	KUNIT_EXPECT_TRUE(test, rd(t, 0x06, 1) & KVIRTIO_PCI_STS_INTERRUPT);
	KUNIT_EXPECT_TRUE(test, (rd(t, 0x04, 4) >> 16) &
				KVIRTIO_PCI_STS_INTERRUPT);
	/* Read-only to the guest. */
	wr(t, 0x06, 2, KVIRTIO_PCI_STS_INTERRUPT);
	KUNIT_EXPECT_TRUE(test, rd(t, 0x06, 2) & KVIRTIO_PCI_STS_INTERRUPT);
	kvirtio_pci_dev_set_intx_status(&t->pdev, false);
	KUNIT_EXPECT_FALSE(test, rd(t, 0x06, 2) & KVIRTIO_PCI_STS_INTERRUPT);
}

static void pci_dev_bar64_sizing(struct kunit *test)
{
	struct pdt *t = pdt_new(test);

	/* BAR0: 16 KiB, 64-bit, non-prefetchable. */
	KUNIT_EXPECT_EQ(test, rd(t, 0x10, 4), (u32)KVIRTIO_PCI_BAR_MEM_TYPE_64);
	wr(t, 0x10, 4, 0xffffffff);
	wr(t, 0x14, 4, 0xffffffff);
	KUNIT_EXPECT_EQ(test, rd(t, 0x10, 4),
			0xffffc000u | KVIRTIO_PCI_BAR_MEM_TYPE_64);
	KUNIT_EXPECT_EQ(test, rd(t, 0x14, 4), 0xffffffffu);

	/* BAR2: 8 GiB prefetchable: the size is in the upper half. */
	wr(t, 0x18, 4, 0xffffffff);
	wr(t, 0x1c, 4, 0xffffffff);
	KUNIT_EXPECT_EQ(test, rd(t, 0x18, 4),
			(u32)(KVIRTIO_PCI_BAR_MEM_TYPE_64 |
			      KVIRTIO_PCI_BAR_MEM_PREFETCH));
	KUNIT_EXPECT_EQ(test, rd(t, 0x1c, 4), 0xfffffffeu);

	/* The programmed address is stored and exposed. */
	wr(t, 0x10, 4, 0xfebf4000);
	wr(t, 0x14, 4, 0x00000001);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_dev_bar_addr(&t->pdev, 0),
			0x1febf4000ULL);
	/* Address bits below the size are hardwired to zero. */
	wr(t, 0x10, 4, 0xfebf5234);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_dev_bar_addr(&t->pdev, 0),
			0x1febf4000ULL);
	wr(t, 0x18, 4, 0);
	wr(t, 0x1c, 4, 0x4);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_dev_bar_addr(&t->pdev, 2),
			0x400000000ULL);
}

static void pci_dev_unimplemented_bars(struct kunit *test)
{
	struct pdt *t = pdt_new(test);

	/* BAR4, BAR5 and the ROM BAR are not implemented: sizing reads 0. */
	wr(t, 0x20, 4, 0xffffffff);
	wr(t, 0x24, 4, 0xffffffff);
	wr(t, 0x30, 4, 0xffffffff);
	KUNIT_EXPECT_EQ(test, rd(t, 0x20, 4), 0u);
	KUNIT_EXPECT_EQ(test, rd(t, 0x24, 4), 0u);
	KUNIT_EXPECT_EQ(test, rd(t, 0x30, 4), 0u);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_dev_bar_addr(&t->pdev, 4), 0ULL);
	/* Bad BAR descriptions are refused. */
	KUNIT_EXPECT_EQ(test, kvirtio_pci_dev_set_bar64(&t->pdev, 5, 4096,
							false), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_dev_set_bar64(&t->pdev, 4, 4095,
							false), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_dev_set_bar64(&t->pdev, 0, 4096,
							false), -EINVAL);
}

/* A 32-bit memory BAR and an I/O BAR next to the 64-bit ones. */
static void pci_dev_bar32_and_io(struct kunit *test)
{
	struct pdt *t = pdt_new(test);

	/* Register 3 is BAR2's upper half: nothing else goes there. */
	KUNIT_EXPECT_EQ(test, kvirtio_pci_dev_set_bar32(&t->pdev, 3, 4096,
							false), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_dev_set_bar_io(&t->pdev, 3, 4),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_dev_set_bar_io(&t->pdev, 5, 512),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_dev_set_bar_io(&t->pdev, 5, 2),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_dev_set_bar32(&t->pdev, 4, 8, false),
			-EINVAL);
	KUNIT_ASSERT_EQ(test, kvirtio_pci_dev_set_bar32(&t->pdev, 4, 8192,
							false), 0);
	KUNIT_ASSERT_EQ(test, kvirtio_pci_dev_set_bar_io(&t->pdev, 5, 16), 0);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_dev_set_bar_io(&t->pdev, 5, 16),
			-EINVAL);
	kvirtio_pci_dev_seal(&t->pdev);
	KUNIT_EXPECT_FALSE(test, kvirtio_pci_dev_bar_is_64(&t->pdev, 4));
	KUNIT_EXPECT_TRUE(test, kvirtio_pci_dev_bar_is_64(&t->pdev, 2));
	KUNIT_EXPECT_TRUE(test, kvirtio_pci_dev_bar_is_upper(&t->pdev, 3));
	KUNIT_EXPECT_TRUE(test, kvirtio_pci_dev_bar_is_io(&t->pdev, 5));
	KUNIT_EXPECT_FALSE(test, kvirtio_pci_dev_bar_is_io(&t->pdev, 4));

	/* Sizing: a 32-bit BAR has no upper half; I/O decodes 16 bits. */
	wr(t, 0x20, 4, 0xffffffff);
	KUNIT_EXPECT_EQ(test, rd(t, 0x20, 4), 0xffffe000u);
	wr(t, 0x24, 4, 0xffffffff);
	KUNIT_EXPECT_EQ(test, rd(t, 0x24, 4), 0xfff1u);
	wr(t, 0x20, 4, 0xfe000000);
	wr(t, 0x24, 4, 0xc043);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_dev_bar_addr(&t->pdev, 4),
			0xfe000000ULL);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_dev_bar_addr(&t->pdev, 5), 0xc040ULL);
	KUNIT_EXPECT_EQ(test, rd(t, 0x24, 4), 0xc041u);
	/* With an I/O BAR the I/O space bit becomes writable. */
	wr(t, 0x04, 2, 0xffff);
	KUNIT_EXPECT_EQ(test, rd(t, 0x04, 2),
			(u32)(KVIRTIO_PCI_CMD_WRITABLE | KVIRTIO_PCI_CMD_IO));
	/* A reset puts the port back to 0 and I/O decoding off. */
	kvirtio_pci_dev_reset(&t->pdev);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_dev_bar_addr(&t->pdev, 5), 0ULL);
	KUNIT_EXPECT_EQ(test, rd(t, 0x04, 2), 0u);
}

static void pci_dev_any_width_any_offset(struct kunit *test)
{
	struct pdt *t = pdt_new(test);
	u32 off;

	/* Every width at every in-range offset agrees with byte reads. */
	for (off = 0; off < KVIRTIO_PCI_CFG_SIZE; off++) {
		u32 b0 = rd(t, off, 1);

		if (off + 2 <= KVIRTIO_PCI_CFG_SIZE)
			KUNIT_EXPECT_EQ(test, rd(t, off, 2),
					b0 | rd(t, off + 1, 1) << 8);
		if (off + 4 <= KVIRTIO_PCI_CFG_SIZE)
			KUNIT_EXPECT_EQ(test, rd(t, off, 4),
					rd(t, off, 2) | rd(t, off + 2, 2) << 16);
	}
	/* An unaligned dword write lands byte by byte through the masks. */
	wr(t, 0x3b, 4, 0x11223344);
	KUNIT_EXPECT_EQ(test, rd(t, 0x3c, 1), 0x33u);	/* line: writable */
	KUNIT_EXPECT_EQ(test, rd(t, 0x3d, 1), 1u);	/* pin: read-only */
	KUNIT_EXPECT_EQ(test, t->pdev.stats.bad_reads, 0u);
	KUNIT_EXPECT_EQ(test, t->pdev.stats.bad_writes, 0u);
}

static void pci_dev_bad_access(struct kunit *test)
{
	struct pdt *t = pdt_new(test);
	unsigned int hooked;

	KUNIT_EXPECT_EQ(test, rd(t, 0x00, 3), 0xffffffffu);
	KUNIT_EXPECT_EQ(test, rd(t, 0x00, 0), 0xffffffffu);
	KUNIT_EXPECT_EQ(test, rd(t, 0x00, 8), 0xffffffffu);
	KUNIT_EXPECT_EQ(test, rd(t, 0xfd, 4), 0xffffffffu);
	KUNIT_EXPECT_EQ(test, rd(t, 0xff, 2), 0xffffu);
	KUNIT_EXPECT_EQ(test, rd(t, 0x100, 1), 0xffu);
	KUNIT_EXPECT_EQ(test, rd(t, 0xffffffff, 4), 0xffffffffu);
	KUNIT_EXPECT_EQ(test, t->pdev.stats.bad_reads, 7u);

	hooked = t->writes_hooked;
	wr(t, 0x3c, 3, 0x55);
	wr(t, 0x3c, 8, 0x55);
	wr(t, 0xfe, 4, 0x55);
	wr(t, 0xfffffffe, 4, 0x55);
	KUNIT_EXPECT_EQ(test, rd(t, 0x3c, 1), 0u);
	KUNIT_EXPECT_EQ(test, t->pdev.stats.bad_writes, 4u);
	KUNIT_EXPECT_EQ(test, t->writes_hooked, hooked);
	/* The last in-range byte works. */
	KUNIT_EXPECT_EQ(test, rd(t, 0xff, 1), 0u);
}

static void pci_dev_capability_list(struct kunit *test)
{
	struct pdt *t = pdt_new(test);
	int a, b, c;
	u32 pos, n = 0;

	a = kvirtio_pci_dev_add_cap(&t->pdev, 0x11, 12);
	b = kvirtio_pci_dev_add_cap(&t->pdev, 0x09, 17);
	c = kvirtio_pci_dev_add_cap(&t->pdev, 0x09, 16);
	KUNIT_ASSERT_EQ(test, a, 0x40);
	KUNIT_ASSERT_EQ(test, b, 0x4c);
	KUNIT_ASSERT_EQ(test, c, 0x60);	/* dword aligned after 17 bytes */
	KUNIT_EXPECT_TRUE(test, rd(t, 0x06, 2) & KVIRTIO_PCI_STS_CAP_LIST);
	KUNIT_EXPECT_EQ(test, rd(t, 0x34, 1), 0x40u);

	for (pos = rd(t, 0x34, 1); pos && n < 48; pos = rd(t, pos + 1, 1))
		n++;
	KUNIT_EXPECT_EQ(test, n, 3u);
	/* The pointers are read-only. */
	wr(t, 0x34, 1, 0x80);
	wr(t, a + 1, 1, 0);
	KUNIT_EXPECT_EQ(test, rd(t, 0x34, 1), 0x40u);
	KUNIT_EXPECT_EQ(test, rd(t, a + 1, 1), (u32)b);
	/* Space runs out cleanly. */
	KUNIT_EXPECT_EQ(test, kvirtio_pci_dev_add_cap(&t->pdev, 0x09, 200),
			-ENOSPC);
}

static void pci_dev_reset_restores(struct kunit *test)
{
	struct pdt *t = pdt_new(test);

	wr(t, 0x04, 2, 0xffff);
	wr(t, 0x10, 4, 0xfe000000);
	wr(t, 0x3c, 1, 9);
	kvirtio_pci_dev_set_intx_status(&t->pdev, true);
	kvirtio_pci_dev_reset(&t->pdev);
	KUNIT_EXPECT_EQ(test, rd(t, 0x04, 2), 0u);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_dev_bar_addr(&t->pdev, 0), 0ULL);
	KUNIT_EXPECT_EQ(test, rd(t, 0x3c, 1), 0u);
	KUNIT_EXPECT_FALSE(test, rd(t, 0x06, 2) & KVIRTIO_PCI_STS_INTERRUPT);
	KUNIT_EXPECT_EQ(test, rd(t, 0x00, 4), 0x10441af4u);
}

static void pci_dev_hooks(struct kunit *test)
{
	struct pdt *t = pdt_new(test);

	rd(t, 0x40, 2);
	KUNIT_EXPECT_EQ(test, t->reads_hooked, 1u);
	wr(t, 0x3c, 1, 5);
	KUNIT_EXPECT_EQ(test, t->writes_hooked, 1u);
	KUNIT_EXPECT_EQ(test, t->last_write_off, 0x3cu);
	KUNIT_EXPECT_EQ(test, t->last_write_len, 1u);
}

static struct kunit_case kvirtio_pci_dev_cases[] = {
	KUNIT_CASE(pci_dev_header_identity),
	KUNIT_CASE(pci_dev_readonly_fields),
	KUNIT_CASE(pci_dev_command_mask),
	KUNIT_CASE(pci_dev_status_rw1c),
	KUNIT_CASE(pci_dev_intx_status_mirror),
	KUNIT_CASE(pci_dev_bar64_sizing),
	KUNIT_CASE(pci_dev_unimplemented_bars),
	KUNIT_CASE(pci_dev_bar32_and_io),
	KUNIT_CASE(pci_dev_any_width_any_offset),
	KUNIT_CASE(pci_dev_bad_access),
	KUNIT_CASE(pci_dev_capability_list),
	KUNIT_CASE(pci_dev_reset_restores),
	KUNIT_CASE(pci_dev_hooks),
	{}
};

static struct kunit_suite kvirtio_pci_dev_suite = {
	.name = "kvirtio_pci_dev",
	.test_cases = kvirtio_pci_dev_cases,
};

kunit_test_suite(kvirtio_pci_dev_suite);
