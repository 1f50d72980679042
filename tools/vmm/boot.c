// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linux x86 64-bit boot protocol (Documentation/arch/x86/boot.rst):
 * load the protected-mode part of a bzImage at 1 MiB, the initrd near the
 * top of low RAM, fill the zero page (setup header, e820 map, command
 * line) and start the boot vCPU in long mode at the 64-bit entry point
 * (load address + 0x200) with %rsi pointing at the zero page, on an
 * identity map of the first 4 GiB and a flat GDT (__BOOT_CS 0x10,
 * __BOOT_DS 0x18).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <asm/bootparam.h>

#include "vmm.h"

#define HDR_MAGIC		0x53726448	/* "HdrS" */
#define HDR_MIN_VERSION		0x020c		/* xloadflags */
#define SETUP_HDR_OFF		0x1f1
#define E820_RAM		1
#define E820_RESERVED		2

#define CR0_PE			(1ULL << 0)
#define CR0_ET			(1ULL << 4)
#define CR0_PG			(1ULL << 31)
#define CR4_PAE			(1ULL << 5)
#define EFER_LME		(1ULL << 8)
#define EFER_LMA		(1ULL << 10)

#define PTE_P			(1ULL << 0)
#define PTE_RW			(1ULL << 1)
#define PTE_PS			(1ULL << 7)

/* Read a whole file into a freshly allocated buffer. */
static void *read_file(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "vmm: cannot open %s: %s\n", path,
			strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
		fprintf(stderr, "vmm: %s: not a non-empty regular file\n",
			path);
		close(fd);
		return NULL;
	}
	buf = malloc(st.st_size);
	if (!buf) {
		close(fd);
		return NULL;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, st.st_size - done);

		if (n <= 0) {
			fprintf(stderr, "vmm: reading %s failed\n", path);
			free(buf);
			close(fd);
			return NULL;
		}
		done += n;
	}
	close(fd);
	*len = done;
	return buf;
}

static void add_e820(struct boot_params *bp, uint64_t addr, uint64_t size,
		     uint32_t type)
{
	struct boot_e820_entry *e = &bp->e820_table[bp->e820_entries++];

	e->addr = addr;
	e->size = size;
	e->type = type;
}

static void build_page_tables(struct vmm *vmm)
{
	uint64_t *pml4 = vmm_gpa(vmm, VMM_PML4_ADDR, 4096);
	uint64_t *pdpt = vmm_gpa(vmm, VMM_PDPT_ADDR, 4096);
	uint64_t *pd = vmm_gpa(vmm, VMM_PD_ADDR, 4 * 4096);
	unsigned int i;

	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = VMM_PDPT_ADDR | PTE_P | PTE_RW;
	for (i = 0; i < 4; i++)
		pdpt[i] = (VMM_PD_ADDR + i * 4096ULL) | PTE_P | PTE_RW;
	/* 2048 2-MiB pages: identity map of the first 4 GiB. */
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_PS;
}

static void build_gdt(struct vmm *vmm)
{
	uint64_t *gdt = vmm_gpa(vmm, VMM_GDT_ADDR, 4 * 8);

	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = 0x00af9b000000ffffULL;	/* 0x10: 64-bit code */
	gdt[3] = 0x00cf93000000ffffULL;	/* 0x18: flat data */
}

static int load_initrd(struct vmm *vmm, struct boot_params *bp,
		       uint64_t kernel_end)
{
	uint64_t limit, addr;
	size_t len;
	void *buf;

	buf = read_file(vmm->initrd, &len);
	if (!buf)
		return -EINVAL;
	limit = vmm->low_size;
	if (bp->hdr.initrd_addr_max && limit > bp->hdr.initrd_addr_max + 1ULL)
		limit = bp->hdr.initrd_addr_max + 1ULL;
	if (len > limit || ((limit - len) & ~0xfffULL) < kernel_end) {
		fprintf(stderr, "vmm: initrd %s (%zu bytes) does not fit in %llu MiB of RAM\n",
			vmm->initrd, len, (unsigned long long)(vmm->mem_size >> 20));
		free(buf);
		return -ENOSPC;
	}
	addr = (limit - len) & ~0xfffULL;
	memcpy(vmm_gpa(vmm, addr, len), buf, len);
	free(buf);
	bp->hdr.ramdisk_image = (uint32_t)addr;
	bp->hdr.ramdisk_size = (uint32_t)len;
	return 0;
}

/**
 * vmm_boot_load() - put kernel, initrd, command line and zero page in RAM
 * @vmm: the VM (memory set up)
 * @entry: out: the 64-bit entry point
 *
 * Return: 0, or a negative errno after printing why.
 */
int vmm_boot_load(struct vmm *vmm, uint64_t *entry)
{
	struct boot_params *bp;
	uint64_t setup_len, pm_len, kernel_end;
	unsigned int setup_sects, hdr_len;
	size_t cmd_len, len;
	uint8_t *img;
	int ret;

	img = read_file(vmm->kernel, &len);
	if (!img)
		return -EINVAL;
	if (len < 0x1000 || *(uint32_t *)(img + 0x202) != HDR_MAGIC) {
		fprintf(stderr, "vmm: %s is not a bzImage\n", vmm->kernel);
		ret = -EINVAL;
		goto out;
	}
	bp = vmm_gpa(vmm, VMM_ZERO_PAGE, sizeof(*bp));
	memset(bp, 0, sizeof(*bp));
	hdr_len = 0x202 + img[0x201] - SETUP_HDR_OFF;
	if (hdr_len > sizeof(bp->hdr))
		hdr_len = sizeof(bp->hdr);
	memcpy(&bp->hdr, img + SETUP_HDR_OFF, hdr_len);
	if (bp->hdr.version < HDR_MIN_VERSION ||
	    !(bp->hdr.xloadflags & XLF_KERNEL_64)) {
		fprintf(stderr, "vmm: %s: boot protocol %#x without a 64-bit entry\n",
			vmm->kernel, bp->hdr.version);
		ret = -EINVAL;
		goto out;
	}
	setup_sects = bp->hdr.setup_sects ? bp->hdr.setup_sects : 4;
	setup_len = (setup_sects + 1) * 512ULL;
	if (setup_len >= len) {
		fprintf(stderr, "vmm: %s: truncated bzImage\n", vmm->kernel);
		ret = -EINVAL;
		goto out;
	}
	pm_len = len - setup_len;
	kernel_end = VMM_KERNEL_ADDR + (pm_len > bp->hdr.init_size ?
					pm_len : bp->hdr.init_size);
	if (kernel_end > vmm->low_size) {
		fprintf(stderr, "vmm: kernel does not fit in guest RAM\n");
		ret = -ENOSPC;
		goto out;
	}
	memcpy(vmm_gpa(vmm, VMM_KERNEL_ADDR, pm_len), img + setup_len, pm_len);

	cmd_len = strlen(vmm->cmdline);
	if (cmd_len >= VMM_CMDLINE_MAX ||
	    (bp->hdr.cmdline_size && cmd_len > bp->hdr.cmdline_size)) {
		fprintf(stderr, "vmm: command line too long (%zu bytes)\n",
			cmd_len);
		ret = -E2BIG;
		goto out;
	}
	memcpy(vmm_gpa(vmm, VMM_CMDLINE_ADDR, cmd_len + 1), vmm->cmdline,
	       cmd_len + 1);

	bp->hdr.type_of_loader = 0xff;
	bp->hdr.loadflags |= LOADED_HIGH | CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.cmd_line_ptr = VMM_CMDLINE_ADDR;
	bp->hdr.vid_mode = 0xffff;

	if (vmm->initrd) {
		ret = load_initrd(vmm, bp, kernel_end);
		if (ret)
			goto out;
	}

	add_e820(bp, 0, VMM_EBDA_START, E820_RAM);
	add_e820(bp, VMM_EBDA_START, VMM_KERNEL_ADDR - VMM_EBDA_START,
		 E820_RESERVED);
	add_e820(bp, VMM_KERNEL_ADDR, vmm->low_size - VMM_KERNEL_ADDR,
		 E820_RAM);
	if (vmm->high_size)
		add_e820(bp, VMM_HIGHMEM_START, vmm->high_size, E820_RAM);

	build_gdt(vmm);
	build_page_tables(vmm);
	*entry = VMM_KERNEL_ADDR + 0x200;
	ret = 0;
out:
	free(img);
	return ret;
}

static void flat_seg(struct kvm_segment *s, uint16_t sel, uint8_t type,
		     bool code64)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code64;
	s->db = !code64;
}

/**
 * vmm_boot_regs() - long-mode register state of the boot vCPU
 * @vmm: the VM
 * @cpu: vCPU 0
 * @entry: from vmm_boot_load()
 *
 * Return: 0 or a negative errno.
 */
int vmm_boot_regs(struct vmm *vmm, struct vmm_cpu *cpu, uint64_t entry)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	(void)vmm;
	if (ioctl(cpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	flat_seg(&sregs.cs, 0x10, 0xb, true);
	flat_seg(&sregs.ds, 0x18, 0x3, false);
	sregs.es = sregs.ds;
	sregs.fs = sregs.ds;
	sregs.gs = sregs.ds;
	sregs.ss = sregs.ds;
	sregs.gdt.base = VMM_GDT_ADDR;
	sregs.gdt.limit = 4 * 8 - 1;
	sregs.cr0 = CR0_PE | CR0_ET | CR0_PG;
	sregs.cr3 = VMM_PML4_ADDR;
	sregs.cr4 = CR4_PAE;
	sregs.efer = EFER_LME | EFER_LMA;
	if (ioctl(cpu->fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2;
	regs.rip = entry;
	regs.rsi = VMM_ZERO_PAGE;
	regs.rsp = VMM_ZERO_PAGE - 16;
	if (ioctl(cpu->fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}
