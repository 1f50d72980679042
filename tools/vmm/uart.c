// SPDX-License-Identifier: GPL-2.0-only
/*
 * 16550A UART at 0x3f8 (COM1, IRQ 4): transmit-only console with THRE
 * interrupts.  Each byte written to THR goes straight to stdout, so the
 * transmitter is always empty: THRE is raised again right after a write.
 * The loopback mode that the Linux 8250 probe exercises is modelled;
 * there is no input (reads of RBR return 0 and DR never sets).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm.h"

#define UART_BASE	0x3f8
#define UART_IRQ	4

#define IER_RDI		0x01
#define IER_THRI	0x02
#define IIR_NONE	0x01
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_FIFO	0xc0
#define FCR_ENABLE	0x01
#define LCR_DLAB	0x80
#define MCR_LOOP	0x10
#define LSR_DR		0x01
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define MSR_DEFAULT	0xb0	/* DCD, DSR, CTS */

static struct {
	pthread_mutex_t lock;
	struct vmm *vmm;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thre_pending;
	bool rx_full;
	uint8_t rx;
	bool irq_level;
} uart = { .lock = PTHREAD_MUTEX_INITIALIZER };

void vmm_uart_init(struct vmm *vmm)
{
	uart.vmm = vmm;
	uart.dll = 12;	/* 9600 baud, as after a BIOS */
	uart.lcr = 0x03;
	uart.thre_pending = false;
}

static uint8_t iir(void)
{
	if ((uart.ier & IER_RDI) && uart.rx_full)
		return IIR_RDI;
	if ((uart.ier & IER_THRI) && uart.thre_pending)
		return IIR_THRI;
	return IIR_NONE;
}

static void update_irq(void)
{
	struct kvm_irq_level irq;
	bool level = iir() != IIR_NONE;

	if (level == uart.irq_level)
		return;
	uart.irq_level = level;
	irq.irq = UART_IRQ;
	irq.level = level;
	ioctl(uart.vmm->vm_fd, KVM_IRQ_LINE, &irq);
	if (level)
		atomic_fetch_add(&uart.vmm->stats.uart_irqs, 1);
}

static void tx(uint8_t c)
{
	ssize_t n;

	uart.thre_pending = false;
	update_irq();
	if (uart.mcr & MCR_LOOP) {
		uart.rx = c;
		uart.rx_full = true;
	} else {
		do {
			n = write(STDOUT_FILENO, &c, 1);
		} while (n < 0 && errno == EINTR);
	}
	uart.thre_pending = true;
	update_irq();
}

static uint8_t read_reg(unsigned int reg)
{
	uint8_t v = 0;

	switch (reg) {
	case 0:
		if (uart.lcr & LCR_DLAB)
			return uart.dll;
		v = uart.rx;
		uart.rx_full = false;
		break;
	case 1:
		return (uart.lcr & LCR_DLAB) ? uart.dlm : uart.ier;
	case 2:
		v = iir();
		if (v == IIR_THRI)
			uart.thre_pending = false;
		if (uart.fcr & FCR_ENABLE)
			v |= IIR_FIFO;
		break;
	case 3:
		return uart.lcr;
	case 4:
		return uart.mcr;
	case 5:
		return LSR_THRE | LSR_TEMT | (uart.rx_full ? LSR_DR : 0);
	case 6:
		if (uart.mcr & MCR_LOOP) {
			/* DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
			v = ((uart.mcr & 0x01) << 5) | ((uart.mcr & 0x02) << 3) |
			    ((uart.mcr & 0x04) << 4) | ((uart.mcr & 0x08) << 4);
			return v;
		}
		return MSR_DEFAULT;
	case 7:
		return uart.scr;
	}
	update_irq();
	return v;
}

static void write_reg(unsigned int reg, uint8_t v)
{
	switch (reg) {
	case 0:
		if (uart.lcr & LCR_DLAB)
			uart.dll = v;
		else
			tx(v);
		return;
	case 1:
		if (uart.lcr & LCR_DLAB) {
			uart.dlm = v;
			return;
		}
		/* Enabling THRI with an empty transmitter interrupts. */
		if ((v & IER_THRI) && !(uart.ier & IER_THRI))
			uart.thre_pending = true;
		uart.ier = v & 0x0f;
		break;
	case 2:
		uart.fcr = v;
		break;
	case 3:
		uart.lcr = v;
		return;
	case 4:
		uart.mcr = v & 0x1f;
		break;
	case 7:
		uart.scr = v;
		return;
	default:
		return;
	}
	update_irq();
}

/**
 * vmm_uart_io() - port I/O on COM1
 * @vmm: the VM
 * @port: the port
 * @write: direction
 * @data: one byte
 *
 * Return: true when @port belongs to the UART.
 */
bool vmm_uart_io(struct vmm *vmm, uint16_t port, bool write, uint8_t *data)
{
	if (port < UART_BASE || port >= UART_BASE + 8)
		return false;
	(void)vmm;
	pthread_mutex_lock(&uart.lock);
	if (write)
		write_reg(port - UART_BASE, *data);
	else
		*data = read_reg(port - UART_BASE);
	pthread_mutex_unlock(&uart.lock);
	return true;
}
