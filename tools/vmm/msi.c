// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSI routing.  Every MSI-X vector of every function has its own GSI
 * (from 24 up) and an irqfd bound to it by the backend; the guest's
 * address/data pair for the vector becomes that GSI's MSI route.  KVM
 * takes the routing table as a whole, so each update rebuilds it: the
 * x86 irqchip pins first, then every programmed vector.  Masking is the
 * device model's business (it holds a masked vector's message pending and
 * never signals the eventfd), so a route only follows address and data.
 *
 * INTx: a function's INT A is the I/O APIC pin the MP table gives its
 * slot (mptable.c), a GSI below 24 that the irqchip routes above always
 * cover.  The backend raises it: backend=kernel through a resampling
 * irqfd (kvirtio_dev_attach_intx()), backend=user with KVM_IRQ_LINE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../lib/libkvirtio.h"
#include "intx.h"
#include "vmm.h"

#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d

/* MSI GSIs above every irqchip pin; INTx pins on the I/O APIC's. */
_Static_assert(VMM_GSI_MSI_BASE >= VMM_IRQCHIP_PINS,
	       "MSI GSIs would collide with irqchip pins");
_Static_assert(VMM_PCI_INTX_PIN0 >= 16 &&
	       VMM_PCI_INTX_PIN0 + VMM_PCI_INTX_PINS <= VMM_IRQCHIP_PINS,
	       "PCI INTx pins must be non-ISA I/O APIC pins");

/*
 * The INTx pin of @d's slot, written to its Interrupt Line register as
 * firmware does: the guest reads there what the MP table says.
 */
static void intx_line(struct vmm_dev *d)
{
	pthread_mutex_lock(&d->lock);
	if (d->ops->cfg_read(d, PCI_INTERRUPT_PIN, 1) & 0xff)
		d->ops->cfg_write(d, PCI_INTERRUPT_LINE, 1,
				  vmm_pci_intx_gsi(d->slot));
	pthread_mutex_unlock(&d->lock);
}

/*
 * Give @d its GSIs: gsi_base .. gsi_base + num_msix - 1 for its MSI-X
 * vectors; its INT A has its slot's (intx.h).
 */
int vmm_msi_alloc(struct vmm_dev *d)
{
	struct vmm *vmm = d->vmm;

	intx_line(d);

	d->msi_addr = calloc(d->num_msix ? d->num_msix : 1,
			     sizeof(*d->msi_addr));
	d->msi_data = calloc(d->num_msix ? d->num_msix : 1,
			     sizeof(*d->msi_data));
	if (!d->msi_addr || !d->msi_data)
		return -ENOMEM;
	d->gsi_base = vmm->gsi_next;
	vmm->gsi_next += d->num_msix;
	return 0;
}

/**
 * vmm_msi_update() - reprogram KVM's GSI routing from the MSI-X tables
 * @vmm: the VM
 *
 * A vector whose table cannot be read right now keeps its last route:
 * backend=kernel reads the table through the BAR, -EAGAIN while the guest
 * has memory decoding off.  The guest may program the table meanwhile
 * through the PCI_CFG window, so pci.c calls this again when the guest
 * turns decoding on.  (backend=user reads the transport's table, which
 * decoding does not hide.)
 *
 * Return: 0 or a negative errno.
 */
int vmm_msi_update(struct vmm *vmm)
{
	struct kvm_irq_routing *r;
	unsigned int i, v, n, max = 64;
	int ret = 0;

	for (i = 0; i < vmm->ndevs; i++)
		max += vmm->devs[i]->num_msix;
	r = calloc(1, sizeof(*r) + max * sizeof(r->entries[0]));
	if (!r)
		return -ENOMEM;
	pthread_mutex_lock(&vmm->route_lock);
	n = kvirtio_kvm_irqchip_routes(r->entries);
	for (i = 0; i < vmm->ndevs; i++) {
		struct vmm_dev *d = vmm->devs[i];

		for (v = 0; v < d->num_msix && d->msi_addr; v++) {
			uint64_t addr;
			uint32_t data;
			bool ok;

			if (!d->ops->msix_entry(d, v, &addr, &data, &ok)) {
				d->msi_addr[v] = addr;
				d->msi_data[v] = data;
			}
			if (!d->msi_addr[v])
				continue;
			kvirtio_kvm_msi_route(&r->entries[n++], d->gsi_base + v,
					      d->msi_addr[v], d->msi_data[v]);
		}
	}
	r->nr = n;
	if (ioctl(vmm->vm_fd, KVM_SET_GSI_ROUTING, r) < 0) {
		ret = -errno;
		fprintf(stderr, "vmm: KVM_SET_GSI_ROUTING: %s\n",
			strerror(errno));
	}
	pthread_mutex_unlock(&vmm->route_lock);
	free(r);
	return ret;
}
