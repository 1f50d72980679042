// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the virtio-pci transport (virtio_pci.c).
 *
 * The tests play Linux's virtio_pci_modern driver: they find everything
 * through config space (capability walk, BAR sizing), then drive the
 * common config, notify, ISR, device config and MSI-X BARs exactly as the
 * driver does, over real split rings in the flat guest memory double.
 * The device and the host are the recording double of
 * kvirtio_test_vdev.c.
 */
#include <kunit/test.h>

#include "compat.h"
#include "virtio_pci.h"
#include "kvirtio_test_mem.h"
#include "kvirtio_test_vdev.h"

#define NQ		3
#define QMAX		64
#define BAR0_GPA	0x1fe000000ULL	/* above 4 GiB: both halves used */
#define BAR2_GPA	0x1fe100000ULL
#define BAR4_GPA	0x1fe200000ULL
#define BAR4_GPA32	0xfe200000ULL	/* the 32-bit MSI-X BAR (PIO notify) */
#define BAR5_PORT	0xc040ULL	/* the PIO notify BAR */
#define RING_GPA	(KVTD_MEM_BASE + 0x1000)
#define MSI_ADDR	0xfee00000ULL

#define S_ACK		VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_DRIVER	VIRTIO_CONFIG_S_DRIVER
#define S_FEAT		VIRTIO_CONFIG_S_FEATURES_OK
#define S_DOK		VIRTIO_CONFIG_S_DRIVER_OK
#define S_NR		VIRTIO_CONFIG_S_NEEDS_RESET
#define S_FAILED	VIRTIO_CONFIG_S_FAILED

#define F_V1		BIT_ULL(VIRTIO_F_VERSION_1)
#define F_RESET		BIT_ULL(40)	/* VIRTIO_F_RING_RESET */
#define F_A		BIT_ULL(KVTD_F_A)
#define F_B		BIT_ULL(KVTD_F_B)
#define F_HIGH		BIT_ULL(KVTD_F_HIGH)

#define Q_NDATA		56
#define Q_RESET		58

/* What the driver found by walking config space. */
struct drv {
	struct kunit *test;
	struct kvtd *d;
	struct kvirtio_pci *vp;
	u32 cap_common;
	u32 cap_notify;
	u32 cap_isr;
	u32 cap_device;
	u32 cap_pcicfg;
	u32 cap_msix;
	u8 common_bar;
	u32 common_off;
	u8 isr_bar;
	u32 isr_off;
	u8 dev_bar;
	u32 dev_off;
	u32 dev_len;
	u8 notify_bar;
	u32 notify_off;
	u32 notify_len;
	u32 mult;
	u8 msix_bar;
	u32 msix_table;
	u32 msix_pba;
	u64 bar_size[6];
	struct kvirtio_test_ring rings[NQ];
};

/* ---- Config space, as the PCI core reads it ---------------------------- */

static u32 cfg_r(struct drv *dr, u32 off, u32 w)
{
	return kvirtio_pci_config_read(dr->vp, off, w);
}

static void cfg_w(struct drv *dr, u32 off, u32 w, u32 v)
{
	kvirtio_pci_config_write(dr->vp, off, w, v);
}

/* pci_find_capability() + virtio_pci_find_capability(). */
static u32 find_cap(struct drv *dr, u8 id, int cfg_type)
{
	u32 pos, n = 0;

	if (!(cfg_r(dr, KVIRTIO_PCI_STATUS, 2) & KVIRTIO_PCI_STS_CAP_LIST))
		return 0;
	for (pos = cfg_r(dr, KVIRTIO_PCI_CAPABILITY_LIST, 1) & ~3u;
	     pos >= 0x40 && n < 48; pos = cfg_r(dr, pos + 1, 1) & ~3u, n++) {
		if (cfg_r(dr, pos, 1) != id)
			continue;
		if (cfg_type < 0 || cfg_r(dr, pos + 3, 1) == (u32)cfg_type)
			return pos;
	}
	return 0;
}

static bool bar_is_io(struct drv *dr, unsigned int bar)
{
	return cfg_r(dr, KVIRTIO_PCI_BAR0 + 4 * bar, 4) & 1;
}

static bool bar_is_64(struct drv *dr, unsigned int bar)
{
	return !bar_is_io(dr, bar) &&
	       (cfg_r(dr, KVIRTIO_PCI_BAR0 + 4 * bar, 4) & 6) == 4;
}

/* __pci_read_base(): all-ones, read back the mask, restore. */
static u64 size_bar(struct drv *dr, unsigned int bar)
{
	u32 reg = KVIRTIO_PCI_BAR0 + 4 * bar;
	bool io = bar_is_io(dr, bar), is64 = bar_is_64(dr, bar);
	u32 lo = cfg_r(dr, reg, 4), hi = is64 ? cfg_r(dr, reg + 4, 4) : 0;
	u64 mask;

	cfg_w(dr, reg, 4, 0xffffffff);
	if (is64)
		cfg_w(dr, reg + 4, 4, 0xffffffff);
	if (io)	/* 16 address bits of port space */
		mask = cfg_r(dr, reg, 4) & 0xfffc;
	else if (is64)
		mask = (u64)cfg_r(dr, reg + 4, 4) << 32 |
		       (cfg_r(dr, reg, 4) & ~0xfu);
	else
		mask = cfg_r(dr, reg, 4) & ~0xfu;
	cfg_w(dr, reg, 4, lo);
	if (is64)
		cfg_w(dr, reg + 4, 4, hi);
	if (!mask)
		return 0;
	if (io)
		return (~mask & 0xffff) + 1;
	return is64 ? ~mask + 1 : (u64)(u32)~mask + 1;
}

static void place_bar(struct drv *dr, unsigned int bar, u64 gpa)
{
	u32 reg = KVIRTIO_PCI_BAR0 + 4 * bar;

	cfg_w(dr, reg, 4, lower_32_bits(gpa));
	if (bar_is_64(dr, bar))
		cfg_w(dr, reg + 4, 4, upper_32_bits(gpa));
}

/* The probe: find the caps, size and place the BARs, enable decoding. */
static struct drv *drv_probe_flags(struct kunit *test, u64 features,
				   unsigned int pci_flags)
{
	struct drv *dr = kunit_kzalloc(test, sizeof(*dr), GFP_KERNEL);
	struct kvtd *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	u16 cmd = KVIRTIO_PCI_CMD_MEMORY | KVIRTIO_PCI_CMD_MASTER;
	unsigned int bar;
	u32 c;

	KUNIT_ASSERT_NOT_NULL(test, dr);
	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_ASSERT_EQ(test, kvtd_init_flags(d, NQ, QMAX, features, pci_flags),
			0);
	dr->test = test;
	dr->d = d;
	dr->vp = &d->vp;

	dr->cap_common = find_cap(dr, 0x09, VIRTIO_PCI_CAP_COMMON_CFG);
	dr->cap_notify = find_cap(dr, 0x09, VIRTIO_PCI_CAP_NOTIFY_CFG);
	dr->cap_isr = find_cap(dr, 0x09, VIRTIO_PCI_CAP_ISR_CFG);
	dr->cap_device = find_cap(dr, 0x09, VIRTIO_PCI_CAP_DEVICE_CFG);
	dr->cap_pcicfg = find_cap(dr, 0x09, VIRTIO_PCI_CAP_PCI_CFG);
	dr->cap_msix = find_cap(dr, KVIRTIO_PCI_CAP_ID_MSIX, -1);
	KUNIT_ASSERT_NE(test, dr->cap_common, 0u);
	KUNIT_ASSERT_NE(test, dr->cap_notify, 0u);
	KUNIT_ASSERT_NE(test, dr->cap_isr, 0u);
	KUNIT_ASSERT_NE(test, dr->cap_device, 0u);
	KUNIT_ASSERT_NE(test, dr->cap_pcicfg, 0u);
	KUNIT_ASSERT_NE(test, dr->cap_msix, 0u);

	c = dr->cap_common;
	dr->common_bar = cfg_r(dr, c + 4, 1);
	dr->common_off = cfg_r(dr, c + 8, 4);
	c = dr->cap_isr;
	dr->isr_bar = cfg_r(dr, c + 4, 1);
	dr->isr_off = cfg_r(dr, c + 8, 4);
	c = dr->cap_device;
	dr->dev_bar = cfg_r(dr, c + 4, 1);
	dr->dev_off = cfg_r(dr, c + 8, 4);
	dr->dev_len = cfg_r(dr, c + 12, 4);
	c = dr->cap_notify;
	dr->notify_bar = cfg_r(dr, c + 4, 1);
	dr->notify_off = cfg_r(dr, c + 8, 4);
	dr->notify_len = cfg_r(dr, c + 12, 4);
	dr->mult = cfg_r(dr, c + 16, 4);
	c = dr->cap_msix;
	dr->msix_bar = cfg_r(dr, c + 4, 4) & 7;
	dr->msix_table = cfg_r(dr, c + 4, 4) & ~7u;
	dr->msix_pba = cfg_r(dr, c + 8, 4) & ~7u;

	for (bar = 0; bar < 6; bar++) {
		dr->bar_size[bar] = size_bar(dr, bar);
		if (bar_is_64(dr, bar))
			bar++;
	}
	place_bar(dr, 0, BAR0_GPA);
	place_bar(dr, 2, BAR2_GPA);
	place_bar(dr, 4, bar_is_64(dr, 4) ? BAR4_GPA : BAR4_GPA32);
	if (dr->bar_size[5]) {
		place_bar(dr, 5, BAR5_PORT);
		cmd |= KVIRTIO_PCI_CMD_IO;
	}
	/* pci_enable_device(): I/O and memory, for the BARs there are. */
	cfg_w(dr, KVIRTIO_PCI_COMMAND, 2, cmd);
	return dr;
}

static struct drv *drv_probe(struct kunit *test, u64 features)
{
	return drv_probe_flags(test, features, 0);
}

static void drv_remove(struct drv *dr)
{
	struct kvtd *d = dr->d;

	kvirtio_pci_destroy(&d->vp);
	/* Every ring the transport mapped was unmapped. */
	KUNIT_EXPECT_EQ(dr->test, d->tm.live_maps, 0);
	/* No interrupt hook ran under the transport's irq_lock. */
	KUNIT_EXPECT_EQ(dr->test, d->hooks_locked, 0u);
	kvirtio_test_mem_destroy(&d->tm);
}

/* ---- BAR accesses, as ioread/iowrite do them ---------------------------- */

static u64 mmio_r(struct drv *dr, u8 bar, u64 off, u32 len)
{
	u8 buf[8] = {};
	u64 v = 0;
	u32 i;

	kvirtio_pci_bar_read(dr->vp, bar, off, buf, len);
	for (i = 0; i < len && i < 8; i++)
		v |= (u64)buf[i] << (8 * i);
	return v;
}

static int mmio_w(struct drv *dr, u8 bar, u64 off, u32 len, u64 v)
{
	u8 buf[8];
	u32 i;

	for (i = 0; i < len && i < 8; i++)
		buf[i] = v >> (8 * i);
	return kvirtio_pci_bar_write(dr->vp, bar, off, buf, len);
}

static u64 cr(struct drv *dr, u32 field, u32 len)
{
	return mmio_r(dr, dr->common_bar, dr->common_off + field, len);
}

static void cw(struct drv *dr, u32 field, u32 len, u64 v)
{
	mmio_w(dr, dr->common_bar, dr->common_off + field, len, v);
}

static u8 status(struct drv *dr)
{
	return cr(dr, VIRTIO_PCI_COMMON_STATUS, 1);
}

/* virtio core: set_status(get_status() | bit). */
static void add_status(struct drv *dr, u8 bit)
{
	cw(dr, VIRTIO_PCI_COMMON_STATUS, 1, status(dr) | bit);
}

static u64 dev_features(struct drv *dr)
{
	u64 f;

	cw(dr, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	f = cr(dr, VIRTIO_PCI_COMMON_DF, 4);
	cw(dr, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	return f | cr(dr, VIRTIO_PCI_COMMON_DF, 4) << 32;
}

static void set_driver_features(struct drv *dr, u64 f)
{
	cw(dr, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	cw(dr, VIRTIO_PCI_COMMON_GF, 4, lower_32_bits(f));
	cw(dr, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	cw(dr, VIRTIO_PCI_COMMON_GF, 4, upper_32_bits(f));
}

static void drv_reset(struct drv *dr)
{
	unsigned int n = 0;

	cw(dr, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	while (status(dr) && n++ < 100)
		;
	KUNIT_EXPECT_EQ(dr->test, status(dr), 0);
}

/* Up to FEATURES_OK; returns whether the device accepted the features. */
static bool drv_negotiate(struct drv *dr, u64 features)
{
	drv_reset(dr);
	add_status(dr, S_ACK);
	add_status(dr, S_DRIVER);
	set_driver_features(dr, features);
	add_status(dr, S_FEAT);
	return status(dr) & S_FEAT;
}

static void msix_program(struct drv *dr, u16 v, bool masked)
{
	u32 e = dr->msix_table + v * 16;

	mmio_w(dr, dr->msix_bar, e, 4, lower_32_bits(MSI_ADDR));
	mmio_w(dr, dr->msix_bar, e + 4, 4, upper_32_bits(MSI_ADDR));
	mmio_w(dr, dr->msix_bar, e + 8, 4, 0x4000 + v);
	mmio_w(dr, dr->msix_bar, e + 12, 4, masked);
}

/* pci_alloc_irq_vectors(MSI-X): enable, unmask the entries used. */
static void msix_enable(struct drv *dr)
{
	u32 ctrl = dr->cap_msix + 2;
	u16 v;

	for (v = 0; v <= NQ; v++)
		msix_program(dr, v, false);
	cfg_w(dr, ctrl, 2, cfg_r(dr, ctrl, 2) | 0x8000);
}

static void setup_queue(struct drv *dr, u16 q, u16 size, u16 vector,
			u64 gpa)
{
	struct kvirtio_test_ring *r = &dr->rings[q];

	cw(dr, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
	KUNIT_EXPECT_EQ(dr->test, cr(dr, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	KUNIT_EXPECT_EQ(dr->test, cr(dr, VIRTIO_PCI_COMMON_Q_SIZE, 2), QMAX);
	kvirtio_test_ring_place(r, &dr->d->tm, size, gpa);
	cw(dr, VIRTIO_PCI_COMMON_Q_SIZE, 2, size);
	cw(dr, VIRTIO_PCI_COMMON_Q_DESCLO, 4, lower_32_bits(r->desc));
	cw(dr, VIRTIO_PCI_COMMON_Q_DESCHI, 4, upper_32_bits(r->desc));
	cw(dr, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, lower_32_bits(r->avail));
	cw(dr, VIRTIO_PCI_COMMON_Q_AVAILHI, 4, upper_32_bits(r->avail));
	cw(dr, VIRTIO_PCI_COMMON_Q_USEDLO, 4, lower_32_bits(r->used));
	cw(dr, VIRTIO_PCI_COMMON_Q_USEDHI, 4, upper_32_bits(r->used));
	cw(dr, VIRTIO_PCI_COMMON_Q_MSIX, 2, vector);
	KUNIT_EXPECT_EQ(dr->test, cr(dr, VIRTIO_PCI_COMMON_Q_MSIX, 2), vector);
}

static void enable_queue(struct drv *dr, u16 q)
{
	cw(dr, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
	cw(dr, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
}

static u64 ring_gpa(u16 q)
{
	return RING_GPA + q * 0x2000ULL;
}

/*
 * The whole of virtio_pci_modern's probe + virtio core init: features,
 * MSI-X (config on vector 0, queue q on vector q + 1), every queue,
 * DRIVER_OK.
 */
static void drv_bringup(struct drv *dr, u64 features, bool msix)
{
	struct kunit *test = dr->test;
	u16 q;

	KUNIT_ASSERT_TRUE(test, drv_negotiate(dr, features));
	if (msix)
		msix_enable(dr);
	cw(dr, VIRTIO_PCI_COMMON_MSIX, 2, msix ? 0 : VIRTIO_MSI_NO_VECTOR);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_MSIX, 2),
			msix ? 0 : VIRTIO_MSI_NO_VECTOR);
	KUNIT_ASSERT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_NUMQ, 2), NQ);
	for (q = 0; q < NQ; q++)
		setup_queue(dr, q, QMAX, msix ? q + 1 : VIRTIO_MSI_NO_VECTOR,
			    ring_gpa(q));
	for (q = 0; q < NQ; q++) {
		enable_queue(dr, q);
		KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	}
	add_status(dr, S_DOK);
	KUNIT_ASSERT_EQ(test, status(dr), S_ACK | S_DRIVER | S_FEAT | S_DOK);
}

/* vp_notify(): a 16-bit write of the queue index at its notify address. */
static int kick(struct drv *dr, u16 q)
{
	u32 noff;

	cw(dr, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
	noff = cr(dr, VIRTIO_PCI_COMMON_Q_NOFF, 2);
	return mmio_w(dr, dr->notify_bar, dr->notify_off + noff * dr->mult,
		      2, q);
}

static u8 isr_read(struct drv *dr)
{
	return mmio_r(dr, dr->isr_bar, dr->isr_off, 1);
}

/* ---- Identity and layout ---------------------------------------------- */

static void vp_pci_identity(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);

	KUNIT_EXPECT_EQ(test, cfg_r(dr, 0x00, 2), 0x1af4u);
	KUNIT_EXPECT_EQ(test, cfg_r(dr, 0x02, 2), 0x1040u + VIRTIO_ID_RNG);
	KUNIT_EXPECT_GE(test, cfg_r(dr, 0x08, 1), 1u);
	KUNIT_EXPECT_EQ(test, cfg_r(dr, 0x09, 4) & 0xffffff, 0xff0000u);
	KUNIT_EXPECT_EQ(test, cfg_r(dr, 0x2c, 2), 0x1af4u);
	KUNIT_EXPECT_GE(test, cfg_r(dr, 0x2e, 2), 0x40u);
	KUNIT_EXPECT_EQ(test, cfg_r(dr, 0x0e, 1), 0u);
	KUNIT_EXPECT_EQ(test, cfg_r(dr, 0x3d, 1), 1u);
	KUNIT_EXPECT_TRUE(test, cfg_r(dr, 0x06, 2) & KVIRTIO_PCI_STS_CAP_LIST);
	drv_remove(dr);
}

static void vp_caps_layout(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);
	u32 caps[] = { dr->cap_common, dr->cap_notify, dr->cap_isr,
		       dr->cap_device };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(caps); i++) {
		u8 bar = cfg_r(dr, caps[i] + 4, 1);
		u32 off = cfg_r(dr, caps[i] + 8, 4);
		u32 len = cfg_r(dr, caps[i] + 12, 4);

		KUNIT_EXPECT_GE(test, cfg_r(dr, caps[i] + 2, 1), 16u);
		KUNIT_ASSERT_LT(test, bar, 6);
		KUNIT_EXPECT_NE(test, len, 0u);
		KUNIT_EXPECT_LE(test, (u64)off + len, dr->bar_size[bar]);
	}
	/* Alignment: common and device 4, notify 2 (4.1.4.1). */
	KUNIT_EXPECT_EQ(test, dr->common_off % 4, 0u);
	KUNIT_EXPECT_EQ(test, dr->dev_off % 4, 0u);
	KUNIT_EXPECT_EQ(test, dr->notify_off % 2, 0u);
	KUNIT_EXPECT_GE(test, cfg_r(dr, dr->cap_common + 12, 4), 0x40u);
	KUNIT_EXPECT_EQ(test, dr->dev_len, (u32)KVTD_CONFIG_SIZE);
	/* notify_off_multiplier: 0 or an even power of two (4.1.4.4). */
	KUNIT_EXPECT_TRUE(test, dr->mult == 0 ||
			  (is_power_of_2(dr->mult) && dr->mult % 2 == 0));
	KUNIT_EXPECT_GE(test, cfg_r(dr, dr->cap_notify + 2, 1), 20u);
	/* Notify is alone in its BAR: the whole BAR can go to ioeventfds. */
	KUNIT_EXPECT_NE(test, dr->notify_bar, dr->common_bar);
	KUNIT_EXPECT_NE(test, dr->notify_bar, dr->msix_bar);
	/* PCI_CFG cap has its data window. */
	KUNIT_EXPECT_GE(test, cfg_r(dr, dr->cap_pcicfg + 2, 1), 20u);
	/* MSI-X: one vector per queue plus config, table and PBA in a BAR. */
	KUNIT_EXPECT_EQ(test, (cfg_r(dr, dr->cap_msix + 2, 2) & 0x7ff) + 1,
			NQ + 1u);
	KUNIT_EXPECT_LE(test, dr->msix_table + 16 * (NQ + 1),
			dr->bar_size[dr->msix_bar]);
	KUNIT_EXPECT_LE(test, dr->msix_pba + 8, dr->bar_size[dr->msix_bar]);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_msix_vectors(dr->vp), NQ + 1);
	drv_remove(dr);
}

static void vp_notify_region_covers_queues(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);
	struct kvirtio_pci_layout lay;
	u16 q;

	for (q = 0; q < NQ; q++) {
		u32 noff;

		cw(dr, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		noff = cr(dr, VIRTIO_PCI_COMMON_Q_NOFF, 2);
		KUNIT_EXPECT_LE(test, noff * dr->mult + 2, dr->notify_len);
		KUNIT_EXPECT_EQ(test, kvirtio_pci_queue_notify_offset(dr->vp, q),
				(u64)dr->notify_off + noff * dr->mult);
	}
	kvirtio_pci_get_layout(dr->vp, &lay);
	KUNIT_EXPECT_EQ(test, lay.notify_bar, (u32)dr->notify_bar);
	KUNIT_EXPECT_EQ(test, lay.notify_off_multiplier, dr->mult);
	KUNIT_EXPECT_EQ(test, lay.msix_bar, (u32)dr->msix_bar);
	KUNIT_EXPECT_EQ(test, lay.msix_pba_offset, (u64)dr->msix_pba);
	KUNIT_EXPECT_EQ(test, lay.bar_size[0], dr->bar_size[0]);
	KUNIT_EXPECT_EQ(test, lay.bar_size[2], dr->bar_size[2]);
	KUNIT_EXPECT_EQ(test, lay.bar_size[4], dr->bar_size[4]);
	KUNIT_EXPECT_EQ(test, lay.bar_size[1], 0ULL);
	drv_remove(dr);
}

static void vp_bar_sizing_and_address(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);
	unsigned int calls;

	KUNIT_EXPECT_EQ(test, dr->bar_size[0], kvirtio_pci_bar_size(dr->vp, 0));
	KUNIT_EXPECT_TRUE(test, is_power_of_2(dr->bar_size[0]));
	KUNIT_EXPECT_TRUE(test, is_power_of_2(dr->bar_size[2]));
	KUNIT_EXPECT_TRUE(test, is_power_of_2(dr->bar_size[4]));
	/* 64-bit memory BARs. */
	KUNIT_EXPECT_EQ(test, cfg_r(dr, 0x10, 4) & 0x7, 0x4u);
	KUNIT_EXPECT_EQ(test, cfg_r(dr, 0x18, 4) & 0x7, 0x4u);
	KUNIT_EXPECT_EQ(test, cfg_r(dr, 0x20, 4) & 0x7, 0x4u);
	/* The guest's addresses reach the host, and the host is told. */
	KUNIT_EXPECT_EQ(test, kvirtio_pci_bar_addr(dr->vp, 0), BAR0_GPA);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_bar_addr(dr->vp, 2), BAR2_GPA);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_bar_addr(dr->vp, 4), BAR4_GPA);
	KUNIT_EXPECT_TRUE(test, kvirtio_pci_memory_enabled(dr->vp));
	calls = dr->d->bar_changed_calls;
	place_bar(dr, 2, 0xc0000000ULL);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_bar_addr(dr->vp, 2), 0xc0000000ULL);
	KUNIT_EXPECT_GT(test, dr->d->bar_changed_calls, calls);
	drv_remove(dr);
}

/*
 * KVIRTIO_PCI_F_PIO_NOTIFY: virtio_pci_find_capability() takes the first
 * NOTIFY_CFG it can map, which must be the I/O one; the MMIO one stays
 * behind it for drivers without port I/O.
 */
static void vp_pio_notify_layout(struct kunit *test)
{
	struct drv *dr = drv_probe_flags(test, F_A, KVIRTIO_PCI_F_PIO_NOTIFY);
	struct kvirtio_pci_layout lay;
	u32 mmio_cap;

	KUNIT_EXPECT_EQ(test, dr->notify_bar, KVIRTIO_PCI_BAR_PIO_NOTIFY);
	KUNIT_EXPECT_EQ(test, dr->mult, (u32)KVIRTIO_PCI_NOTIFY_MULT);
	KUNIT_EXPECT_GE(test, dr->notify_len, NQ * dr->mult);
	KUNIT_EXPECT_TRUE(test, bar_is_io(dr, 5));
	KUNIT_EXPECT_EQ(test, dr->bar_size[5], 16ULL);	/* 3 queues * 4 */
	KUNIT_EXPECT_LE(test, (u64)dr->notify_off + dr->notify_len,
			dr->bar_size[5]);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_bar_addr(dr->vp, 5), BAR5_PORT);
	/* MSI-X: a 32-bit BAR now, still where the capability says. */
	KUNIT_EXPECT_FALSE(test, bar_is_64(dr, 4));
	KUNIT_EXPECT_EQ(test, dr->msix_bar, 4);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_bar_addr(dr->vp, 4), BAR4_GPA32);
	KUNIT_EXPECT_GE(test, dr->bar_size[4], (u64)dr->msix_pba + 8);

	mmio_cap = dr->cap_notify;
	do {
		mmio_cap = cfg_r(dr, mmio_cap + 1, 1);
	} while (mmio_cap && (cfg_r(dr, mmio_cap, 1) != 0x09 ||
			      cfg_r(dr, mmio_cap + 3, 1) !=
			      VIRTIO_PCI_CAP_NOTIFY_CFG));
	KUNIT_ASSERT_NE(test, mmio_cap, 0u);
	KUNIT_EXPECT_EQ(test, cfg_r(dr, mmio_cap + 4, 1),
			(u32)KVIRTIO_PCI_BAR_NOTIFY);
	KUNIT_EXPECT_EQ(test, cfg_r(dr, mmio_cap + 16, 4), dr->mult);

	kvirtio_pci_get_layout(dr->vp, &lay);
	KUNIT_EXPECT_TRUE(test, lay.pio_notify);
	KUNIT_EXPECT_EQ(test, lay.pio_notify_bar,
			(u32)KVIRTIO_PCI_BAR_PIO_NOTIFY);
	KUNIT_EXPECT_EQ(test, lay.pio_notify_off_multiplier, dr->mult);
	KUNIT_EXPECT_EQ(test, lay.pio_notify_offset, (u64)dr->notify_off);
	KUNIT_EXPECT_EQ(test, lay.bar_size[5], dr->bar_size[5]);
	KUNIT_EXPECT_EQ(test, lay.notify_bar, (u32)KVIRTIO_PCI_BAR_NOTIFY);
	drv_remove(dr);
}

static void vp_pio_notify_kicks(struct kunit *test)
{
	struct drv *dr = drv_probe_flags(test, F_A, KVIRTIO_PCI_F_PIO_NOTIFY);
	struct kvtd *d = dr->d;
	unsigned int calls;
	u64 bad;

	drv_bringup(dr, F_V1 | F_A, true);
	KUNIT_EXPECT_EQ(test, kick(dr, 1), 0);
	KUNIT_EXPECT_EQ(test, d->kicks[1], 1u);
	/* The MMIO notify area keeps working next to it. */
	KUNIT_EXPECT_EQ(test, mmio_w(dr, KVIRTIO_PCI_BAR_NOTIFY,
				     2 * KVIRTIO_PCI_NOTIFY_MULT, 2, 2), 0);
	KUNIT_EXPECT_EQ(test, d->kicks[2], 1u);

	/* I/O decoding off: the host is told, and ports stop decoding. */
	calls = d->bar_changed_calls;
	cfg_w(dr, KVIRTIO_PCI_COMMAND, 2,
	      KVIRTIO_PCI_CMD_MEMORY | KVIRTIO_PCI_CMD_MASTER);
	KUNIT_EXPECT_FALSE(test, kvirtio_pci_io_enabled(dr->vp));
	KUNIT_EXPECT_FALSE(test, kvirtio_pci_bar_decoded(dr->vp, 5));
	KUNIT_EXPECT_TRUE(test, kvirtio_pci_bar_decoded(dr->vp, 2));
	KUNIT_EXPECT_EQ(test, d->bar_changed_calls, calls + 1);
	bad = dr->vp->stats.bad_access;
	KUNIT_EXPECT_EQ(test, kick(dr, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, d->kicks[1], 1u);
	KUNIT_EXPECT_EQ(test, dr->vp->stats.bad_access, bad + 1);
	/* Memory decoding off does not stop the port. */
	cfg_w(dr, KVIRTIO_PCI_COMMAND, 2, KVIRTIO_PCI_CMD_IO);
	KUNIT_EXPECT_EQ(test, mmio_w(dr, 5, KVIRTIO_PCI_NOTIFY_MULT, 2, 1), 0);
	KUNIT_EXPECT_EQ(test, d->kicks[1], 2u);
	cfg_w(dr, KVIRTIO_PCI_COMMAND, 2, KVIRTIO_PCI_CMD_IO |
	      KVIRTIO_PCI_CMD_MEMORY | KVIRTIO_PCI_CMD_MASTER);

	/* Moving the I/O BAR is reported for that BAR. */
	calls = d->bar_changed_calls;
	place_bar(dr, 5, 0xd000);
	KUNIT_EXPECT_EQ(test, d->bar_changed_calls, calls + 1);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_bar_addr(dr->vp, 5), 0xd000ULL);
	/* Ports above 64 KiB do not exist. */
	place_bar(dr, 5, 0x12340);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_bar_addr(dr->vp, 5), 0x2340ULL);

	/* Write-only, one slot per queue, nothing past the last queue. */
	KUNIT_EXPECT_EQ(test, mmio_r(dr, 5, 0, 2), 0xffffULL);
	KUNIT_EXPECT_EQ(test, mmio_w(dr, 5, NQ * KVIRTIO_PCI_NOTIFY_MULT, 2,
				     NQ), -EINVAL);
	KUNIT_EXPECT_EQ(test, mmio_w(dr, 5, 2, 2, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, d->kick_total, 3u);

	/* A function reset clears the port and I/O decoding. */
	kvirtio_pci_function_reset(dr->vp);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_bar_addr(dr->vp, 5), 0ULL);
	KUNIT_EXPECT_FALSE(test, kvirtio_pci_io_enabled(dr->vp));
	drv_remove(dr);
}

static void vp_pio_notify_refused(struct kunit *test)
{
	struct kvtd *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	struct kvirtio_pci *vp = kunit_kzalloc(test, sizeof(*vp), GFP_KERNEL);
	struct kvirtio_device vdev;
	struct kvirtio_pci_layout lay;

	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_ASSERT_NOT_NULL(test, vp);
	KUNIT_EXPECT_EQ(test, kvtd_init_flags(d, 1, QMAX, 0, 0x2), -EINVAL);
	/* Without the flag: no I/O BAR, and I/O space stays read-only. */
	KUNIT_ASSERT_EQ(test, kvtd_init(d, 1, QMAX, 0), 0);
	kvirtio_pci_get_layout(&d->vp, &lay);
	KUNIT_EXPECT_FALSE(test, lay.pio_notify);
	KUNIT_EXPECT_EQ(test, lay.bar_size[5], 0ULL);
	kvirtio_pci_config_write(&d->vp, KVIRTIO_PCI_COMMAND, 2,
				 KVIRTIO_PCI_CMD_IO | KVIRTIO_PCI_CMD_MEMORY);
	KUNIT_EXPECT_FALSE(test, kvirtio_pci_io_enabled(&d->vp));
	KUNIT_EXPECT_NE(test, kvirtio_pci_bar_write(&d->vp, 5, 0, "\0", 1),
			0);

	/* 65 queues do not fit a 256-byte I/O BAR. */
	vdev = d->vdev;
	vdev.queues = NULL;
	vdev.num_queues = KVIRTIO_PCI_PIO_NOTIFY_MAX_QUEUES + 1;
	KUNIT_EXPECT_EQ(test, kvirtio_pci_init(vp, &vdev,
					       KVIRTIO_PCI_F_PIO_NOTIFY,
					       NULL, NULL), -EINVAL);
	kvtd_destroy(d);
}

/* ---- Bring-up, data path, reset --------------------------------------- */

static void vp_linux_bringup_kick_irq(struct kunit *test)
{
	struct drv *dr = drv_probe(test, F_A);
	struct kvtd *d = dr->d;
	struct kvirtio_test_buf buf = { KVTD_MEM_BASE + 0x80000, 64, true };
	struct kvirtio_desc descs[4];
	struct kvirtio_chain chain = { .descs = descs, .capacity = 4 };
	u64 f;
	u16 head;

	f = dev_features(dr);
	KUNIT_EXPECT_TRUE(test, f & F_V1);
	KUNIT_EXPECT_TRUE(test, f & F_A);
	KUNIT_EXPECT_TRUE(test, f & F_RESET);
	drv_bringup(dr, F_V1 | F_A, true);
	KUNIT_EXPECT_EQ(test, d->vdev.driver_features, F_V1 | F_A);
	KUNIT_EXPECT_EQ(test, d->enable_calls, NQ);
	KUNIT_EXPECT_EQ(test, d->driver_ok_calls, 1u);
	KUNIT_EXPECT_EQ(test, d->tm.live_maps, 3 * NQ);

	/* The guest posts a buffer and kicks queue 1. */
	head = kvirtio_test_add_chain(&dr->rings[1], 0, &buf, 1);
	kvirtio_test_avail_add(&dr->rings[1], head);
	kvirtio_test_avail_publish(&dr->rings[1]);
	KUNIT_EXPECT_EQ(test, kick(dr, 1), 0);
	KUNIT_EXPECT_EQ(test, d->kicks[1], 1u);
	KUNIT_EXPECT_EQ(test, d->kick_total, 1u);

	/* The worker consumes it from the rings the transport set up. */
	KUNIT_ASSERT_EQ(test, kvirtio_queue_pop(&d->vqs[1], &chain), 0);
	KUNIT_EXPECT_EQ(test, chain.head, head);
	KUNIT_EXPECT_EQ(test, kvirtio_queue_push(&d->vqs[1], head, 64), 0);
	kvirtio_queue_flush(&d->vqs[1]);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&dr->rings[1]), 1);

	/* Queue 1's interrupt is MSI-X vector 2; ISR queue bit untouched. */
	kvirtio_device_queue_interrupt(&d->vdev, 1);
	KUNIT_ASSERT_EQ(test, d->nmsix, 1u);
	KUNIT_EXPECT_EQ(test, d->msix_log[0], 2);
	KUNIT_EXPECT_EQ(test, d->intx_raises, 0u);
	KUNIT_EXPECT_EQ(test, isr_read(dr) & 1, 0);

	/* Device config read through the DEVICE_CFG window. */
	KUNIT_EXPECT_EQ(test, mmio_r(dr, dr->dev_bar, dr->dev_off, 4),
			0xa3a2a1a0ULL);
	KUNIT_EXPECT_EQ(test, mmio_r(dr, dr->dev_bar, dr->dev_off + 8, 1),
			0xa8ULL);
	drv_remove(dr);
}

static void vp_reset_and_reinit(struct kunit *test)
{
	struct drv *dr = drv_probe(test, F_A);
	struct kvtd *d = dr->d;
	unsigned int resets;
	u16 q;

	drv_bringup(dr, F_V1 | F_A, true);
	resets = d->reset_calls;
	cw(dr, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	/* Status was still non-zero while the device was resetting. */
	KUNIT_EXPECT_EQ(test, d->status_seen, S_ACK | S_DRIVER | S_FEAT | S_DOK);
	KUNIT_EXPECT_EQ(test, d->reset_calls, resets + 1);
	KUNIT_EXPECT_EQ(test, d->disable_calls, NQ);
	KUNIT_EXPECT_EQ(test, d->disabled_mask, (1u << NQ) - 1);
	KUNIT_EXPECT_EQ(test, status(dr), 0);
	KUNIT_EXPECT_EQ(test, d->tm.live_maps, 0);
	KUNIT_EXPECT_EQ(test, d->vdev.driver_features, 0ULL);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_MSIX, 2),
			VIRTIO_MSI_NO_VECTOR);
	for (q = 0; q < NQ; q++) {
		cw(dr, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
		KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_MSIX, 2),
				VIRTIO_MSI_NO_VECTOR);
		KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_SIZE, 2), QMAX);
	}
	/* Nothing gets through after the reset. */
	kvirtio_pci_notify(dr->vp, 0);
	kvirtio_device_queue_interrupt(&d->vdev, 0);
	KUNIT_EXPECT_EQ(test, d->kick_total, 0u);
	KUNIT_EXPECT_EQ(test, d->nmsix, 0u);

	/* A second full initialisation works. */
	drv_bringup(dr, F_V1, true);
	KUNIT_EXPECT_EQ(test, kick(dr, 2), 0);
	KUNIT_EXPECT_EQ(test, d->kicks[2], 1u);
	drv_remove(dr);
}

static void vp_function_reset(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);
	struct kvirtio_pci_msix_entry e;
	unsigned int resets;

	drv_bringup(dr, F_V1, true);
	resets = dr->d->reset_calls;
	kvirtio_pci_function_reset(dr->vp);
	KUNIT_EXPECT_EQ(test, dr->d->reset_calls, resets + 1);
	KUNIT_EXPECT_EQ(test, dr->d->tm.live_maps, 0);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_bar_addr(dr->vp, 0), 0ULL);
	KUNIT_EXPECT_FALSE(test, kvirtio_pci_memory_enabled(dr->vp));
	KUNIT_EXPECT_EQ(test, cfg_r(dr, dr->cap_msix + 2, 2) & 0xc000, 0u);
	KUNIT_ASSERT_EQ(test, kvirtio_pci_msix_entry(dr->vp, 1, &e), 0);
	KUNIT_EXPECT_TRUE(test, e.masked);
	KUNIT_EXPECT_FALSE(test, e.enabled);
	KUNIT_EXPECT_EQ(test, e.addr, 0ULL);
	drv_remove(dr);
}

/* ---- Features and status ---------------------------------------------- */

static void vp_features_64bit_select(struct kunit *test)
{
	struct drv *dr = drv_probe(test, F_HIGH | F_A);

	cw(dr, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_DFSELECT, 4), 1);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_DF, 4),
			(u64)upper_32_bits(F_HIGH | F_V1 | F_RESET));
	cw(dr, VIRTIO_PCI_COMMON_DFSELECT, 4, 2);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_DF, 4), 0);
	KUNIT_EXPECT_EQ(test, dev_features(dr), F_HIGH | F_A | F_V1 | F_RESET);
	/* device_feature is read-only. */
	cw(dr, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	cw(dr, VIRTIO_PCI_COMMON_DF, 4, 0);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_DF, 4), F_A);

	KUNIT_ASSERT_TRUE(test, drv_negotiate(dr, F_V1 | F_HIGH));
	cw(dr, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_GF, 4),
			(u64)upper_32_bits(F_V1 | F_HIGH));
	KUNIT_EXPECT_EQ(test, dr->d->vdev.driver_features, F_V1 | F_HIGH);
	/* Frozen after FEATURES_OK. */
	cw(dr, VIRTIO_PCI_COMMON_GF, 4, 0);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_GF, 4),
			(u64)upper_32_bits(F_V1 | F_HIGH));
	drv_remove(dr);
}

static void vp_features_refused(struct kunit *test)
{
	struct drv *dr = drv_probe(test, F_A | F_B);

	/* No VERSION_1: refused, the bit stays clear. */
	KUNIT_EXPECT_FALSE(test, drv_negotiate(dr, F_A));
	KUNIT_EXPECT_EQ(test, status(dr), S_ACK | S_DRIVER);
	/* A bit the device never offered. */
	KUNIT_EXPECT_FALSE(test, drv_negotiate(dr, F_V1 | BIT_ULL(5)));
	KUNIT_EXPECT_FALSE(test, drv_negotiate(dr, F_V1 | F_HIGH));
	/* A transport bit the transport cannot honour (packed ring). */
	KUNIT_EXPECT_FALSE(test, drv_negotiate(dr, F_V1 | BIT_ULL(34)));
	/* A missing dependency: B without A (the device's check). */
	KUNIT_EXPECT_FALSE(test, drv_negotiate(dr, F_V1 | F_B));
	KUNIT_EXPECT_GE(test, dr->d->validate_calls, 1u);
	KUNIT_EXPECT_EQ(test, dr->vp->stats.features_refused, 5u);
	KUNIT_EXPECT_EQ(test, dr->d->vdev.driver_features, 0ULL);
	/* A queue cannot be enabled without FEATURES_OK. */
	setup_queue(dr, 0, QMAX, VIRTIO_MSI_NO_VECTOR, ring_gpa(0));
	enable_queue(dr, 0);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	/* Nor can DRIVER_OK be set. */
	add_status(dr, S_DOK);
	KUNIT_EXPECT_FALSE(test, status(dr) & S_DOK);
	KUNIT_EXPECT_EQ(test, dr->d->driver_ok_calls, 0u);
	/* And the good set is accepted. */
	KUNIT_EXPECT_TRUE(test, drv_negotiate(dr, F_V1 | F_A | F_B));
	KUNIT_EXPECT_EQ(test, dr->d->vdev.driver_features, F_V1 | F_A | F_B);
	drv_remove(dr);
}

static void vp_status_order(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);

	/* DRIVER without ACKNOWLEDGE. */
	cw(dr, VIRTIO_PCI_COMMON_STATUS, 1, S_DRIVER);
	KUNIT_EXPECT_EQ(test, status(dr), 0);
	/* FEATURES_OK without DRIVER. */
	cw(dr, VIRTIO_PCI_COMMON_STATUS, 1, S_ACK | S_FEAT);
	KUNIT_EXPECT_EQ(test, status(dr), S_ACK);
	add_status(dr, S_DRIVER);
	/* Clearing a bit other than by reset is refused. */
	cw(dr, VIRTIO_PCI_COMMON_STATUS, 1, S_ACK);
	KUNIT_EXPECT_EQ(test, status(dr), S_ACK | S_DRIVER);
	/* The driver cannot set NEEDS_RESET. */
	cw(dr, VIRTIO_PCI_COMMON_STATUS, 1, S_ACK | S_DRIVER | S_NR);
	KUNIT_EXPECT_EQ(test, status(dr), S_ACK | S_DRIVER);
	/* FAILED is accepted at any time. */
	add_status(dr, S_FAILED);
	KUNIT_EXPECT_EQ(test, status(dr), S_ACK | S_DRIVER | S_FAILED);
	KUNIT_EXPECT_GE(test, dr->vp->stats.status_refused, 3u);
	drv_remove(dr);
}

/* ---- Queue registers --------------------------------------------------- */

static void vp_queue_size_rules(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);

	KUNIT_ASSERT_TRUE(test, drv_negotiate(dr, F_V1));
	cw(dr, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_SIZE, 2), QMAX);
	cw(dr, VIRTIO_PCI_COMMON_Q_SIZE, 2, 16);	/* shrink */
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_SIZE, 2), 16);
	cw(dr, VIRTIO_PCI_COMMON_Q_SIZE, 2, 24);	/* not a power of 2 */
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_SIZE, 2), 16);
	cw(dr, VIRTIO_PCI_COMMON_Q_SIZE, 2, 0);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_SIZE, 2), 16);
	cw(dr, VIRTIO_PCI_COMMON_Q_SIZE, 2, 2 * QMAX);	/* grow */
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_SIZE, 2), 16);
	KUNIT_EXPECT_EQ(test, dr->vp->stats.ignored_writes, 3u);
	/* A queue that does not exist has size 0 and takes no writes. */
	cw(dr, VIRTIO_PCI_COMMON_Q_SELECT, 2, NQ);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	cw(dr, VIRTIO_PCI_COMMON_Q_SIZE, 2, 8);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	cw(dr, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	/* A shrunk queue really runs at that size. */
	setup_queue(dr, 1, 16, VIRTIO_MSI_NO_VECTOR, ring_gpa(1));
	enable_queue(dr, 1);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	KUNIT_EXPECT_EQ(test, dr->d->vqs[1].ring.size, 16);
	drv_remove(dr);
}

static void vp_queue_addr_halves(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);

	cw(dr, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	cw(dr, VIRTIO_PCI_COMMON_Q_DESCHI, 4, 0x12345678);
	cw(dr, VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0x9abcdef0);
	cw(dr, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, 0x11110000);
	cw(dr, VIRTIO_PCI_COMMON_Q_USEDHI, 4, 0x7);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_DESCLO, 4),
			0x9abcdef0ULL);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_DESCHI, 4),
			0x12345678ULL);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_DESCLO, 8),
			0x123456789abcdef0ULL);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_AVAILHI, 4), 0);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_USEDLO, 4), 0);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_USEDHI, 4), 7);
	/* Rewriting one half leaves the other alone. */
	cw(dr, VIRTIO_PCI_COMMON_Q_DESCHI, 4, 0);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_DESCLO, 8),
			0x9abcdef0ULL);
	/* Per queue: queue 0 was not touched. */
	cw(dr, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_DESCLO, 8), 0);
	drv_remove(dr);
}

static void vp_queue_writes_while_enabled_ignored(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);
	u64 ignored;

	drv_bringup(dr, F_V1, true);
	ignored = dr->vp->stats.ignored_writes;
	cw(dr, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	cw(dr, VIRTIO_PCI_COMMON_Q_SIZE, 2, 8);
	cw(dr, VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0x2000);
	cw(dr, VIRTIO_PCI_COMMON_Q_MSIX, 2, 0);
	cw(dr, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 0);
	cw(dr, VIRTIO_PCI_COMMON_Q_NOFF, 2, 9);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_SIZE, 2), QMAX);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_DESCLO, 4),
			(u64)lower_32_bits(dr->rings[1].desc));
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_MSIX, 2), 2);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_NOFF, 2), 1);
	KUNIT_EXPECT_EQ(test, dr->vp->stats.ignored_writes, ignored + 5);
	/* Read-only common fields. */
	cw(dr, VIRTIO_PCI_COMMON_NUMQ, 2, 1);
	cw(dr, VIRTIO_PCI_COMMON_CFGGENERATION, 1, 0x55);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_NUMQ, 2), NQ);
	KUNIT_EXPECT_EQ(test, dr->vp->stats.ignored_writes, ignored + 7);
	drv_remove(dr);
}

static void vp_queue_setup_after_driver_ok_ignored(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);
	struct kvtd *d = dr->d;

	/* Set up and enable only queue 0, then DRIVER_OK. */
	KUNIT_ASSERT_TRUE(test, drv_negotiate(dr, F_V1));
	setup_queue(dr, 0, QMAX, VIRTIO_MSI_NO_VECTOR, ring_gpa(0));
	enable_queue(dr, 0);
	add_status(dr, S_DOK);
	/* Queue 2 cannot be programmed or enabled now. */
	cw(dr, VIRTIO_PCI_COMMON_Q_SELECT, 2, 2);
	cw(dr, VIRTIO_PCI_COMMON_Q_SIZE, 2, 8);
	cw(dr, VIRTIO_PCI_COMMON_Q_DESCLO, 4, lower_32_bits(ring_gpa(2)));
	cw(dr, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_SIZE, 2), QMAX);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_DESCLO, 4), 0);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	KUNIT_EXPECT_EQ(test, d->enable_calls, 1u);
	/* And a kick there goes nowhere. */
	KUNIT_EXPECT_EQ(test, kick(dr, 2), 0);
	KUNIT_EXPECT_EQ(test, d->kicks[2], 0u);
	KUNIT_EXPECT_EQ(test, kick(dr, 0), 0);
	KUNIT_EXPECT_EQ(test, d->kicks[0], 1u);
	drv_remove(dr);
}

static void vp_queue_enable_bad_ring(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);
	struct kvtd *d = dr->d;

	KUNIT_ASSERT_TRUE(test, drv_negotiate(dr, F_V1));
	msix_enable(dr);
	cw(dr, VIRTIO_PCI_COMMON_MSIX, 2, 0);

	/* Misaligned descriptor table. */
	setup_queue(dr, 0, QMAX, 1, ring_gpa(0));
	cw(dr, VIRTIO_PCI_COMMON_Q_DESCLO, 4, lower_32_bits(ring_gpa(0)) + 8);
	enable_queue(dr, 0);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);

	/* Used ring outside guest RAM. */
	setup_queue(dr, 1, QMAX, 2, ring_gpa(1));
	cw(dr, VIRTIO_PCI_COMMON_Q_USEDLO, 4, 0xfffff000);
	cw(dr, VIRTIO_PCI_COMMON_Q_USEDHI, 4, 0x10);
	enable_queue(dr, 1);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);

	/* Descriptor table straddling the end of RAM. */
	setup_queue(dr, 2, QMAX, 3, ring_gpa(2));
	cw(dr, VIRTIO_PCI_COMMON_Q_DESCLO, 4,
	   lower_32_bits(KVTD_MEM_BASE + KVTD_MEM_SIZE - 0x200));
	enable_queue(dr, 2);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);

	KUNIT_EXPECT_EQ(test, dr->vp->stats.queue_enable_failed, 3u);
	KUNIT_EXPECT_EQ(test, d->enable_calls, 0u);
	KUNIT_EXPECT_EQ(test, d->tm.live_maps, 0);
	/* NEEDS_RESET is set, but no interrupt before DRIVER_OK. */
	KUNIT_EXPECT_TRUE(test, status(dr) & S_NR);
	KUNIT_EXPECT_EQ(test, d->nmsix, 0u);
	/* A driver that goes on anyway gets the config interrupt then. */
	add_status(dr, S_DOK);
	KUNIT_ASSERT_EQ(test, d->nmsix, 1u);
	KUNIT_EXPECT_EQ(test, d->msix_log[0], 0);
	KUNIT_EXPECT_TRUE(test, status(dr) & S_NR);
	drv_remove(dr);
}

static void vp_queue_enable_device_refuses(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);

	KUNIT_ASSERT_TRUE(test, drv_negotiate(dr, F_V1));
	dr->d->enable_ret = -ENOSPC;
	setup_queue(dr, 0, QMAX, VIRTIO_MSI_NO_VECTOR, ring_gpa(0));
	enable_queue(dr, 0);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	KUNIT_EXPECT_EQ(test, dr->d->enable_calls, 1u);
	/* The rings mapped for it were released again. */
	KUNIT_EXPECT_EQ(test, dr->d->tm.live_maps, 0);
	KUNIT_EXPECT_TRUE(test, status(dr) & S_NR);
	drv_remove(dr);
}

static void vp_queue_reset_in_use(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);
	struct kvtd *d = dr->d;

	struct kvirtio_test_buf buf = { KVTD_MEM_BASE + 0x80000, 64, true };
	struct kvirtio_desc descs[4];
	struct kvirtio_chain chain = { .descs = descs, .capacity = 4 };

	KUNIT_EXPECT_TRUE(test, dev_features(dr) & F_RESET);
	drv_bringup(dr, F_V1 | F_RESET, true);
	/* A request is in flight on queue 1 when the driver resets it. */
	kvirtio_test_avail_add(&dr->rings[1],
			       kvirtio_test_add_chain(&dr->rings[1], 0, &buf, 1));
	kvirtio_test_avail_publish(&dr->rings[1]);
	KUNIT_ASSERT_EQ(test, kvirtio_queue_pop(&d->vqs[1], &chain), 0);
	KUNIT_EXPECT_EQ(test, d->vqs[1].inflight, 1u);
	cw(dr, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	KUNIT_EXPECT_EQ(test, cr(dr, Q_RESET, 2), 0);
	cw(dr, Q_RESET, 2, 1);
	/* While the device stopped the queue, queue_reset read 1. */
	KUNIT_EXPECT_EQ(test, d->qreset_seen, 1);
	KUNIT_EXPECT_EQ(test, d->disabled_mask, 1u << 1);
	/* Then 0, with queue_enable 0 and the queue state cleared. */
	KUNIT_EXPECT_EQ(test, cr(dr, Q_RESET, 2), 0);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_SIZE, 2), QMAX);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_MSIX, 2),
			VIRTIO_MSI_NO_VECTOR);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_DESCLO, 8), 0);
	KUNIT_EXPECT_EQ(test, d->tm.live_maps, 3 * (NQ - 1));
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_ready(&d->vqs[1]));
	/* The device keeps running; the reset queue is dead. */
	KUNIT_EXPECT_TRUE(test, status(dr) & S_DOK);
	kick(dr, 1);
	kvirtio_device_queue_interrupt(&d->vdev, 1);
	KUNIT_EXPECT_EQ(test, d->kicks[1], 0u);
	KUNIT_EXPECT_EQ(test, d->nmsix, 0u);
	kick(dr, 0);
	KUNIT_EXPECT_EQ(test, d->kicks[0], 1u);
	/* vp_modern_enable_vq_after_reset(): program and re-enable. */
	setup_queue(dr, 1, 32, 2, ring_gpa(1) + 0x1000);
	enable_queue(dr, 1);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	/* A fresh queue: nothing in flight, indices from 0, new size. */
	KUNIT_EXPECT_EQ(test, d->vqs[1].inflight, 0u);
	KUNIT_EXPECT_EQ(test, d->vqs[1].last_avail_idx, 0);
	KUNIT_EXPECT_EQ(test, d->vqs[1].ring.size, 32);
	KUNIT_EXPECT_EQ(test, d->vqs[1].desc_gpa, ring_gpa(1) + 0x1000);
	kick(dr, 1);
	KUNIT_EXPECT_EQ(test, d->kicks[1], 1u);
	kvirtio_device_queue_interrupt(&d->vdev, 1);
	KUNIT_ASSERT_EQ(test, d->nmsix, 1u);
	KUNIT_EXPECT_EQ(test, d->msix_log[0], 2);
	drv_remove(dr);
}

static void vp_queue_reset_needs_feature(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);

	drv_bringup(dr, F_V1, true);
	cw(dr, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	cw(dr, Q_RESET, 2, 1);
	KUNIT_EXPECT_EQ(test, dr->d->disable_calls, 0u);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	KUNIT_EXPECT_EQ(test, dr->vp->stats.queue_resets, 0u);
	drv_remove(dr);
}

/* ---- Notifications and interrupts ------------------------------------- */

static void vp_notify_before_driver_ok_ignored(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);
	struct kvtd *d = dr->d;
	u16 q;

	KUNIT_ASSERT_TRUE(test, drv_negotiate(dr, F_V1));
	msix_enable(dr);
	for (q = 0; q < NQ; q++) {
		setup_queue(dr, q, QMAX, q + 1, ring_gpa(q));
		enable_queue(dr, q);
	}
	/* Enabled queues, but no DRIVER_OK: no kick, no interrupt. */
	kick(dr, 0);
	kvirtio_pci_notify(dr->vp, 1);
	kvirtio_device_queue_interrupt(&d->vdev, 0);
	kvirtio_device_config_changed(&d->vdev);
	KUNIT_EXPECT_EQ(test, d->kick_total, 0u);
	KUNIT_EXPECT_EQ(test, d->nmsix, 0u);
	KUNIT_EXPECT_EQ(test, atomic64_read(&dr->vp->stats.kicks_ignored), 2);
	KUNIT_EXPECT_EQ(test, dr->vp->stats.irq_suppressed, 2u);
	add_status(dr, S_DOK);
	kick(dr, 0);
	kvirtio_pci_notify(dr->vp, 1);
	KUNIT_EXPECT_EQ(test, d->kicks[0], 1u);
	KUNIT_EXPECT_EQ(test, d->kicks[1], 1u);
	/* Out-of-range queues and notify offsets are refused. */
	kvirtio_pci_notify(dr->vp, NQ);
	kvirtio_pci_notify(dr->vp, 0xffff);
	KUNIT_EXPECT_NE(test, mmio_w(dr, dr->notify_bar,
				     dr->notify_off + NQ * dr->mult, 2, NQ), 0);
	KUNIT_EXPECT_NE(test, mmio_w(dr, dr->notify_bar, dr->notify_off + 2,
				     2, 0), 0);
	KUNIT_EXPECT_EQ(test, d->kick_total, 2u);
	drv_remove(dr);
}

static void vp_msix_vector_mapping(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);

	KUNIT_ASSERT_TRUE(test, drv_negotiate(dr, F_V1));
	msix_enable(dr);
	/* Out of range: reads back NO_VECTOR (the driver sees the failure). */
	cw(dr, VIRTIO_PCI_COMMON_MSIX, 2, NQ + 1);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_MSIX, 2),
			VIRTIO_MSI_NO_VECTOR);
	cw(dr, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	cw(dr, VIRTIO_PCI_COMMON_Q_MSIX, 2, 0x7ff);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_MSIX, 2),
			VIRTIO_MSI_NO_VECTOR);
	/* Any event to any valid vector, shared vectors allowed. */
	cw(dr, VIRTIO_PCI_COMMON_Q_MSIX, 2, 0);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_MSIX, 2), 0);
	cw(dr, VIRTIO_PCI_COMMON_MSIX, 2, NQ);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_MSIX, 2), NQ);
	drv_remove(dr);
}

static void vp_no_interrupt_for_no_vector(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);
	struct kvtd *d = dr->d;
	u16 q;

	KUNIT_ASSERT_TRUE(test, drv_negotiate(dr, F_V1));
	msix_enable(dr);
	cw(dr, VIRTIO_PCI_COMMON_MSIX, 2, VIRTIO_MSI_NO_VECTOR);
	for (q = 0; q < NQ; q++) {
		setup_queue(dr, q, QMAX, q == 0 ? VIRTIO_MSI_NO_VECTOR : q + 1,
			    ring_gpa(q));
		enable_queue(dr, q);
	}
	add_status(dr, S_DOK);
	kvirtio_device_queue_interrupt(&d->vdev, 0);
	kvirtio_device_config_changed(&d->vdev);
	KUNIT_EXPECT_EQ(test, d->nmsix, 0u);
	KUNIT_EXPECT_EQ(test, d->intx_raises, 0u);
	KUNIT_EXPECT_EQ(test, dr->vp->stats.irq_no_vector, 2u);
	/* Nothing became pending either. */
	KUNIT_EXPECT_EQ(test, mmio_r(dr, dr->msix_bar, dr->msix_pba, 8), 0);
	kvirtio_device_queue_interrupt(&d->vdev, 2);
	KUNIT_ASSERT_EQ(test, d->nmsix, 1u);
	KUNIT_EXPECT_EQ(test, d->msix_log[0], 3);
	drv_remove(dr);
}

static void vp_msix_mask_pending_unmask(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);
	struct kvtd *d = dr->d;
	u32 ctrl = dr->cap_msix + 2;
	u32 vc = dr->msix_table + 2 * 16 + 12;	/* queue 1's vector control */

	drv_bringup(dr, F_V1, true);
	/* Per-vector mask: pending instead of a message. */
	mmio_w(dr, dr->msix_bar, vc, 4, 1);
	kvirtio_device_queue_interrupt(&d->vdev, 1);
	KUNIT_EXPECT_EQ(test, d->nmsix, 0u);
	KUNIT_EXPECT_EQ(test, mmio_r(dr, dr->msix_bar, dr->msix_pba, 8),
			BIT_ULL(2));
	/* The PBA is read-only. */
	mmio_w(dr, dr->msix_bar, dr->msix_pba, 8, 0);
	KUNIT_EXPECT_EQ(test, mmio_r(dr, dr->msix_bar, dr->msix_pba, 4),
			BIT_ULL(2));
	/* Unmask: delivered once, pending cleared. */
	mmio_w(dr, dr->msix_bar, vc, 4, 0);
	KUNIT_ASSERT_EQ(test, d->nmsix, 1u);
	KUNIT_EXPECT_EQ(test, d->msix_log[0], 2);
	KUNIT_EXPECT_EQ(test, mmio_r(dr, dr->msix_bar, dr->msix_pba, 8), 0);

	/* Function mask: every vector held, delivered on clearing it. */
	cfg_w(dr, ctrl, 2, cfg_r(dr, ctrl, 2) | 0x4000);
	kvirtio_device_queue_interrupt(&d->vdev, 0);
	kvirtio_device_config_changed(&d->vdev);
	KUNIT_EXPECT_EQ(test, d->nmsix, 1u);
	KUNIT_EXPECT_EQ(test, mmio_r(dr, dr->msix_bar, dr->msix_pba, 8),
			BIT_ULL(0) | BIT_ULL(1));
	cfg_w(dr, ctrl, 2, cfg_r(dr, ctrl, 2) & ~0x4000);
	KUNIT_ASSERT_EQ(test, d->nmsix, 3u);
	KUNIT_EXPECT_EQ(test, d->msix_log[1], 0);
	KUNIT_EXPECT_EQ(test, d->msix_log[2], 1);
	KUNIT_EXPECT_EQ(test, dr->vp->stats.irq_pending, 3u);
	/* Only the mask bit of vector control is writable. */
	mmio_w(dr, dr->msix_bar, vc, 4, 0xfffffffe);
	KUNIT_EXPECT_EQ(test, mmio_r(dr, dr->msix_bar, vc, 4), 0);
	drv_remove(dr);
}

static void vp_msix_entry_for_vmm(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);
	struct kvirtio_pci_msix_entry e;
	u32 ctrl = dr->cap_msix + 2;

	/* Power-on: masked, MSI-X off. */
	KUNIT_ASSERT_EQ(test, kvirtio_pci_msix_entry(dr->vp, 0, &e), 0);
	KUNIT_EXPECT_TRUE(test, e.masked);
	KUNIT_EXPECT_FALSE(test, e.enabled);
	msix_program(dr, 3, false);
	KUNIT_EXPECT_EQ(test, dr->d->msix_changed_last, 3);
	cfg_w(dr, ctrl, 2, 0x8000);
	KUNIT_EXPECT_EQ(test, dr->d->msix_changed_last, KVIRTIO_PCI_MSIX_ALL);
	KUNIT_ASSERT_EQ(test, kvirtio_pci_msix_entry(dr->vp, 3, &e), 0);
	KUNIT_EXPECT_EQ(test, e.addr, MSI_ADDR);
	KUNIT_EXPECT_EQ(test, e.data, 0x4003u);
	KUNIT_EXPECT_FALSE(test, e.masked);
	KUNIT_EXPECT_TRUE(test, e.enabled);
	KUNIT_EXPECT_FALSE(test, e.function_masked);
	/* A qword access to an entry works too. */
	mmio_w(dr, dr->msix_bar, dr->msix_table + 3 * 16, 8, 0x1fee01000ULL);
	KUNIT_ASSERT_EQ(test, kvirtio_pci_msix_entry(dr->vp, 3, &e), 0);
	KUNIT_EXPECT_EQ(test, e.addr, 0x1fee01000ULL);
	KUNIT_EXPECT_EQ(test, kvirtio_pci_msix_entry(dr->vp, NQ + 1, &e),
			-EINVAL);
	drv_remove(dr);
}

static void vp_intx_isr_read_clear(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);
	struct kvtd *d = dr->d;

	drv_bringup(dr, F_V1, false);	/* MSI-X stays off */
	KUNIT_EXPECT_EQ(test, isr_read(dr), 0);
	kvirtio_device_queue_interrupt(&d->vdev, 0);
	KUNIT_EXPECT_TRUE(test, d->intx_level);
	KUNIT_EXPECT_EQ(test, d->intx_raises, 1u);
	KUNIT_EXPECT_EQ(test, d->nmsix, 0u);
	KUNIT_EXPECT_TRUE(test, cfg_r(dr, KVIRTIO_PCI_STATUS, 2) &
				KVIRTIO_PCI_STS_INTERRUPT);
	/* A second event while pending does not re-raise. */
	kvirtio_device_config_changed(&d->vdev);
	KUNIT_EXPECT_EQ(test, d->intx_raises, 1u);
	/* Reading ISR returns both causes, clears them, lowers the line. */
	KUNIT_EXPECT_EQ(test, isr_read(dr), 3);
	KUNIT_EXPECT_FALSE(test, d->intx_level);
	KUNIT_EXPECT_FALSE(test, cfg_r(dr, KVIRTIO_PCI_STATUS, 2) &
				 KVIRTIO_PCI_STS_INTERRUPT);
	KUNIT_EXPECT_EQ(test, isr_read(dr), 0);
	/* INTx disable masks the pin, not the status bit. */
	cfg_w(dr, KVIRTIO_PCI_COMMAND, 2, cfg_r(dr, KVIRTIO_PCI_COMMAND, 2) |
	      KVIRTIO_PCI_CMD_INTX_DISABLE);
	kvirtio_device_queue_interrupt(&d->vdev, 2);
	KUNIT_EXPECT_FALSE(test, d->intx_level);
	KUNIT_EXPECT_TRUE(test, cfg_r(dr, KVIRTIO_PCI_STATUS, 2) &
				KVIRTIO_PCI_STS_INTERRUPT);
	cfg_w(dr, KVIRTIO_PCI_COMMAND, 2, cfg_r(dr, KVIRTIO_PCI_COMMAND, 2) &
	      ~KVIRTIO_PCI_CMD_INTX_DISABLE);
	KUNIT_EXPECT_TRUE(test, d->intx_level);
	KUNIT_EXPECT_EQ(test, isr_read(dr), 1);
	KUNIT_EXPECT_FALSE(test, d->intx_level);
	drv_remove(dr);
}

static void vp_config_irq_sets_isr_with_msix(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);
	struct kvtd *d = dr->d;

	drv_bringup(dr, F_V1, true);
	kvirtio_device_config_changed(&d->vdev);
	KUNIT_ASSERT_EQ(test, d->nmsix, 1u);
	KUNIT_EXPECT_EQ(test, d->msix_log[0], 0);
	/* Config bit set in ISR even with MSI-X (4.1.4.5.1). */
	KUNIT_EXPECT_EQ(test, isr_read(dr), 2);
	KUNIT_EXPECT_EQ(test, d->intx_raises, 0u);
	drv_remove(dr);
}

static void vp_config_generation(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);
	struct kvtd *d = dr->d;
	u8 g0, g1, g2;

	drv_bringup(dr, F_V1, true);
	g0 = cr(dr, VIRTIO_PCI_COMMON_CFGGENERATION, 1);
	d->config[0] = 0x11;
	kvirtio_device_config_changed(&d->vdev);
	g1 = cr(dr, VIRTIO_PCI_COMMON_CFGGENERATION, 1);
	KUNIT_EXPECT_NE(test, g0, g1);
	/* A driver write to config changes it as well. */
	KUNIT_EXPECT_EQ(test, mmio_w(dr, dr->dev_bar, dr->dev_off + 8, 4,
				     0x01020304), 0);
	KUNIT_EXPECT_EQ(test, d->config_writes, 1u);
	g2 = cr(dr, VIRTIO_PCI_COMMON_CFGGENERATION, 1);
	KUNIT_EXPECT_NE(test, g1, g2);
	/* A refused write does not. */
	mmio_w(dr, dr->dev_bar, dr->dev_off, 4, 0);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_CFGGENERATION, 1), g2);
	KUNIT_EXPECT_EQ(test, mmio_r(dr, dr->dev_bar, dr->dev_off, 1), 0x11);
	drv_remove(dr);
}

static void vp_needs_reset_broken_queue(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);
	struct kvtd *d = dr->d;
	struct kvirtio_desc descs[4];
	struct kvirtio_chain chain = { .descs = descs, .capacity = 4 };

	drv_bringup(dr, F_V1, true);
	/* The guest claims far more buffers than the ring holds. */
	kvirtio_test_avail_set_idx(&dr->rings[0], QMAX + 5);
	kick(dr, 0);
	KUNIT_EXPECT_EQ(test, d->kicks[0], 1u);
	KUNIT_EXPECT_LT(test, kvirtio_queue_pop(&d->vqs[0], &chain), 0);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_broken(&d->vqs[0]));
	/* What the device does then: */
	kvirtio_device_needs_reset(&d->vdev);
	KUNIT_EXPECT_TRUE(test, status(dr) & S_NR);
	KUNIT_ASSERT_EQ(test, d->nmsix, 1u);
	KUNIT_EXPECT_EQ(test, d->msix_log[0], 0);	/* the config vector */
	KUNIT_EXPECT_EQ(test, isr_read(dr), 2);
	/* NEEDS_RESET survives the driver's read-modify-write of status. */
	add_status(dr, S_FAILED);
	KUNIT_EXPECT_TRUE(test, status(dr) & S_NR);
	/* The driver resets and starts over cleanly. */
	drv_reset(dr);
	KUNIT_EXPECT_EQ(test, d->tm.live_maps, 0);
	drv_bringup(dr, F_V1, true);
	KUNIT_EXPECT_FALSE(test, status(dr) & S_NR);
	drv_remove(dr);
}

static void vp_driver_ok_failure(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);
	struct kvtd *d = dr->d;

	d->driver_ok_ret = -EIO;
	KUNIT_ASSERT_TRUE(test, drv_negotiate(dr, F_V1));
	msix_enable(dr);
	cw(dr, VIRTIO_PCI_COMMON_MSIX, 2, 0);
	setup_queue(dr, 0, QMAX, 1, ring_gpa(0));
	enable_queue(dr, 0);
	add_status(dr, S_DOK);
	KUNIT_EXPECT_EQ(test, d->driver_ok_calls, 1u);
	/* The device could not start: NEEDS_RESET and a config interrupt. */
	KUNIT_EXPECT_EQ(test, status(dr), S_ACK | S_DRIVER | S_FEAT | S_DOK |
			S_NR);
	KUNIT_ASSERT_EQ(test, d->nmsix, 1u);
	KUNIT_EXPECT_EQ(test, d->msix_log[0], 0);
	drv_remove(dr);
}

/* ---- The PCI_CFG window ------------------------------------------------ */

static void pcicfg_select(struct drv *dr, u8 bar, u32 off, u32 len)
{
	cfg_w(dr, dr->cap_pcicfg + 4, 1, bar);
	cfg_w(dr, dr->cap_pcicfg + 8, 4, off);
	cfg_w(dr, dr->cap_pcicfg + 12, 4, len);
}

static void vp_pci_cfg_window(struct kunit *test)
{
	struct drv *dr = drv_probe(test, F_A);
	struct kvtd *d = dr->d;
	u32 data = dr->cap_pcicfg + 16;
	u16 q;

	/* Works without memory decoding, as for firmware. */
	cfg_w(dr, KVIRTIO_PCI_COMMAND, 2, 0);
	pcicfg_select(dr, dr->common_bar, dr->common_off +
		      VIRTIO_PCI_COMMON_DFSELECT, 4);
	cfg_w(dr, data, 4, 0);
	pcicfg_select(dr, dr->common_bar, dr->common_off +
		      VIRTIO_PCI_COMMON_DF, 4);
	KUNIT_EXPECT_EQ(test, cfg_r(dr, data, 4), (u32)F_A);
	pcicfg_select(dr, dr->common_bar, dr->common_off +
		      VIRTIO_PCI_COMMON_STATUS, 1);
	cfg_w(dr, data, 1, S_ACK);
	KUNIT_EXPECT_EQ(test, cfg_r(dr, data, 1), S_ACK);
	pcicfg_select(dr, dr->dev_bar, dr->dev_off + 4, 2);
	KUNIT_EXPECT_EQ(test, cfg_r(dr, data, 2), 0xa5a4u);

	/* Bring the device up, then kick through the window. */
	cfg_w(dr, KVIRTIO_PCI_COMMAND, 2, KVIRTIO_PCI_CMD_MEMORY);
	drv_bringup(dr, F_V1, true);
	cfg_w(dr, KVIRTIO_PCI_COMMAND, 2, 0);
	for (q = 0; q < NQ; q++) {
		pcicfg_select(dr, dr->notify_bar,
			      dr->notify_off + q * dr->mult, 2);
		cfg_w(dr, data, 2, q);
	}
	KUNIT_EXPECT_EQ(test, d->kicks[0], 1u);
	KUNIT_EXPECT_EQ(test, d->kicks[1], 1u);
	KUNIT_EXPECT_EQ(test, d->kicks[2], 1u);
	/* A bad length or misaligned offset does nothing. */
	pcicfg_select(dr, dr->notify_bar, dr->notify_off, 3);
	cfg_w(dr, data, 2, 0);
	pcicfg_select(dr, dr->notify_bar, dr->notify_off + 1, 2);
	cfg_w(dr, data, 2, 0);
	KUNIT_EXPECT_EQ(test, d->kicks[0], 1u);
	drv_remove(dr);
}

/* ---- Hostile accesses --------------------------------------------------- */

static void vp_bad_bar_accesses(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);
	struct kvirtio_pci *vp = dr->vp;
	u8 buf[16];
	u64 bad = vp->stats.bad_access;

	/* Wrong widths for common config fields: read all-ones. */
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_Q_SELECT, 4),
			0xffffffffULL);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_DF, 2), 0xffffULL);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_STATUS, 2), 0xffffULL);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_DF, 8),
			0xffffffffffffffffULL);
	/* Width 3, misaligned, beyond the BAR, unknown BAR. */
	KUNIT_EXPECT_NE(test, kvirtio_pci_bar_read(vp, 0, 0, buf, 3), 0);
	KUNIT_EXPECT_NE(test, kvirtio_pci_bar_read(vp, 0, 0x21, buf, 2), 0);
	KUNIT_EXPECT_NE(test, kvirtio_pci_bar_read(vp, 0, dr->bar_size[0],
						   buf, 1), 0);
	KUNIT_EXPECT_NE(test, kvirtio_pci_bar_read(vp, 0, ~0ULL, buf, 1), 0);
	KUNIT_EXPECT_NE(test, kvirtio_pci_bar_read(vp, 1, 0, buf, 4), 0);
	KUNIT_EXPECT_NE(test, kvirtio_pci_bar_read(vp, 6, 0, buf, 4), 0);
	KUNIT_EXPECT_NE(test, kvirtio_pci_bar_read(vp, 0, 0, buf, 16), 0);
	KUNIT_EXPECT_EQ(test, buf[0], 0xff);
	/* Holes in BAR 0 between the regions. */
	KUNIT_EXPECT_EQ(test, mmio_r(dr, 0, 0x800, 4), 0xffffffffULL);
	/* Beyond the device config (12 bytes). */
	KUNIT_EXPECT_EQ(test, mmio_r(dr, dr->dev_bar, dr->dev_off + 12, 1),
			0xffULL);
	KUNIT_EXPECT_EQ(test, mmio_r(dr, dr->dev_bar, dr->dev_off + 8, 8),
			0xffffffffffffffffULL);
	/* Notify is write-only; MSI-X takes only dwords and qwords. */
	KUNIT_EXPECT_EQ(test, mmio_r(dr, dr->notify_bar, dr->notify_off, 2),
			0xffffULL);
	KUNIT_EXPECT_EQ(test, mmio_r(dr, dr->msix_bar, dr->msix_table, 2),
			0xffffULL);
	KUNIT_EXPECT_EQ(test, vp->stats.bad_access, bad + 16);
	/* Writes of the same kinds are ignored. */
	KUNIT_EXPECT_NE(test, mmio_w(dr, 0, VIRTIO_PCI_COMMON_STATUS, 2, 1), 0);
	KUNIT_EXPECT_EQ(test, status(dr), 0);
	KUNIT_EXPECT_NE(test, mmio_w(dr, 0, 0x2001, 2, 1), 0);
	/* Decoding off: the BARs do not answer. */
	cfg_w(dr, KVIRTIO_PCI_COMMAND, 2, 0);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_NUMQ, 2), 0xffffULL);
	cw(dr, VIRTIO_PCI_COMMON_STATUS, 1, S_ACK);
	cfg_w(dr, KVIRTIO_PCI_COMMAND, 2, KVIRTIO_PCI_CMD_MEMORY);
	KUNIT_EXPECT_EQ(test, status(dr), 0);
	KUNIT_EXPECT_EQ(test, cr(dr, VIRTIO_PCI_COMMON_NUMQ, 2), NQ);
	/* Queue notify data and the admin queue fields read 0. */
	KUNIT_EXPECT_EQ(test, cr(dr, Q_NDATA, 2), 0);
	KUNIT_EXPECT_EQ(test, cr(dr, 60, 2), 0);
	KUNIT_EXPECT_EQ(test, cr(dr, 62, 2), 0);
	drv_remove(dr);
}

static void vp_bad_config_space_access(struct kunit *test)
{
	struct drv *dr = drv_probe(test, 0);

	KUNIT_EXPECT_EQ(test, cfg_r(dr, 0x100, 4), 0xffffffffu);
	KUNIT_EXPECT_EQ(test, cfg_r(dr, 0x10, 3), 0xffffffffu);
	cfg_w(dr, 0xfe, 4, 0);
	KUNIT_EXPECT_EQ(test, dr->vp->pdev.stats.bad_reads, 2u);
	KUNIT_EXPECT_EQ(test, dr->vp->pdev.stats.bad_writes, 1u);
	/* The virtio capabilities are read-only (except PCI_CFG's window). */
	cfg_w(dr, dr->cap_common + 8, 4, 0x1000);
	cfg_w(dr, dr->cap_notify + 16, 4, 0);
	KUNIT_EXPECT_EQ(test, cfg_r(dr, dr->cap_common + 8, 4), dr->common_off);
	KUNIT_EXPECT_EQ(test, cfg_r(dr, dr->cap_notify + 16, 4), dr->mult);
	/* MSI-X table size and BIR are read-only. */
	cfg_w(dr, dr->cap_msix + 2, 2, 0);
	cfg_w(dr, dr->cap_msix + 4, 4, 0);
	KUNIT_EXPECT_EQ(test, (cfg_r(dr, dr->cap_msix + 2, 2) & 0x7ff) + 1,
			NQ + 1u);
	KUNIT_EXPECT_EQ(test, cfg_r(dr, dr->cap_msix + 4, 4) & 7,
			(u32)dr->msix_bar);
	drv_remove(dr);
}

static void vp_init_rejects_bad_device(struct kunit *test)
{
	struct kvtd *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_EXPECT_EQ(test, kvtd_init(d, 0, QMAX, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvtd_init(d, 1, 48, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvtd_init(d, 1, 0, 0), -EINVAL);
	/* The transport never offers what it cannot do. */
	KUNIT_ASSERT_EQ(test, kvtd_init(d, 1, QMAX, BIT_ULL(34) | BIT_ULL(38)),
			0);
	KUNIT_EXPECT_EQ(test, d->vp.offered & (BIT_ULL(34) | BIT_ULL(38)),
			0ULL);
	kvtd_destroy(d);
}

static struct kunit_case kvirtio_virtio_pci_cases[] = {
	KUNIT_CASE(vp_pci_identity),
	KUNIT_CASE(vp_caps_layout),
	KUNIT_CASE(vp_notify_region_covers_queues),
	KUNIT_CASE(vp_bar_sizing_and_address),
	KUNIT_CASE(vp_pio_notify_layout),
	KUNIT_CASE(vp_pio_notify_kicks),
	KUNIT_CASE(vp_pio_notify_refused),
	KUNIT_CASE(vp_linux_bringup_kick_irq),
	KUNIT_CASE(vp_reset_and_reinit),
	KUNIT_CASE(vp_function_reset),
	KUNIT_CASE(vp_features_64bit_select),
	KUNIT_CASE(vp_features_refused),
	KUNIT_CASE(vp_status_order),
	KUNIT_CASE(vp_queue_size_rules),
	KUNIT_CASE(vp_queue_addr_halves),
	KUNIT_CASE(vp_queue_writes_while_enabled_ignored),
	KUNIT_CASE(vp_queue_setup_after_driver_ok_ignored),
	KUNIT_CASE(vp_queue_enable_bad_ring),
	KUNIT_CASE(vp_queue_enable_device_refuses),
	KUNIT_CASE(vp_queue_reset_in_use),
	KUNIT_CASE(vp_queue_reset_needs_feature),
	KUNIT_CASE(vp_notify_before_driver_ok_ignored),
	KUNIT_CASE(vp_msix_vector_mapping),
	KUNIT_CASE(vp_no_interrupt_for_no_vector),
	KUNIT_CASE(vp_msix_mask_pending_unmask),
	KUNIT_CASE(vp_msix_entry_for_vmm),
	KUNIT_CASE(vp_intx_isr_read_clear),
	KUNIT_CASE(vp_config_irq_sets_isr_with_msix),
	KUNIT_CASE(vp_config_generation),
	KUNIT_CASE(vp_needs_reset_broken_queue),
	KUNIT_CASE(vp_driver_ok_failure),
	KUNIT_CASE(vp_pci_cfg_window),
	KUNIT_CASE(vp_bad_bar_accesses),
	KUNIT_CASE(vp_bad_config_space_access),
	KUNIT_CASE(vp_init_rejects_bad_device),
	{}
};

static struct kunit_suite kvirtio_virtio_pci_suite = {
	.name = "kvirtio_virtio_pci",
	.test_cases = kvirtio_virtio_pci_cases,
};

kunit_test_suite(kvirtio_virtio_pci_suite);
