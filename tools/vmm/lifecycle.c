// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio reference VMM: the helpers every part of the VMM calls (fatal
 * errors, --stats lines, stopping the VM).  They live apart from main.c so
 * that the vCPU, PCI and device code depend on them without depending on
 * the command line and the VM's assembly, which depend on all of those.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmm.h"

void vmm_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vmm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/**
 * vmm_print_counters() - one "stats:" line of name=value pairs
 * @prefix: what the line is about ("exits", "dev 01.0 rng", ...)
 * @names: counter names
 * @vals: their values
 * @n: how many
 */
void vmm_print_counters(const char *prefix, const char * const *names,
			const unsigned long long *vals, unsigned int n)
{
	unsigned int i;

	fprintf(stderr, "stats: %s", prefix);
	for (i = 0; i < n; i++)
		fprintf(stderr, " %s=%llu", names[i], vals[i]);
	fputc('\n', stderr);
}

/**
 * vmm_request_stop() - end the VM (first caller's status wins)
 * @vmm: the VM
 * @status: process exit status
 * @why: printed once
 */
void vmm_request_stop(struct vmm *vmm, int status, const char *why)
{
	pthread_mutex_lock(&vmm->stop_lock);
	if (!atomic_load(&vmm->stopping)) {
		vmm->exit_status = status;
		fprintf(stderr, "\nvmm: %s: stopping (status %d)\n", why,
			status);
		atomic_store(&vmm->stopping, true);
		pthread_cond_broadcast(&vmm->stop_cond);
	}
	pthread_mutex_unlock(&vmm->stop_lock);
}
