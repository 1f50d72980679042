// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio PCI device model: type-0 configuration space with write masks.
 *
 * Every guest access is applied byte by byte through two masks, so any
 * width at any offset behaves like the hardware register file would:
 * read-only bits keep their value, RW1C bits clear on a written 1, and a
 * BAR's low address bits (below its size) stay zero, which is exactly the
 * sizing protocol (write all-ones, read back ~(size - 1) | flags).
 */
#include "pci_dev.h"

/**
 * kvirtio_pci_dev_init() - an empty type-0 header with an identity
 * @pdev: the model
 * @id: vendor, device, class, subsystem and interrupt pin
 * @ops: the owner's access hooks (may be NULL)
 *
 * No BAR and no capability yet; add them, then kvirtio_pci_dev_seal().
 */
void kvirtio_pci_dev_init(struct kvirtio_pci_dev *pdev,
			  const struct kvirtio_pci_dev_id *id,
			  const struct kvirtio_pci_dev_ops *ops)
{
	memset(pdev, 0, sizeof(*pdev));
	pdev->ops = ops;

	kvirtio_pci_dev_put16(pdev, KVIRTIO_PCI_VENDOR_ID, id->vendor);
	kvirtio_pci_dev_put16(pdev, KVIRTIO_PCI_DEVICE_ID, id->device);
	kvirtio_pci_dev_put8(pdev, KVIRTIO_PCI_REVISION_ID, id->revision);
	/* Programming interface, sub-class, base class: one 24-bit field. */
	kvirtio_pci_dev_put8(pdev, KVIRTIO_PCI_CLASS_PROG,
			     id->class_code & 0xff);
	kvirtio_pci_dev_put16(pdev, KVIRTIO_PCI_CLASS_PROG + 1,
			      (id->class_code >> 8) & 0xffff);
	/* Header type 0, single function; BIST not supported (reads 0). */
	kvirtio_pci_dev_put8(pdev, KVIRTIO_PCI_HEADER_TYPE, 0);
	kvirtio_pci_dev_put16(pdev, KVIRTIO_PCI_SUBSYSTEM_VENDOR_ID,
			      id->subsys_vendor);
	kvirtio_pci_dev_put16(pdev, KVIRTIO_PCI_SUBSYSTEM_ID, id->subsys_id);
	kvirtio_pci_dev_put8(pdev, KVIRTIO_PCI_INTERRUPT_PIN, id->irq_pin);

	kvirtio_pci_dev_set_writable(pdev, KVIRTIO_PCI_COMMAND, 2,
				     KVIRTIO_PCI_CMD_WRITABLE);
	pdev->w1cmask[KVIRTIO_PCI_STATUS] = KVIRTIO_PCI_STS_RW1C & 0xff;
	pdev->w1cmask[KVIRTIO_PCI_STATUS + 1] = KVIRTIO_PCI_STS_RW1C >> 8;
	/* Scratch registers software may use; no effect on the model. */
	kvirtio_pci_dev_set_writable(pdev, KVIRTIO_PCI_CACHE_LINE_SIZE, 1,
				     0xff);
	kvirtio_pci_dev_set_writable(pdev, KVIRTIO_PCI_INTERRUPT_LINE, 1,
				     0xff);
	/* Expansion ROM and the unused BARs stay read-only zero. */

	pdev->cap_next = KVIRTIO_PCI_CAP_START;
	pdev->cap_last = 0;
}

/**
 * kvirtio_pci_dev_set_bar64() - implement a 64-bit memory BAR
 * @pdev: the model
 * @bar: lower BAR register index (0, 2 or 4); @bar + 1 holds the upper half
 * @size: a power of two, at least 16 bytes
 * @prefetch: mark the BAR prefetchable (only for side-effect-free BARs)
 *
 * Return: 0, or -EINVAL.
 */
int kvirtio_pci_dev_set_bar64(struct kvirtio_pci_dev *pdev, unsigned int bar,
			      u64 size, bool prefetch)
{
	u32 reg;
	u64 amask;

	if (bar + 1 >= KVIRTIO_PCI_NUM_BARS || size < 16 ||
	    !is_power_of_2(size) || pdev->bar_size[bar] ||
	    pdev->bar_size[bar + 1])
		return -EINVAL;

	reg = KVIRTIO_PCI_BAR0 + 4 * bar;
	amask = ~(size - 1);
	kvirtio_pci_dev_put32(pdev, reg, KVIRTIO_PCI_BAR_MEM_TYPE_64 |
			      (prefetch ? KVIRTIO_PCI_BAR_MEM_PREFETCH : 0));
	kvirtio_pci_dev_put32(pdev, reg + 4, 0);
	kvirtio_pci_dev_set_writable(pdev, reg, 4,
				     lower_32_bits(amask) &
				     ~(u32)KVIRTIO_PCI_BAR_MEM_FLAGS);
	kvirtio_pci_dev_set_writable(pdev, reg + 4, 4, upper_32_bits(amask));
	pdev->bar_size[bar] = size;
	return 0;
}

/**
 * kvirtio_pci_dev_set_bar32() - implement a 32-bit memory BAR
 * @pdev: the model
 * @bar: BAR register index (0..5)
 * @size: a power of two, 16 bytes to 2 GiB
 * @prefetch: mark the BAR prefetchable
 *
 * Return: 0, or -EINVAL.
 */
int kvirtio_pci_dev_set_bar32(struct kvirtio_pci_dev *pdev, unsigned int bar,
			      u64 size, bool prefetch)
{
	u32 reg;

	if (bar >= KVIRTIO_PCI_NUM_BARS || size < 16 || size > (1ULL << 31) ||
	    !is_power_of_2(size) || pdev->bar_size[bar] ||
	    kvirtio_pci_dev_bar_is_upper(pdev, bar))
		return -EINVAL;

	reg = KVIRTIO_PCI_BAR0 + 4 * bar;
	kvirtio_pci_dev_put32(pdev, reg,
			      prefetch ? KVIRTIO_PCI_BAR_MEM_PREFETCH : 0);
	kvirtio_pci_dev_set_writable(pdev, reg, 4,
				     ~(u32)(size - 1) &
				     ~(u32)KVIRTIO_PCI_BAR_MEM_FLAGS);
	pdev->bar_size[bar] = size;
	return 0;
}

/**
 * kvirtio_pci_dev_set_bar_io() - implement an I/O space BAR
 * @pdev: the model
 * @bar: BAR register index (0..5)
 * @size: a power of two, 4 to 256 bytes (the most PCI allows an I/O BAR)
 *
 * Also makes the I/O Space bit of the command register writable.
 *
 * Return: 0, or -EINVAL.
 */
int kvirtio_pci_dev_set_bar_io(struct kvirtio_pci_dev *pdev, unsigned int bar,
			       u64 size)
{
	u32 reg;

	if (bar >= KVIRTIO_PCI_NUM_BARS || size < 4 || size > 256 ||
	    !is_power_of_2(size) || pdev->bar_size[bar] ||
	    kvirtio_pci_dev_bar_is_upper(pdev, bar))
		return -EINVAL;

	reg = KVIRTIO_PCI_BAR0 + 4 * bar;
	kvirtio_pci_dev_put32(pdev, reg, KVIRTIO_PCI_BAR_IO);
	/* Bits 31:16 stay zero: x86 port space is 64 KiB. */
	kvirtio_pci_dev_set_writable(pdev, reg, 4,
				     0xffff & ~(u32)(size - 1) &
				     ~(u32)KVIRTIO_PCI_BAR_IO_FLAGS);
	pdev->wmask[KVIRTIO_PCI_COMMAND] |= KVIRTIO_PCI_CMD_IO;
	pdev->bar_size[bar] = size;
	return 0;
}

/**
 * kvirtio_pci_dev_bar_is_io() - BAR @bar is an implemented I/O BAR
 * @pdev: the model
 * @bar: BAR register index
 */
bool kvirtio_pci_dev_bar_is_io(const struct kvirtio_pci_dev *pdev,
			       unsigned int bar)
{
	return bar < KVIRTIO_PCI_NUM_BARS && pdev->bar_size[bar] &&
	       (kvirtio_pci_dev_get8(pdev, KVIRTIO_PCI_BAR0 + 4 * bar) &
		KVIRTIO_PCI_BAR_IO);
}

/**
 * kvirtio_pci_dev_bar_is_64() - BAR @bar is an implemented 64-bit BAR
 * @pdev: the model
 * @bar: lower BAR register index
 */
bool kvirtio_pci_dev_bar_is_64(const struct kvirtio_pci_dev *pdev,
			       unsigned int bar)
{
	return bar + 1 < KVIRTIO_PCI_NUM_BARS && pdev->bar_size[bar] &&
	       !kvirtio_pci_dev_bar_is_io(pdev, bar) &&
	       (kvirtio_pci_dev_get8(pdev, KVIRTIO_PCI_BAR0 + 4 * bar) &
		KVIRTIO_PCI_BAR_MEM_TYPE_64);
}

/**
 * kvirtio_pci_dev_bar_is_upper() - register @bar is the upper half of a
 *	64-bit BAR
 * @pdev: the model
 * @bar: BAR register index
 */
bool kvirtio_pci_dev_bar_is_upper(const struct kvirtio_pci_dev *pdev,
				  unsigned int bar)
{
	return bar > 0 && bar < KVIRTIO_PCI_NUM_BARS &&
	       kvirtio_pci_dev_bar_is_64(pdev, bar - 1);
}

/**
 * kvirtio_pci_dev_add_cap() - append a capability to the list
 * @pdev: the model
 * @cap_id: capability ID
 * @len: bytes of the capability, header included (>= 2)
 *
 * Writes the ID and a zero next pointer, links the capability at the end
 * of the list and sets the Capabilities List status bit.  The body is
 * zero and read-only until the owner fills it and opens writable bits.
 *
 * Return: the capability's offset, or -ENOSPC / -EINVAL.
 */
int kvirtio_pci_dev_add_cap(struct kvirtio_pci_dev *pdev, u8 cap_id, u32 len)
{
	u32 off = pdev->cap_next;
	u16 sts;

	if (len < 2 || len > KVIRTIO_PCI_CFG_SIZE)
		return -EINVAL;
	if (!off || off > KVIRTIO_PCI_CFG_SIZE - len)
		return -ENOSPC;

	kvirtio_pci_dev_put8(pdev, off, cap_id);
	kvirtio_pci_dev_put8(pdev, off + 1, 0);
	if (pdev->cap_last)
		kvirtio_pci_dev_put8(pdev, pdev->cap_last + 1, off);
	else
		kvirtio_pci_dev_put8(pdev, KVIRTIO_PCI_CAPABILITY_LIST, off);
	sts = kvirtio_pci_dev_get16(pdev, KVIRTIO_PCI_STATUS);
	kvirtio_pci_dev_put16(pdev, KVIRTIO_PCI_STATUS,
			      sts | KVIRTIO_PCI_STS_CAP_LIST);

	pdev->cap_last = off;
	/* Capabilities are dword aligned; 0 marks the space as full. */
	pdev->cap_next = ALIGN(off + len, 4);
	if (pdev->cap_next >= KVIRTIO_PCI_CFG_SIZE)
		pdev->cap_next = 0;
	return off;
}

/**
 * kvirtio_pci_dev_set_writable() - set the guest-writable bits of a field
 * @pdev: the model
 * @off: offset of the field
 * @len: 1..4 bytes
 * @mask: writable bits, little-endian over the @len bytes
 */
void kvirtio_pci_dev_set_writable(struct kvirtio_pci_dev *pdev, u32 off,
				  u32 len, u32 mask)
{
	u32 i;

	for (i = 0; i < len && i < 4 && off + i < KVIRTIO_PCI_CFG_SIZE; i++)
		pdev->wmask[off + i] = (mask >> (8 * i)) & 0xff;
}

/**
 * kvirtio_pci_dev_seal() - remember the current image as the reset state
 * @pdev: the model
 */
void kvirtio_pci_dev_seal(struct kvirtio_pci_dev *pdev)
{
	memcpy(pdev->reset_cfg, pdev->cfg, sizeof(pdev->cfg));
}

/**
 * kvirtio_pci_dev_reset() - back to the sealed power-on image
 * @pdev: the model
 *
 * BAR addresses, command, status error bits, interrupt line and every
 * capability's writable fields return to their initial values.
 */
void kvirtio_pci_dev_reset(struct kvirtio_pci_dev *pdev)
{
	memcpy(pdev->cfg, pdev->reset_cfg, sizeof(pdev->cfg));
	WRITE_ONCE(pdev->intx_status, false);
}

static bool kvirtio_pci_dev_access_ok(u32 off, u32 width)
{
	if (width != 1 && width != 2 && width != 4)
		return false;
	return off < KVIRTIO_PCI_CFG_SIZE && width <= KVIRTIO_PCI_CFG_SIZE - off;
}

static u32 kvirtio_pci_dev_ones(u32 width)
{
	return width == 1 ? 0xff : width == 2 ? 0xffff : 0xffffffff;
}

/**
 * kvirtio_pci_dev_read() - a guest read of config space
 * @pdev: the model
 * @off: offset
 * @width: 1, 2 or 4; any alignment as long as the access stays inside
 *
 * Return: the value, or all-ones (for the width; 32 bits for a bad width)
 * when the access is refused, which is counted.
 */
u32 kvirtio_pci_dev_read(struct kvirtio_pci_dev *pdev, u32 off, u32 width)
{
	u32 val = 0, i;

	if (!kvirtio_pci_dev_access_ok(off, width)) {
		pdev->stats.bad_reads++;
		return kvirtio_pci_dev_ones(width);
	}
	pdev->stats.reads++;

	if (pdev->ops && pdev->ops->before_read)
		pdev->ops->before_read(pdev, off, width);

	for (i = 0; i < width; i++) {
		u8 b = pdev->cfg[off + i];

		/* The Interrupt Status bit mirrors the INTx level. */
		if (off + i == KVIRTIO_PCI_STATUS) {
			b &= ~KVIRTIO_PCI_STS_INTERRUPT;
			if (READ_ONCE(pdev->intx_status))
				b |= KVIRTIO_PCI_STS_INTERRUPT;
		}
		val |= (u32)b << (8 * i);
	}
	return val;
}

/**
 * kvirtio_pci_dev_write() - a guest write of config space
 * @pdev: the model
 * @off: offset
 * @width: 1, 2 or 4
 * @val: value; only writable bits change, RW1C bits clear on a 1
 *
 * A refused access (bad width or range) is ignored and counted.
 */
void kvirtio_pci_dev_write(struct kvirtio_pci_dev *pdev, u32 off, u32 width,
			   u32 val)
{
	u32 i;

	if (!kvirtio_pci_dev_access_ok(off, width)) {
		pdev->stats.bad_writes++;
		return;
	}
	pdev->stats.writes++;

	for (i = 0; i < width; i++) {
		u8 b = (val >> (8 * i)) & 0xff;
		u8 *p = &pdev->cfg[off + i];

		*p = (*p & ~pdev->wmask[off + i]) | (b & pdev->wmask[off + i]);
		*p &= ~(b & pdev->w1cmask[off + i]);
	}

	if (pdev->ops && pdev->ops->after_write)
		pdev->ops->after_write(pdev, off, width);
}

/**
 * kvirtio_pci_dev_bar_addr() - the address the guest programmed in a BAR
 * @pdev: the model
 * @bar: BAR register index of an implemented BAR (the lower one of a
 *	64-bit BAR)
 *
 * Return: the base address (both halves of a 64-bit BAR; a port number
 * for an I/O BAR), or 0 for an unimplemented BAR.
 */
u64 kvirtio_pci_dev_bar_addr(const struct kvirtio_pci_dev *pdev,
			     unsigned int bar)
{
	u32 reg, lo;

	if (bar >= KVIRTIO_PCI_NUM_BARS || !pdev->bar_size[bar])
		return 0;
	reg = KVIRTIO_PCI_BAR0 + 4 * bar;
	lo = kvirtio_pci_dev_get32(pdev, reg);
	if (kvirtio_pci_dev_bar_is_io(pdev, bar))
		return lo & ~(u32)KVIRTIO_PCI_BAR_IO_FLAGS;
	lo &= ~(u32)KVIRTIO_PCI_BAR_MEM_FLAGS;
	if (!kvirtio_pci_dev_bar_is_64(pdev, bar))
		return lo;
	return ((u64)kvirtio_pci_dev_get32(pdev, reg + 4) << 32) | lo;
}

/**
 * kvirtio_pci_dev_set_intx_status() - mirror the INTx level in Status
 * @pdev: the model
 * @on: an interrupt is pending
 *
 * Context: any; the owner serializes callers (its interrupt lock).
 */
void kvirtio_pci_dev_set_intx_status(struct kvirtio_pci_dev *pdev, bool on)
{
	WRITE_ONCE(pdev->intx_status, on);
}

/**
 * kvirtio_pci_dev_raise_status() - record an error in the Status register
 * @pdev: the model
 * @bits: KVIRTIO_PCI_STS_* error bits (RW1C: the guest clears them)
 *
 * Config-path context.  Other bits are ignored.
 */
void kvirtio_pci_dev_raise_status(struct kvirtio_pci_dev *pdev, u16 bits)
{
	u16 sts = kvirtio_pci_dev_get16(pdev, KVIRTIO_PCI_STATUS);

	kvirtio_pci_dev_put16(pdev, KVIRTIO_PCI_STATUS,
			      sts | (bits & KVIRTIO_PCI_STS_RW1C));
}
