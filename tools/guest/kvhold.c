// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvhold - keep one empty KVM VM open in L1 for the whole test run.
 *
 * Creating the first VM and destroying the last flips static keys (the
 * preempt notifiers in the scheduler's context switch), which live-patches
 * kernel text with int3.  Under QEMU TCG with two vCPUs that patching has
 * been seen to oops L1 in finish_task_switch after a few dozen VM cycles;
 * one VM held open keeps the keys enabled, so the scenarios' VMs never
 * patch text.  KVM's local APIC has such keys too: apic_sw_disabled
 * counts vCPUs whose APIC the guest has not enabled yet (every new vCPU,
 * until its guest boots that far), so each guest would flip it on at
 * creation and off again a second after its APIC comes up.  A vCPU that
 * is created here and never runs keeps that count above zero.  The
 * testbed's own artefact, not a kvirtio workaround.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
	int kvm, vm;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		perror("kvhold: /dev/kvm");
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		perror("kvhold: KVM_CREATE_VM");
		return 1;
	}
	/* An in-kernel local APIC, software-disabled for good. */
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0) {
		perror("kvhold: KVM_CREATE_IRQCHIP");
		return 1;
	}
	if (ioctl(vm, KVM_CREATE_VCPU, 0) < 0) {
		perror("kvhold: KVM_CREATE_VCPU");
		return 1;
	}
	printf("kvhold: holding VM fd %d with one idle vCPU\n", vm);
	fflush(stdout);
	for (;;)
		pause();
}
