/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A minimal "bzImage" for the VMM self-test: just enough of the x86 boot
 * protocol setup header for tools/vmm to accept it (boot protocol 2.15,
 * XLF_KERNEL_64), and a 64-bit entry point that sets up a stack and calls
 * the C test.
 */
	.section .setup, "a"
	.org	0x1f1
	.byte	1			/* setup_sects: protected mode at 1 KiB */
	.org	0x1fe
	.word	0xaa55
	.byte	0xeb, 0x66		/* jump over the header */
	.ascii	"HdrS"
	.word	0x020f			/* boot protocol version */
	.org	0x22c
	.long	0x7fffffff		/* initrd_addr_max */
	.org	0x236
	.word	0x0001			/* xloadflags: XLF_KERNEL_64 */
	.long	2048			/* cmdline_size */
	.org	0x260
	.long	0x100000		/* init_size */
	.org	0x400

	.section .text.entry, "ax"
	.code64
	.globl	entry64
entry64:
	/* %rsi: the zero page; keep it for the C code. */
	movq	%rsi, %rdi
	movabsq	$stack_top, %rsp
	call	selftest_main
1:	hlt
	jmp	1b

/* Interrupt handlers: count, EOI the local APIC, return. */
	.globl	irq_entry
irq_entry:
	lock incl irq_count(%rip)
	jmp	irq_eoi

	.globl	irq_entry3
irq_entry3:
	lock incl irq_count3(%rip)
	jmp	irq_eoi

	/* INTx: read ISR (the level drops) unless intx_keep says not yet. */
	.globl	irq_entry_intx
irq_entry_intx:
	lock incl intx_count(%rip)
	cmpl	$0, intx_keep(%rip)
	je	1f
	decl	intx_keep(%rip)
	jmp	irq_eoi
1:	pushq	%rax
	movq	intx_isr(%rip), %rax
	movzbl	(%rax), %eax
	orl	%eax, intx_isr_seen(%rip)
	popq	%rax
	jmp	irq_eoi

	.globl	irq_entry2
irq_entry2:
	lock incl irq_count2(%rip)
irq_eoi:
	pushq	%rax
	movabsq	$0xfee000b0, %rax
	movl	$0, (%rax)
	popq	%rax
	iretq

	.section .bss
	.balign	16
	.globl	irq_count
irq_count:
	.long	0
	.globl	irq_count2
irq_count2:
	.long	0
	.globl	irq_count3
irq_count3:
	.long	0
	.globl	intx_count
intx_count:
	.long	0
	.globl	intx_isr_seen
intx_isr_seen:
	.long	0
	.globl	intx_keep
intx_keep:
	.long	0
	.balign	8
	.globl	intx_isr
intx_isr:
	.quad	0
	.balign	16
	.space	16384
stack_top:

	.section .note.GNU-stack, "", @progbits
