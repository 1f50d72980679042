// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest RAM: one anonymous mapping, split around the 32-bit PCI hole.
 * The first VMM_LOWMEM_END bytes sit at GPA 0, the rest at 4 GiB, as on
 * a PC.  Both halves are KVM memory slots and entries of the kvirtio
 * memory table.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vmm.h"

static int set_slot(struct vmm *vmm, uint32_t slot, uint64_t gpa,
		    uint64_t size, void *host)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};

	if (ioctl(vmm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		fprintf(stderr, "vmm: KVM_SET_USER_MEMORY_REGION: %s\n",
			strerror(errno));
		return -errno;
	}
	return 0;
}

int vmm_mem_init(struct vmm *vmm)
{
	void *p;
	int ret;

	p = mmap(NULL, vmm->mem_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "vmm: cannot map %llu MiB of guest RAM: %s\n",
			(unsigned long long)(vmm->mem_size >> 20),
			strerror(errno));
		return -ENOMEM;
	}
	madvise(p, vmm->mem_size, MADV_MERGEABLE);
	vmm->ram = p;
	vmm->low_size = vmm->mem_size;
	if (vmm->low_size > VMM_LOWMEM_END)
		vmm->low_size = VMM_LOWMEM_END;
	vmm->high_size = vmm->mem_size - vmm->low_size;

	ret = set_slot(vmm, 0, 0, vmm->low_size, vmm->ram);
	if (!ret && vmm->high_size)
		ret = set_slot(vmm, 1, VMM_HIGHMEM_START, vmm->high_size,
			       vmm->ram + vmm->low_size);
	return ret;
}

/**
 * vmm_gpa() - host address of guest RAM [@gpa, @gpa + @len)
 * @vmm: the VM
 * @gpa: guest-physical address
 * @len: bytes that must all be RAM in the same half
 *
 * Return: the host pointer, or NULL when the range is not wholly RAM.
 */
void *vmm_gpa(struct vmm *vmm, uint64_t gpa, uint64_t len)
{
	if (gpa + len < gpa)
		return NULL;
	if (gpa + len <= vmm->low_size)
		return vmm->ram + gpa;
	if (gpa >= VMM_HIGHMEM_START &&
	    gpa + len - VMM_HIGHMEM_START <= vmm->high_size)
		return vmm->ram + vmm->low_size + (gpa - VMM_HIGHMEM_START);
	return NULL;
}
