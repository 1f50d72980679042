/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio PCI device model (the seed's PciDevice): the 256-byte type-0
 * configuration space of one conventional PCI function.
 *
 * The model keeps an image of config space plus two masks: the bits the
 * guest may write and the bits that are write-one-to-clear.  Every access
 * goes through the same masked byte loop, so read-only fields stay
 * read-only whatever the width or alignment of the access, and BAR sizing
 * (all-ones write, read back the size mask) falls out of the BAR masks.
 *
 * The model knows nothing of virtio, KVM or of any bus: the VMM's host
 * bridge decodes ECAM or port 0xCF8/0xCFC and hands (offset, width, value)
 * to the owner (virtio_pci.c), which forwards here.  The owner is told of
 * accesses through &struct kvirtio_pci_dev_ops so that it can emulate
 * registers with side effects (MSI-X control, the virtio PCI_CFG window).
 *
 * Locking: none.  Config accesses are serialized by the caller.  The only
 * field another context may change is the INTx status mirror, written
 * with WRITE_ONCE() by kvirtio_pci_dev_set_intx_status().
 */
#ifndef KVIRTIO_PCI_DEV_H
#define KVIRTIO_PCI_DEV_H

#include "compat.h"

/* Conventional PCI config space; no PCIe extended space is modelled. */
#define KVIRTIO_PCI_CFG_SIZE		256
#define KVIRTIO_PCI_NUM_BARS		6

/* Type-0 header registers (PCI Local Bus 3.0, 6.1). */
#define KVIRTIO_PCI_VENDOR_ID		0x00
#define KVIRTIO_PCI_DEVICE_ID		0x02
#define KVIRTIO_PCI_COMMAND		0x04
#define KVIRTIO_PCI_STATUS		0x06
#define KVIRTIO_PCI_REVISION_ID		0x08
#define KVIRTIO_PCI_CLASS_PROG		0x09
#define KVIRTIO_PCI_CACHE_LINE_SIZE	0x0c
#define KVIRTIO_PCI_HEADER_TYPE		0x0e
#define KVIRTIO_PCI_BAR0		0x10
#define KVIRTIO_PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define KVIRTIO_PCI_SUBSYSTEM_ID	0x2e
#define KVIRTIO_PCI_ROM_ADDRESS		0x30
#define KVIRTIO_PCI_CAPABILITY_LIST	0x34
#define KVIRTIO_PCI_INTERRUPT_LINE	0x3c
#define KVIRTIO_PCI_INTERRUPT_PIN	0x3d
#define KVIRTIO_PCI_CAP_START		0x40

#define KVIRTIO_PCI_CMD_IO		0x0001
#define KVIRTIO_PCI_CMD_MEMORY		0x0002
#define KVIRTIO_PCI_CMD_MASTER		0x0004
#define KVIRTIO_PCI_CMD_PARITY		0x0040
#define KVIRTIO_PCI_CMD_SERR		0x0100
#define KVIRTIO_PCI_CMD_INTX_DISABLE	0x0400
/* Command bits a memory-only function implements. */
#define KVIRTIO_PCI_CMD_WRITABLE	(KVIRTIO_PCI_CMD_MEMORY | \
					 KVIRTIO_PCI_CMD_MASTER | \
					 KVIRTIO_PCI_CMD_PARITY | \
					 KVIRTIO_PCI_CMD_SERR | \
					 KVIRTIO_PCI_CMD_INTX_DISABLE)

#define KVIRTIO_PCI_STS_INTERRUPT	0x0008	/* RO: INTx pending */
#define KVIRTIO_PCI_STS_CAP_LIST	0x0010	/* RO: capability list */
#define KVIRTIO_PCI_STS_MDPE		0x0100	/* RW1C: master data parity */
#define KVIRTIO_PCI_STS_SIG_TARGET_ABORT 0x0800	/* RW1C */
#define KVIRTIO_PCI_STS_REC_TARGET_ABORT 0x1000	/* RW1C */
#define KVIRTIO_PCI_STS_REC_MASTER_ABORT 0x2000	/* RW1C */
#define KVIRTIO_PCI_STS_SIG_SYSTEM_ERROR 0x4000	/* RW1C */
#define KVIRTIO_PCI_STS_DETECTED_PARITY	0x8000	/* RW1C */
#define KVIRTIO_PCI_STS_RW1C		(KVIRTIO_PCI_STS_MDPE | \
					 KVIRTIO_PCI_STS_SIG_TARGET_ABORT | \
					 KVIRTIO_PCI_STS_REC_TARGET_ABORT | \
					 KVIRTIO_PCI_STS_REC_MASTER_ABORT | \
					 KVIRTIO_PCI_STS_SIG_SYSTEM_ERROR | \
					 KVIRTIO_PCI_STS_DETECTED_PARITY)

/* Low bits of a memory BAR. */
#define KVIRTIO_PCI_BAR_MEM_TYPE_64	0x04
#define KVIRTIO_PCI_BAR_MEM_PREFETCH	0x08
#define KVIRTIO_PCI_BAR_MEM_FLAGS	0x0f
/* Low bits of an I/O BAR. */
#define KVIRTIO_PCI_BAR_IO		0x01
#define KVIRTIO_PCI_BAR_IO_FLAGS	0x03

#define KVIRTIO_PCI_CAP_ID_MSIX		0x11
#define KVIRTIO_PCI_CAP_ID_VNDR		0x09

/* INTx pin values of the Interrupt Pin register. */
#define KVIRTIO_PCI_INTX_NONE		0
#define KVIRTIO_PCI_INTX_A		1

struct kvirtio_pci_dev;

/**
 * struct kvirtio_pci_dev_ops - the owner's hooks on config accesses
 * @before_read: called before a guest read of [@off, @off + @len), so that
 *	the owner can refresh emulated bytes (the virtio PCI_CFG window).
 *	May be NULL.
 * @after_write: called after a guest write to [@off, @off + @len) was
 *	applied through the masks, so that the owner can act on it (MSI-X
 *	enable, INTx disable, BAR moves, the PCI_CFG window).  May be NULL.
 *
 * Both run in the caller's (serialized) config-path context.
 */
struct kvirtio_pci_dev_ops {
	void (*before_read)(struct kvirtio_pci_dev *pdev, u32 off, u32 len);
	void (*after_write)(struct kvirtio_pci_dev *pdev, u32 off, u32 len);
};

/**
 * struct kvirtio_pci_dev_id - identity of a function
 * @vendor: Vendor ID
 * @device: Device ID
 * @subsys_vendor: Subsystem Vendor ID
 * @subsys_id: Subsystem ID
 * @revision: Revision ID
 * @class_code: base class << 16 | sub-class << 8 | programming interface
 * @irq_pin: KVIRTIO_PCI_INTX_NONE or KVIRTIO_PCI_INTX_A
 */
struct kvirtio_pci_dev_id {
	u16 vendor;
	u16 device;
	u16 subsys_vendor;
	u16 subsys_id;
	u8 revision;
	u32 class_code;
	u8 irq_pin;
};

/**
 * struct kvirtio_pci_dev_stats - config-space access counters
 * @reads: accesses served
 * @writes: writes applied (possibly with every bit masked off)
 * @bad_reads: reads refused (bad width, out of range): returned all-ones
 * @bad_writes: writes refused (bad width, out of range): ignored
 */
struct kvirtio_pci_dev_stats {
	u64 reads;
	u64 writes;
	u64 bad_reads;
	u64 bad_writes;
};

/**
 * struct kvirtio_pci_dev - one PCI function's configuration space
 * @cfg: the image, little-endian as the guest sees it
 * @wmask: bits the guest may write
 * @w1cmask: bits a guest write of 1 clears
 * @reset_cfg: @cfg as it was when kvirtio_pci_dev_seal() was called
 * @bar_size: size of each BAR, 0 if unimplemented (for a 64-bit BAR the
 *	size is on the lower index, the upper one reads 0 here)
 * @cap_next: where the next capability goes (0: space exhausted)
 * @cap_last: offset of the last capability in the list (0: none)
 * @intx_status: mirror of the INTx level shown in the Status register
 * @ops: the owner's hooks
 * @stats: counters
 */
struct kvirtio_pci_dev {
	u8 cfg[KVIRTIO_PCI_CFG_SIZE];
	u8 wmask[KVIRTIO_PCI_CFG_SIZE];
	u8 w1cmask[KVIRTIO_PCI_CFG_SIZE];
	u8 reset_cfg[KVIRTIO_PCI_CFG_SIZE];
	u64 bar_size[KVIRTIO_PCI_NUM_BARS];
	u32 cap_next;
	u32 cap_last;
	bool intx_status;
	const struct kvirtio_pci_dev_ops *ops;
	struct kvirtio_pci_dev_stats stats;
};

void kvirtio_pci_dev_init(struct kvirtio_pci_dev *pdev,
			  const struct kvirtio_pci_dev_id *id,
			  const struct kvirtio_pci_dev_ops *ops);
int kvirtio_pci_dev_set_bar64(struct kvirtio_pci_dev *pdev, unsigned int bar,
			      u64 size, bool prefetch);
int kvirtio_pci_dev_set_bar32(struct kvirtio_pci_dev *pdev, unsigned int bar,
			      u64 size, bool prefetch);
int kvirtio_pci_dev_set_bar_io(struct kvirtio_pci_dev *pdev, unsigned int bar,
			       u64 size);
bool kvirtio_pci_dev_bar_is_io(const struct kvirtio_pci_dev *pdev,
			       unsigned int bar);
bool kvirtio_pci_dev_bar_is_64(const struct kvirtio_pci_dev *pdev,
			       unsigned int bar);
bool kvirtio_pci_dev_bar_is_upper(const struct kvirtio_pci_dev *pdev,
				  unsigned int bar);
int kvirtio_pci_dev_add_cap(struct kvirtio_pci_dev *pdev, u8 cap_id, u32 len);
void kvirtio_pci_dev_set_writable(struct kvirtio_pci_dev *pdev, u32 off,
				  u32 len, u32 mask);
void kvirtio_pci_dev_seal(struct kvirtio_pci_dev *pdev);
void kvirtio_pci_dev_reset(struct kvirtio_pci_dev *pdev);

u32 kvirtio_pci_dev_read(struct kvirtio_pci_dev *pdev, u32 off, u32 width);
void kvirtio_pci_dev_write(struct kvirtio_pci_dev *pdev, u32 off, u32 width,
			   u32 val);

u64 kvirtio_pci_dev_bar_addr(const struct kvirtio_pci_dev *pdev,
			     unsigned int bar);
void kvirtio_pci_dev_set_intx_status(struct kvirtio_pci_dev *pdev, bool on);
void kvirtio_pci_dev_raise_status(struct kvirtio_pci_dev *pdev, u16 bits);

/* Raw little-endian accessors of the image for the owner: no masks. */
static inline u8 kvirtio_pci_dev_get8(const struct kvirtio_pci_dev *pdev,
				      u32 off)
{
	return pdev->cfg[off];
}

static inline u16 kvirtio_pci_dev_get16(const struct kvirtio_pci_dev *pdev,
					u32 off)
{
	return pdev->cfg[off] | (u16)pdev->cfg[off + 1] << 8;
}

static inline u32 kvirtio_pci_dev_get32(const struct kvirtio_pci_dev *pdev,
					u32 off)
{
	return kvirtio_pci_dev_get16(pdev, off) |
	       (u32)kvirtio_pci_dev_get16(pdev, off + 2) << 16;
}

static inline void kvirtio_pci_dev_put8(struct kvirtio_pci_dev *pdev, u32 off,
					u8 val)
{
	pdev->cfg[off] = val;
}

static inline void kvirtio_pci_dev_put16(struct kvirtio_pci_dev *pdev,
					 u32 off, u16 val)
{
	pdev->cfg[off] = val & 0xff;
	pdev->cfg[off + 1] = val >> 8;
}

static inline void kvirtio_pci_dev_put32(struct kvirtio_pci_dev *pdev,
					 u32 off, u32 val)
{
	kvirtio_pci_dev_put16(pdev, off, val & 0xffff);
	kvirtio_pci_dev_put16(pdev, off + 2, val >> 16);
}

static inline u16 kvirtio_pci_dev_command(const struct kvirtio_pci_dev *pdev)
{
	return kvirtio_pci_dev_get16(pdev, KVIRTIO_PCI_COMMAND);
}

#endif /* KVIRTIO_PCI_DEV_H */
