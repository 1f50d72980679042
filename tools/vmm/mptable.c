// SPDX-License-Identifier: GPL-2.0-only
/*
 * Intel MultiProcessor Specification 1.4 table: how a Linux guest without
 * ACPI finds its CPUs (local APIC ids 0..N-1), the I/O APIC (id N, at
 * 0xfec00000) and the ISA and PCI interrupt wiring.  The floating pointer
 * and the configuration table sit at 0xf0000, inside the BIOS area that
 * the e820 map reserves and that Linux scans.
 *
 * Buses: PCI is MP bus 0 and ISA bus 1.  Linux looks a PCI function's
 * INTx up by its PCI bus number as an MP bus id
 * (IO_APIC_get_PCI_irq_vector()), so the PCI bus's id must be 0.
 *
 * PCI INTx (a guest booted with pci=nomsi, or any driver without MSI-X):
 * INT A of slot s (source bus IRQ s << 2 | 0) is wired to I/O APIC pin
 * 16 + (s - 1) % 8, level-triggered, active low:
 *
 *	slot	01 02 03 04 05 06 07 08 09 .. 16
 *	pin	16 17 18 19 20 21 22 23 16 .. 23
 *
 * Pins 16-23 are free of ISA interrupts; slots 9-16 share them (PCI
 * interrupts are shareable, level-triggered lines).  KVM's default
 * routing, which the VMM installs again with every MSI route
 * (kvirtio_kvm_irqchip_routes()), makes GSI n I/O APIC pin n for all 24
 * pins; MSI routes take GSIs from 24 on (msi.c), so they never land on
 * these pins.  Each function's Interrupt Line register holds the same
 * number (msi.c writes it, as firmware would).  The functions are the
 * --rng and --blk devices in command-line order from slot 1 (pci.c),
 * which is all this table needs to know before they exist.
 */
#include <errno.h>
#include <string.h>

#include "intx.h"
#include "vmm.h"

#define MPF_SIG		"_MP_"
#define MPC_SIG		"PCMP"
#define MP_SPEC_REV	4
#define APIC_VERSION	0x14
#define IOAPIC_VERSION	0x11

enum { MP_PROC, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };
enum { MP_BUS_PCI_ID = 0, MP_BUS_ISA_ID = 1 };
/* struct mpc_int.flags: polarity bits 1:0, trigger mode bits 3:2. */
#define MP_IRQ_ACTIVE_LOW	0x3
#define MP_IRQ_LEVEL		(0x3 << 2)

struct mpf {
	char sig[4];
	uint32_t physptr;
	uint8_t length;		/* in 16-byte units */
	uint8_t rev;
	uint8_t checksum;
	uint8_t feature[5];
} __attribute__((packed));

struct mpc {
	char sig[4];
	uint16_t length;
	uint8_t rev;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t count;
	uint32_t lapic;
	uint16_t ext_len;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t flags;		/* bit 0: enabled, bit 1: boot processor */
	uint32_t signature;
	uint32_t features;
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type;
	uint8_t id;
	char name[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type;
	uint8_t id;
	uint8_t ver;
	uint8_t flags;
	uint32_t addr;
} __attribute__((packed));

struct mpc_int {
	uint8_t type;
	uint8_t irqtype;
	uint16_t flags;		/* 0: polarity and trigger conform to bus */
	uint8_t srcbus;
	uint8_t srcirq;
	uint8_t dst;		/* I/O APIC id, or 0xff: all local APICs */
	uint8_t dstirq;
} __attribute__((packed));

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

int vmm_mptable_build(struct vmm *vmm)
{
	uint8_t *base = vmm_gpa(vmm, VMM_BIOS_START, 0x10000);
	struct mpf *mpf = (struct mpf *)base;
	struct mpc *mpc = (struct mpc *)(base + sizeof(*mpf));
	uint8_t *p = (uint8_t *)(mpc + 1);
	uint8_t ioapic_id = vmm->ncpus;
	unsigned int i, slot, count = 0;

	if (!base)
		return -ENOMEM;
	memset(base, 0, 0x10000);

	for (i = 0; i < vmm->ncpus; i++) {
		struct mpc_cpu *c = (struct mpc_cpu *)p;

		c->type = MP_PROC;
		c->apicid = i;
		c->apicver = APIC_VERSION;
		c->flags = 1 | (i == 0 ? 2 : 0);
		c->signature = 0x600;	/* family 6: only informative */
		c->features = 0x201;	/* FPU, APIC */
		p += sizeof(*c);
		count++;
	}
	for (i = 0; i < 2; i++) {
		struct mpc_bus *b = (struct mpc_bus *)p;

		b->type = MP_BUS;
		b->id = i ? MP_BUS_ISA_ID : MP_BUS_PCI_ID;
		memcpy(b->name, i ? "ISA   " : "PCI   ", 6);
		p += sizeof(*b);
		count++;
	}
	{
		struct mpc_ioapic *io = (struct mpc_ioapic *)p;

		io->type = MP_IOAPIC;
		io->id = ioapic_id;
		io->ver = IOAPIC_VERSION;
		io->flags = 1;
		io->addr = VMM_IOAPIC_ADDR;
		p += sizeof(*io);
		count++;
	}
	/* ISA IRQ n on I/O APIC pin n: KVM's default GSI routing. */
	for (i = 0; i < 16; i++) {
		struct mpc_int *in = (struct mpc_int *)p;

		in->type = MP_INTSRC;
		in->irqtype = MP_INT;
		in->srcbus = MP_BUS_ISA_ID;
		in->srcirq = i;
		in->dst = ioapic_id;
		in->dstirq = i;
		p += sizeof(*in);
		count++;
	}
	/* INT A of each device's slot; the host bridge (slot 0) has none. */
	for (slot = 1; slot <= vmm->nspecs; slot++) {
		struct mpc_int *in = (struct mpc_int *)p;

		in->type = MP_INTSRC;
		in->irqtype = MP_INT;
		in->flags = MP_IRQ_ACTIVE_LOW | MP_IRQ_LEVEL;
		in->srcbus = MP_BUS_PCI_ID;
		in->srcirq = slot << 2 | 0;
		in->dst = ioapic_id;
		in->dstirq = vmm_pci_intx_gsi(slot);
		p += sizeof(*in);
		count++;
	}
	for (i = 0; i < 2; i++) {
		struct mpc_int *l = (struct mpc_int *)p;

		l->type = MP_LINTSRC;
		l->irqtype = i ? MP_NMI : MP_EXTINT;
		l->srcbus = MP_BUS_ISA_ID;
		l->srcirq = 0;
		l->dst = 0xff;
		l->dstirq = i;
		p += sizeof(*l);
		count++;
	}

	memcpy(mpc->sig, MPC_SIG, 4);
	mpc->length = p - (uint8_t *)mpc;
	mpc->rev = MP_SPEC_REV;
	memcpy(mpc->oem, "KVIRTIO ", 8);
	memcpy(mpc->product, "REFVMM      ", 12);
	mpc->count = count;
	mpc->lapic = VMM_LAPIC_ADDR;
	mpc->checksum = checksum(mpc, mpc->length);

	memcpy(mpf->sig, MPF_SIG, 4);
	mpf->physptr = VMM_BIOS_START + sizeof(*mpf);
	mpf->length = 1;
	mpf->rev = MP_SPEC_REV;
	mpf->checksum = checksum(mpf, sizeof(*mpf));
	return 0;
}
