// SPDX-License-Identifier: GPL-2.0-only
/*
 * Userspace test of the config path of the reference VMM's backend=user
 * (tools/backend/pci_user.c): the virtio-pci transport in front of the
 * virtio-rng device over the flat guest memory double, driven through
 * common config writes the way a driver does, with the host doing after
 * each write what tools/vmm/dev_user.c does and running kicked queues the
 * way its worker does.
 *
 * The point: a buffer made available before DRIVER_OK and never kicked is
 * served once the device reaches DRIVER_OK, as kvirtio.ko serves it, and
 * only that transition looks at the queues.
 *
 * Prints TAP; exit status 0 when every check passed.
 */
#include "../backend/pci_user.h"
#include "devices/rng.h"
#include "kvirtio_test_mem.h"
#include "tap.h"

#define CHECK(cond)	tap_check(cond)
#define CHECK_EQ(a, b)	tap_check_eq(a, b)

#define MEM_BASE	0x100000ULL
#define MEM_SIZE	0x40000ULL
#define RING_GPA	(MEM_BASE + 0x1000)
#define BUF_GPA		(MEM_BASE + 0x10000)
#define QSIZE		8
#define REQ_LEN		64
#define FILL_BYTE	0xa5

#define S_ACK		VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_DRIVER	VIRTIO_CONFIG_S_DRIVER
#define S_FEAT		VIRTIO_CONFIG_S_FEATURES_OK
#define S_DOK		VIRTIO_CONFIG_S_DRIVER_OK

#define PCI_CAP_ID_VNDR	0x09
#define PCICFG_BAR	4
#define PCICFG_OFFSET	8
#define PCICFG_LENGTH	12
#define PCICFG_DATA	16

/* The host: the transport, the device and dev_user.c's state. */
struct host {
	struct kvirtio_test_mem tm;
	struct kvirtio_device *vdev;
	struct kvirtio_pci vp;
	struct kvirtio_host_ops host_ops;
	struct kvirtio_test_ring ring;
	bool driver_ok;
	bool pending;
	unsigned int host_kicks;
	unsigned int rescans;
};

static void fill(void *opaque, void *buf, u32 len)
{
	memset(buf, FILL_BYTE, len);
}

/* dev_user.c's u_kick(): mark the queue for the worker. */
static void kick(struct kvirtio_device *vdev, u16 qid)
{
	struct host *h = vdev->host_priv;

	h->pending = true;
	h->host_kicks++;
}

static void msix(struct kvirtio_pci *vp, u16 vector)
{
}

static void intx(struct kvirtio_pci *vp, bool level)
{
}

static const struct kvirtio_pci_host_ops pci_ops = {
	.msix = msix,
	.intx = intx,
};

/* What dev_user.c does after every config-path write. */
static void config_end(struct host *h)
{
	h->rescans += kvirtio_pci_user_config_end(&h->vp, &h->driver_ok);
}

static void cfg_w(struct host *h, u32 off, u32 width, u32 val)
{
	kvirtio_pci_config_write(&h->vp, off, width, val);
	config_end(h);
}

/* A common config write through BAR 0, as u_bar_write() does it. */
static void common_w(struct host *h, u32 off, u32 width, u32 val)
{
	__le32 le = cpu_to_le32(val);

	CHECK(!kvirtio_pci_bar_write(&h->vp, KVIRTIO_PCI_BAR_CFG,
				     KVIRTIO_PCI_COMMON_OFF + off, &le, width));
	config_end(h);
}

static u32 common_r(struct host *h, u32 off, u32 width)
{
	__le32 le = 0;

	kvirtio_pci_bar_read(&h->vp, KVIRTIO_PCI_BAR_CFG,
			     KVIRTIO_PCI_COMMON_OFF + off, &le, width);
	return le32_to_cpu(le);
}

/* The worker's pass: run the queue if something kicked it. */
static void worker_pass(struct host *h)
{
	struct kvirtio_budget budget = { .requests = 256, .bytes = 1 << 20 };

	if (!h->pending)
		return;
	h->pending = false;
	if (h->vp.queues[0].live)
		CHECK(kvirtio_device_service_queue(h->vdev, 0, &budget) >= 0);
}

/* Reset, negotiate VERSION_1, program queue 0; DRIVER_OK is the caller's. */
static void driver_init(struct host *h, bool enable)
{
	common_w(h, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	common_w(h, VIRTIO_PCI_COMMON_STATUS, 1, S_ACK);
	common_w(h, VIRTIO_PCI_COMMON_STATUS, 1, S_ACK | S_DRIVER);
	common_w(h, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	common_w(h, VIRTIO_PCI_COMMON_GF, 4, 1);	/* VERSION_1 */
	common_w(h, VIRTIO_PCI_COMMON_STATUS, 1, S_ACK | S_DRIVER | S_FEAT);
	CHECK(common_r(h, VIRTIO_PCI_COMMON_STATUS, 1) & S_FEAT);

	kvirtio_test_ring_place(&h->ring, &h->tm, QSIZE, RING_GPA);
	common_w(h, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	common_w(h, VIRTIO_PCI_COMMON_Q_SIZE, 2, QSIZE);
	common_w(h, VIRTIO_PCI_COMMON_Q_MSIX, 2, VIRTIO_MSI_NO_VECTOR);
	common_w(h, VIRTIO_PCI_COMMON_Q_DESCLO, 4, lower_32_bits(h->ring.desc));
	common_w(h, VIRTIO_PCI_COMMON_Q_DESCHI, 4, upper_32_bits(h->ring.desc));
	common_w(h, VIRTIO_PCI_COMMON_Q_AVAILLO, 4,
		 lower_32_bits(h->ring.avail));
	common_w(h, VIRTIO_PCI_COMMON_Q_AVAILHI, 4,
		 upper_32_bits(h->ring.avail));
	common_w(h, VIRTIO_PCI_COMMON_Q_USEDLO, 4, lower_32_bits(h->ring.used));
	common_w(h, VIRTIO_PCI_COMMON_Q_USEDHI, 4, upper_32_bits(h->ring.used));
	if (enable) {
		common_w(h, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
		CHECK_EQ(common_r(h, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	}
	CHECK_EQ(h->rescans, 0);
}

/* Make one 64-byte writable buffer available, without a kick. */
static void post(struct host *h, unsigned int n)
{
	struct kvirtio_test_buf b = { BUF_GPA + n * REQ_LEN, REQ_LEN, true };
	u16 head;

	memset(kvirtio_test_mem_ptr(&h->tm, b.addr, REQ_LEN), 0, REQ_LEN);
	head = kvirtio_test_add_chain(&h->ring, n % QSIZE, &b, 1);
	kvirtio_test_avail_add(&h->ring, head);
	kvirtio_test_avail_publish(&h->ring);
}

/* Buffer @n came back used and full of the device's bytes. */
static bool served(struct host *h, unsigned int n)
{
	u8 *p = kvirtio_test_mem_ptr(&h->tm, BUF_GPA + n * REQ_LEN, REQ_LEN);
	u32 id, len;
	int i;

	if (!kvirtio_test_used_get(&h->ring, &id, &len))
		return false;
	if (id != n % QSIZE || len != REQ_LEN)
		return false;
	for (i = 0; i < REQ_LEN; i++)
		if (p[i] != FILL_BYTE)
			return false;
	return true;
}

static u32 find_pcicfg_cap(struct host *h)
{
	u32 pos = kvirtio_pci_config_read(&h->vp, 0x34, 1) & ~3u;
	unsigned int n;

	for (n = 0; pos && n < 48; n++) {
		if (kvirtio_pci_config_read(&h->vp, pos, 1) == PCI_CAP_ID_VNDR &&
		    kvirtio_pci_config_read(&h->vp, pos + 3, 1) ==
		    VIRTIO_PCI_CAP_PCI_CFG)
			return pos;
		pos = kvirtio_pci_config_read(&h->vp, pos + 1, 1) & ~3u;
	}
	return 0;
}

static void host_init(struct host *h)
{
	struct kvirtio_rng_opts ro = { .fill = fill };

	memset(h, 0, sizeof(*h));
	CHECK(!kvirtio_test_mem_init(&h->tm, MEM_BASE, MEM_SIZE));
	CHECK(!kvirtio_rng_create(&ro, &h->vdev));
	h->host_ops.kick = kick;
	h->vdev->mem = &h->tm.mem;
	h->vdev->host = &h->host_ops;
	h->vdev->host_priv = h;
	CHECK(!kvirtio_pci_init(&h->vp, h->vdev, 0, &pci_ops, h));
	cfg_w(h, KVIRTIO_PCI_COMMAND, 2, KVIRTIO_PCI_CMD_MEMORY);
}

static void host_destroy(struct host *h)
{
	kvirtio_pci_destroy(&h->vp);
	kvirtio_rng_destroy(h->vdev);
	CHECK_EQ(h->tm.live_maps, 0);
	kvirtio_test_mem_destroy(&h->tm);
}

/* The buffer is available before DRIVER_OK; nobody ever kicks. */
static void test_before_driver_ok(void)
{
	struct host h;

	host_init(&h);
	driver_init(&h, true);
	post(&h, 0);
	worker_pass(&h);
	CHECK_EQ(kvirtio_test_used_idx(&h.ring), 0);

	common_w(&h, VIRTIO_PCI_COMMON_STATUS, 1,
		 S_ACK | S_DRIVER | S_FEAT | S_DOK);
	CHECK_EQ(h.rescans, 1);
	worker_pass(&h);
	CHECK(served(&h, 0));
	CHECK_EQ(atomic64_read(&h.vp.stats.kicks), 0);
	host_destroy(&h);
	tap_test_end("buffer made available before DRIVER_OK is served without a kick");
}

/* Writes after DRIVER_OK do not look at the queues; a kick still does. */
static void test_only_on_transition(void)
{
	u32 st = S_ACK | S_DRIVER | S_FEAT | S_DOK;
	struct host h;

	host_init(&h);
	driver_init(&h, true);
	common_w(&h, VIRTIO_PCI_COMMON_STATUS, 1, st);
	CHECK_EQ(h.rescans, 1);	/* looked at, with nothing available */
	CHECK_EQ(h.host_kicks, 1);
	worker_pass(&h);
	CHECK_EQ(kvirtio_test_used_idx(&h.ring), 0);

	post(&h, 0);
	common_w(&h, VIRTIO_PCI_COMMON_STATUS, 1, st);	/* DRIVER_OK again */
	common_w(&h, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	common_w(&h, VIRTIO_PCI_COMMON_MSIX, 2, VIRTIO_MSI_NO_VECTOR);
	cfg_w(&h, KVIRTIO_PCI_COMMAND, 2, KVIRTIO_PCI_CMD_MEMORY);
	worker_pass(&h);
	CHECK_EQ(h.rescans, 1);
	CHECK_EQ(h.host_kicks, 1);
	CHECK_EQ(kvirtio_test_used_idx(&h.ring), 0);

	kvirtio_pci_notify(&h.vp, 0);
	worker_pass(&h);
	CHECK(served(&h, 0));
	host_destroy(&h);
	tap_test_end("only the transition to DRIVER_OK looks at the queues");
}

/* After a reset the next DRIVER_OK looks again, through PCI_CFG too. */
static void test_after_reset_via_pcicfg(void)
{
	struct host h;
	u32 cap;

	host_init(&h);
	driver_init(&h, true);
	common_w(&h, VIRTIO_PCI_COMMON_STATUS, 1,
		 S_ACK | S_DRIVER | S_FEAT | S_DOK);
	worker_pass(&h);
	CHECK_EQ(h.rescans, 1);

	h.rescans = 0;
	driver_init(&h, true);		/* reset: DRIVER_OK clear */
	CHECK(!h.driver_ok);
	post(&h, 1);
	cap = find_pcicfg_cap(&h);
	CHECK(cap);
	cfg_w(&h, cap + PCICFG_BAR, 1, KVIRTIO_PCI_BAR_CFG);
	cfg_w(&h, cap + PCICFG_OFFSET, 4,
	      KVIRTIO_PCI_COMMON_OFF + VIRTIO_PCI_COMMON_STATUS);
	cfg_w(&h, cap + PCICFG_LENGTH, 4, 1);
	CHECK_EQ(h.rescans, 0);
	cfg_w(&h, cap + PCICFG_DATA, 4, S_ACK | S_DRIVER | S_FEAT | S_DOK);
	CHECK_EQ(common_r(&h, VIRTIO_PCI_COMMON_STATUS, 1),
		 S_ACK | S_DRIVER | S_FEAT | S_DOK);
	CHECK_EQ(h.rescans, 1);
	worker_pass(&h);
	CHECK(served(&h, 1));
	host_destroy(&h);
	tap_test_end("after a reset, DRIVER_OK through the PCI_CFG window looks again");
}

/* A queue the driver never enabled is not looked at. */
static void test_disabled_queue(void)
{
	struct host h;

	host_init(&h);
	driver_init(&h, false);
	common_w(&h, VIRTIO_PCI_COMMON_STATUS, 1,
		 S_ACK | S_DRIVER | S_FEAT | S_DOK);
	CHECK(h.driver_ok);
	CHECK_EQ(h.rescans, 0);
	CHECK_EQ(h.host_kicks, 0);
	host_destroy(&h);
	tap_test_end("DRIVER_OK with no queue enabled kicks nothing");
}

int main(void)
{
	test_before_driver_ok();
	test_only_on_transition();
	test_after_reset_via_pcicfg();
	test_disabled_queue();
	return tap_exit();
}
