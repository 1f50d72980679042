// SPDX-License-Identifier: GPL-2.0-only
/*
 * VMM self-test guest: a freestanding 64-bit program booted by tools/vmm
 * through the same 64-bit boot protocol path as Linux.  It checks the zero
 * page, then drives every virtio function it finds on PCI bus 0 the way a
 * driver does (configuration mechanism #1, BARs placed by the VMM, the
 * virtio-pci capabilities, feature negotiation, one split queue), with
 * polling instead of interrupts:
 *  - virtio-rng: RNG_ROUNDS requests of 64 bytes, each kicked through the
 *    notify area; the bytes must not be all zero;
 *  - virtio-blk: reads sector 0 (must start with SECTOR0_MAGIC, written by
 *    the test script), writes SECTOR1_TEXT to sector 1 (the script checks
 *    the file), reads it back.
 * It prints one line per check on the UART and ends the VM through the
 * debug exit port: 0 when every check passed, else the failing check's
 * number.  The script also checks the VMM's --stats: kicks must arrive
 * through the ioeventfds.
 */
#include <stddef.h>
#include <stdint.h>

#define PORT_UART		0x3f8
#define PORT_EXIT		0x501
#define PCI_ADDR		0xcf8
#define PCI_DATA		0xcfc

#define RNG_ROUNDS		4
#define SECTOR0_MAGIC		"kvirtio-selftest-sector0"
#define SECTOR1_TEXT		"written-by-selftest-guest"
#define POLL_LIMIT		100000000UL

/* Fixed guest-physical scratch, far above the program (identity mapped). */
#define RING_BASE		0x400000UL
#define BUF_BASE		0x500000UL
#define QSIZE			8

enum fail {
	FAIL_ZERO_PAGE = 1,
	FAIL_NO_DEVICE,
	FAIL_CAPS,
	FAIL_RESET,
	FAIL_FEATURES,
	FAIL_QUEUE,
	FAIL_TIMEOUT,
	FAIL_RNG_DATA,
	FAIL_BLK_STATUS,
	FAIL_BLK_DATA,
};

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vdev {
	unsigned int slot;
	volatile uint8_t *common;
	volatile uint8_t *notify;
	uint32_t notify_mult;
	volatile struct desc *desc;
	volatile uint16_t *avail;	/* flags, idx, ring[QSIZE] */
	volatile uint16_t *used;	/* flags, idx, {id, len}[QSIZE] */
	uint16_t avail_idx;
	uint16_t used_idx;
	uint16_t notify_off;
};

void selftest_main(const uint8_t *zero_page);

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void print(const char *s)
{
	while (*s)
		outb(PORT_UART, *s++);
}

static void print_num(uint64_t v)
{
	char buf[21];
	int i = 20;

	buf[i] = 0;
	do {
		buf[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	print(buf + i);
}

static __attribute__((noreturn)) void finish(int code)
{
	print(code ? "selftest: FAIL " : "selftest: PASS\n");
	if (code) {
		print_num(code);
		print("\n");
	}
	outb(PORT_EXIT, code);
	for (;;)
		__asm__ volatile("hlt");
}

static void check(int ok, int code, const char *what)
{
	print(ok ? "ok - " : "not ok - ");
	print(what);
	print("\n");
	if (!ok)
		finish(code);
}

static uint32_t cfg_read(unsigned int slot, unsigned int off)
{
	outl(PCI_ADDR, 0x80000000U | slot << 11 | (off & 0xfc));
	return inl(PCI_DATA) >> (8 * (off & 3));
}

static void cfg_write32(unsigned int slot, unsigned int off, uint32_t v)
{
	outl(PCI_ADDR, 0x80000000U | slot << 11 | (off & 0xfc));
	outl(PCI_DATA, v);
}

static uint64_t bar_addr(unsigned int slot, unsigned int bar)
{
	uint32_t lo = cfg_read(slot, 0x10 + 4 * bar);
	uint64_t addr = lo & ~0xfULL;

	if ((lo & 6) == 4)
		addr |= (uint64_t)cfg_read(slot, 0x14 + 4 * bar) << 32;
	return addr;
}

#define R8(p, off)	(*(volatile uint8_t *)((p) + (off)))
#define R16(p, off)	(*(volatile uint16_t *)((p) + (off)))
#define R32(p, off)	(*(volatile uint32_t *)((p) + (off)))

static void mem_barrier(void)
{
	__asm__ volatile("mfence" : : : "memory");
}

static void *zero(void *p, size_t n)
{
	volatile uint8_t *b = p;

	while (n--)
		*b++ = 0;
	return p;
}

static int find_device(struct vdev *d, uint16_t pci_device)
{
	unsigned int slot;

	for (slot = 1; slot < 32; slot++) {
		uint32_t id = cfg_read(slot, 0);

		if ((id & 0xffff) == 0x1af4 && id >> 16 == pci_device) {
			d->slot = slot;
			return 1;
		}
	}
	return 0;
}

/* Walk the virtio vendor capabilities (virtio 1.2, 4.1.4). */
static int map_caps(struct vdev *d)
{
	unsigned int off = cfg_read(d->slot, 0x34) & 0xfc;
	int n;

	for (n = 0; off && n < 32; n++) {
		uint8_t id = cfg_read(d->slot, off);
		uint8_t type = cfg_read(d->slot, off + 3);
		uint8_t bar = cfg_read(d->slot, off + 4);
		uint32_t where = cfg_read(d->slot, off + 8);
		uint8_t *base;

		if (id == 0x09 && bar < 6) {
			base = (uint8_t *)(uintptr_t)(bar_addr(d->slot, bar) + where);
			if (type == 1)
				d->common = base;
			if (type == 2) {
				d->notify = base;
				d->notify_mult = cfg_read(d->slot, off + 16);
			}
		}
		off = cfg_read(d->slot, off + 1) & 0xfc;
	}
	return d->common && d->notify;
}

/* Reset, negotiate VERSION_1 only, set up queue 0 for polling. */
static void virtio_init(struct vdev *d, unsigned int index)
{
	uint64_t ring = RING_BASE + index * 0x10000UL;
	uint32_t cmd = cfg_read(d->slot, 4) & 0xffff;
	uint16_t size;

	cfg_write32(d->slot, 4, cmd | 0x6);	/* memory, bus master */
	check(map_caps(d), FAIL_CAPS, "virtio capabilities found");

	R8(d->common, 0x14) = 0;
	check(R8(d->common, 0x14) == 0, FAIL_RESET, "device reset");
	R8(d->common, 0x14) = 1;		/* ACKNOWLEDGE */
	R8(d->common, 0x14) = 1 | 2;		/* DRIVER */
	R32(d->common, 0x00) = 1;
	check(R32(d->common, 0x04) & 1, FAIL_FEATURES, "VERSION_1 offered");
	R32(d->common, 0x08) = 0;
	R32(d->common, 0x0c) = 0;
	R32(d->common, 0x08) = 1;
	R32(d->common, 0x0c) = 1;		/* VERSION_1 */
	R8(d->common, 0x14) = 1 | 2 | 8;	/* FEATURES_OK */
	check(R8(d->common, 0x14) & 8, FAIL_FEATURES, "FEATURES_OK accepted");

	R16(d->common, 0x16) = 0;		/* queue_select */
	size = R16(d->common, 0x18);
	check(size >= QSIZE, FAIL_QUEUE, "queue 0 large enough");
	R16(d->common, 0x18) = QSIZE;
	R16(d->common, 0x1a) = 0xffff;		/* no MSI-X vector: we poll */
	d->desc = zero((void *)ring, 0x3000);
	d->avail = (volatile uint16_t *)(ring + 0x1000);
	d->used = (volatile uint16_t *)(ring + 0x2000);
	R32(d->common, 0x20) = (uint32_t)ring;
	R32(d->common, 0x24) = 0;
	R32(d->common, 0x28) = (uint32_t)(ring + 0x1000);
	R32(d->common, 0x2c) = 0;
	R32(d->common, 0x30) = (uint32_t)(ring + 0x2000);
	R32(d->common, 0x34) = 0;
	d->notify_off = R16(d->common, 0x1e);
	R16(d->common, 0x1c) = 1;		/* queue_enable */
	check(R16(d->common, 0x1c) == 1, FAIL_QUEUE, "queue 0 enabled");
	R8(d->common, 0x14) = 1 | 2 | 8 | 4;	/* DRIVER_OK */
	check(R8(d->common, 0x14) == 15, FAIL_QUEUE, "DRIVER_OK");
}

/* Post the chain at descriptor 0, kick, poll; return the used length. */
static uint32_t submit(struct vdev *d)
{
	volatile uint32_t *elem;
	unsigned long n;

	d->avail[2 + d->avail_idx % QSIZE] = 0;
	mem_barrier();
	d->avail[1] = ++d->avail_idx;
	mem_barrier();
	R16(d->notify, d->notify_off * d->notify_mult) = 0;
	for (n = 0; n < POLL_LIMIT; n++) {
		if (d->used[1] != d->used_idx)
			break;
		__asm__ volatile("pause");
	}
	check(n < POLL_LIMIT, FAIL_TIMEOUT, "request completed");
	mem_barrier();
	elem = (volatile uint32_t *)(d->used + 2) + 2 * (d->used_idx % QSIZE);
	d->used_idx++;
	return elem[1];
}

static void test_rng(void)
{
	struct vdev d = { 0 };
	uint8_t *buf = (uint8_t *)BUF_BASE;
	unsigned int round, i, nonzero;

	if (!find_device(&d, 0x1044))
		return;
	print("# virtio-rng\n");
	virtio_init(&d, 0);
	for (round = 0; round < RNG_ROUNDS; round++) {
		zero(buf, 64);
		d.desc[0].addr = BUF_BASE;
		d.desc[0].len = 64;
		d.desc[0].flags = 2;		/* WRITE */
		check(submit(&d) == 64, FAIL_RNG_DATA, "rng returned 64 bytes");
		for (i = 0, nonzero = 0; i < 64; i++)
			nonzero += buf[i] != 0;
		check(nonzero > 32, FAIL_RNG_DATA, "rng bytes look random");
	}
}

static int same(const volatile uint8_t *a, const char *b)
{
	while (*b)
		if (*a++ != (uint8_t)*b++)
			return 0;
	return 1;
}

/* One blk request: header, 512 data bytes, status (virtio 1.2, 5.2.6). */
static uint8_t blk_rw(struct vdev *d, uint32_t type, uint64_t sector,
		      uint8_t *data)
{
	volatile uint32_t *hdr = (uint32_t *)(BUF_BASE + 0x1000);
	volatile uint8_t *status = (uint8_t *)(BUF_BASE + 0x1100);

	hdr[0] = type;
	hdr[1] = 0;
	*(volatile uint64_t *)(hdr + 2) = sector;
	*status = 0xff;
	d->desc[0] = (struct desc){ (uintptr_t)hdr, 16, 1, 1 };
	d->desc[1] = (struct desc){ (uintptr_t)data, 512, type ? 1 : 3, 2 };
	d->desc[2] = (struct desc){ (uintptr_t)status, 1, 2, 0 };
	submit(d);
	return *status;
}

static void test_blk(void)
{
	struct vdev d = { 0 };
	uint8_t *data = (uint8_t *)(BUF_BASE + 0x2000);
	const char *s;
	unsigned int i;

	if (!find_device(&d, 0x1042))
		return;
	print("# virtio-blk\n");
	virtio_init(&d, 1);
	check(blk_rw(&d, 0, 0, data) == 0, FAIL_BLK_STATUS, "read sector 0");
	check(same(data, SECTOR0_MAGIC), FAIL_BLK_DATA, "sector 0 content");
	zero(data, 512);
	for (i = 0, s = SECTOR1_TEXT; *s; i++)
		data[i] = *s++;
	check(blk_rw(&d, 1, 1, data) == 0, FAIL_BLK_STATUS, "write sector 1");
	zero(data, 512);
	check(blk_rw(&d, 0, 1, data) == 0, FAIL_BLK_STATUS, "read sector 1");
	check(same(data, SECTOR1_TEXT), FAIL_BLK_DATA, "sector 1 read back");
}

void selftest_main(const uint8_t *zero_page)
{
	print("# kvirtio VMM self-test guest\n");
	check(*(const uint32_t *)(zero_page + 0x202) == 0x53726448,
	      FAIL_ZERO_PAGE, "zero page has the setup header");
	check(zero_page[0x1e8] >= 3, FAIL_ZERO_PAGE, "e820 map present");
	check(cfg_read(0, 0x08) >> 16 == 0x0600, FAIL_NO_DEVICE,
	      "host bridge at 00.0");
	test_rng();
	test_blk();
	finish(0);
}
