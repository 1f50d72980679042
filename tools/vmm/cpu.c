// SPDX-License-Identifier: GPL-2.0-only
/*
 * vCPUs: one thread each running KVM_RUN and dispatching the exits that
 * reach userspace (port I/O, MMIO, shutdown).  With the in-kernel irqchip
 * the application processors start in the wait-for-SIPI state, and Linux
 * wakes them through its local APIC: only vCPU 0 gets a register state.
 *
 * Guest-initiated stops: a triple fault (KVM_EXIT_SHUTDOWN), the i8042
 * reset (0xfe to port 0x64), a PCI reset through port 0xcf9 and a
 * KVM_EXIT_SYSTEM_EVENT all end the VM with status 0; a byte written to
 * the debug exit port 0x501 ends it with that byte as the exit status.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vmm.h"

#define PORT_I8042_CMD	0x64
#define PORT_RST_CNT	0xcf9

#define CPUID_1_ECX_HYPERVISOR	(1U << 31)

static struct kvm_cpuid2 *supported_cpuid(struct vmm *vmm)
{
	struct kvm_cpuid2 *c;
	int n = 128;

	for (;;) {
		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return NULL;
		c->nent = n;
		if (!ioctl(vmm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c))
			return c;
		free(c);
		if (errno != E2BIG || n >= 4096)
			return NULL;
		n *= 2;
	}
}

static void cpuid_clear(struct kvm_cpuid_entry2 *e)
{
	e->eax = 0;
	e->ebx = 0;
	e->ecx = 0;
	e->edx = 0;
}

static int setup_cpuid(struct vmm_cpu *cpu, const struct kvm_cpuid2 *sup)
{
	size_t sz = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	unsigned int i;
	int ret = 0;

	if (!c)
		return -ENOMEM;
	memcpy(c, sup, sz);
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			/* Initial APIC id, the CPU count hint, and "hypervisor"
			 * so that Linux looks for KVM (kvm-clock, PV EOI).
			 */
			e->ebx = (e->ebx & 0x0000ffff) | ((uint32_t)cpu->id << 24) |
				 ((cpu->vmm->ncpus & 0xff) << 16);
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
			break;
		case 0xb:
		case 0x1f:
			e->edx = cpu->id;
			break;
		case 0xa:
			/* No guest PMU: not worth the exits. */
			cpuid_clear(e);
			break;
		}
	}
	if (ioctl(cpu->fd, KVM_SET_CPUID2, c) < 0)
		ret = -errno;
	free(c);
	return ret;
}

int vmm_cpus_create(struct vmm *vmm)
{
	struct kvm_cpuid2 *sup = supported_cpuid(vmm);
	unsigned int i;
	int ret;

	if (!sup) {
		fprintf(stderr, "vmm: KVM_GET_SUPPORTED_CPUID failed\n");
		return -EIO;
	}
	for (i = 0; i < vmm->ncpus; i++) {
		struct vmm_cpu *cpu = &vmm->cpus[i];

		cpu->vmm = vmm;
		cpu->id = i;
		cpu->fd = ioctl(vmm->vm_fd, KVM_CREATE_VCPU, i);
		if (cpu->fd < 0) {
			fprintf(stderr, "vmm: KVM_CREATE_VCPU %u: %s\n", i,
				strerror(errno));
			free(sup);
			return -errno;
		}
		cpu->run = mmap(NULL, vmm->run_size, PROT_READ | PROT_WRITE,
				MAP_SHARED, cpu->fd, 0);
		if (cpu->run == MAP_FAILED) {
			free(sup);
			return -errno;
		}
		ret = setup_cpuid(cpu, sup);
		if (ret) {
			fprintf(stderr, "vmm: KVM_SET_CPUID2: %s\n",
				strerror(-ret));
			free(sup);
			return ret;
		}
	}
	free(sup);
	return 0;
}

static void handle_io(struct vmm_cpu *cpu)
{
	struct vmm *vmm = cpu->vmm;
	struct kvm_run *run = cpu->run;
	bool write = run->io.direction == KVM_EXIT_IO_OUT;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint16_t port = run->io.port;
	unsigned int i;

	for (i = 0; i < run->io.count; i++, data += run->io.size) {
		if (write && port == VMM_PORT_EXIT) {
			vmm_request_stop(vmm, *data, "debug exit port");
			continue;
		}
		if (port == PORT_I8042_CMD && run->io.size == 1) {
			if (write && *data == 0xfe)
				vmm_request_stop(vmm, 0, "guest reset (i8042)");
			/*
			 * No controller: the output buffer looks full forever,
			 * so Linux's probe gives up at once, and the input
			 * buffer empty, so its reset path writes 0xfe at once
			 * instead of polling 64k times.
			 */
			else if (!write)
				*data = 0xfd;
			atomic_fetch_add(&vmm->stats.io_other, 1);
			continue;
		}
		if (write && port == PORT_RST_CNT && run->io.size == 1) {
			if (*data & 0x04)
				vmm_request_stop(vmm, 0, "guest reset (0xcf9)");
			continue;
		}
		if (run->io.size == 1 && vmm_uart_io(vmm, port, write, data)) {
			atomic_fetch_add(&vmm->stats.io_uart, 1);
			continue;
		}
		if (run->io.size == 1 && vmm_rtc_io(port, write, data)) {
			atomic_fetch_add(&vmm->stats.io_rtc, 1);
			continue;
		}
		if (vmm_pci_io(vmm, port, write, data, run->io.size)) {
			atomic_fetch_add(&vmm->stats.io_pci, 1);
			continue;
		}
		atomic_fetch_add(&vmm->stats.io_other, 1);
		atomic_fetch_add(&vmm->stats.io_port[port], 1);
		if (!write)
			memset(data, 0xff, run->io.size);
	}
}

static void handle_mmio(struct vmm_cpu *cpu)
{
	struct vmm *vmm = cpu->vmm;
	struct kvm_run *run = cpu->run;

	if (vmm_pci_mmio(vmm, run->mmio.phys_addr, run->mmio.is_write,
			 run->mmio.data, run->mmio.len))
		return;
	atomic_fetch_add(&vmm->stats.mmio_unclaimed, 1);
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
}

/*
 * Where the vCPU stood when it shut down: a deliberate reboot=t triple
 * fault and an unexpected one look alike to the VMM, the registers tell
 * them apart (with nokaslr on the guest's command line, rip maps to the
 * kernel's System.map).
 */
static void report_shutdown(struct vmm_cpu *cpu)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(cpu->fd, KVM_GET_REGS, &regs) ||
	    ioctl(cpu->fd, KVM_GET_SREGS, &sregs))
		return;
	fprintf(stderr,
		"vmm: vcpu %d shut down at rip=%#llx rsp=%#llx rflags=%#llx cs=%#x cr0=%#llx cr2=%#llx cr3=%#llx cr4=%#llx efer=%#llx idt=%#llx/%#x\n",
		cpu->id, regs.rip, regs.rsp, regs.rflags, sregs.cs.selector,
		sregs.cr0, sregs.cr2, sregs.cr3, sregs.cr4, sregs.efer,
		sregs.idt.base, sregs.idt.limit);
}

static void *cpu_thread(void *arg)
{
	struct vmm_cpu *cpu = arg;
	struct vmm *vmm = cpu->vmm;
	struct kvm_run *run = cpu->run;

	while (!atomic_load(&vmm->stopping)) {
		if (ioctl(cpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				atomic_fetch_add(&vmm->stats.exits[VMM_EXIT_INTR], 1);
				continue;
			}
			fprintf(stderr, "vmm: vcpu %d: KVM_RUN: %s\n", cpu->id,
				strerror(errno));
			vmm_request_stop(vmm, 1, "KVM_RUN failed");
			break;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			atomic_fetch_add(&vmm->stats.exits[VMM_EXIT_IO], 1);
			handle_io(cpu);
			break;
		case KVM_EXIT_MMIO:
			atomic_fetch_add(&vmm->stats.exits[VMM_EXIT_MMIO], 1);
			handle_mmio(cpu);
			break;
		case KVM_EXIT_SHUTDOWN:
			atomic_fetch_add(&vmm->stats.exits[VMM_EXIT_SHUTDOWN], 1);
			report_shutdown(cpu);
			vmm_request_stop(vmm, 0, "guest reset (triple fault)");
			return NULL;
		case KVM_EXIT_HLT:
			atomic_fetch_add(&vmm->stats.exits[VMM_EXIT_HLT], 1);
			break;
		case KVM_EXIT_INTR:
			atomic_fetch_add(&vmm->stats.exits[VMM_EXIT_INTR], 1);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			atomic_fetch_add(&vmm->stats.exits[VMM_EXIT_SYSTEM_EVENT], 1);
			vmm_request_stop(vmm, 0, "guest system event");
			return NULL;
		default:
			atomic_fetch_add(&vmm->stats.exits[VMM_EXIT_OTHER], 1);
			fprintf(stderr, "vmm: vcpu %d: unhandled exit %u (%#llx, %u)\n",
				cpu->id, run->exit_reason,
				(unsigned long long)run->fail_entry.hardware_entry_failure_reason,
				run->internal.suberror);
			vmm_request_stop(vmm, 1, "unhandled vCPU exit");
			return NULL;
		}
	}
	return NULL;
}

static void kick_signal(int sig)
{
	(void)sig;
}

int vmm_cpus_start(struct vmm *vmm)
{
	struct sigaction sa;
	unsigned int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_signal;
	sigaction(VMM_KICK_SIGNAL, &sa, NULL);
	for (i = 0; i < vmm->ncpus; i++) {
		if (pthread_create(&vmm->cpus[i].thread, NULL, cpu_thread,
				   &vmm->cpus[i])) {
			fprintf(stderr, "vmm: cannot start vCPU threads\n");
			return -EAGAIN;
		}
	}
	return 0;
}

/* Pull every vCPU out of KVM_RUN and wait for its thread. */
void vmm_cpus_stop(struct vmm *vmm)
{
	unsigned int i;

	for (i = 0; i < vmm->ncpus; i++) {
		vmm->cpus[i].run->immediate_exit = 1;
		pthread_kill(vmm->cpus[i].thread, VMM_KICK_SIGNAL);
	}
	for (i = 0; i < vmm->ncpus; i++)
		pthread_join(vmm->cpus[i].thread, NULL);
}
