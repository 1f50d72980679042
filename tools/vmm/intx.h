/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PCI INTx of the reference VMM: INT A of slot s is I/O APIC pin
 * 16 + (s - 1) % 8, the same GSI in KVM's default routing (mptable.c says
 * why).  The MP table lists it, msi.c writes it to the function's
 * Interrupt Line register, and the backends raise it: backend=user with
 * KVM_IRQ_LINE, backend=kernel through kvirtio_dev_attach_intx().
 */
#ifndef KVIRTIO_VMM_INTX_H
#define KVIRTIO_VMM_INTX_H

#define VMM_PCI_INTX_PIN0	16
#define VMM_PCI_INTX_PINS	8

/* GSI (= I/O APIC pin) of INT A of PCI slot @slot (1 and up). */
static inline unsigned int vmm_pci_intx_gsi(unsigned int slot)
{
	return VMM_PCI_INTX_PIN0 + (slot - 1) % VMM_PCI_INTX_PINS;
}

#endif /* KVIRTIO_VMM_INTX_H */
