/* SPDX-License-Identifier: GPL-2.0-only */
/* Symbols of head.S used by the self-test guest. */
#ifndef KVIRTIO_VMM_SELFTEST_GUEST_H
#define KVIRTIO_VMM_SELFTEST_GUEST_H

#include <stdint.h>

/* Interrupts taken on IRQ_VECTOR, IRQ_VECTOR2 and IRQ_VECTOR3. */
extern uint32_t irq_count;
extern uint32_t irq_count2;
extern uint32_t irq_count3;
/* Their handlers. */
void irq_entry(void);
void irq_entry2(void);
void irq_entry3(void);
/*
 * INTx: interrupts taken on IRQ_VECTOR_INTX; the handler reads the byte
 * at intx_isr (the device's ISR, lowering its level) and ORs it into
 * intx_isr_seen, except while intx_keep is non-zero: it then only
 * decrements intx_keep.  EOI either way.
 */
extern uint32_t intx_count;
extern uintptr_t intx_isr;
extern uint32_t intx_isr_seen;
extern uint32_t intx_keep;
void irq_entry_intx(void);
/* The C test, called with the zero page that the VMM passed in %rsi. */
void selftest_main(const uint8_t *zero_page);

#endif /* KVIRTIO_VMM_SELFTEST_GUEST_H */
