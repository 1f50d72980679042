/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The calls fake_vdpa.c takes over in vmm-fakevdpa (ld --wrap=NAME sends
 * NAME to __wrap_NAME and leaves libc's as __real_NAME).
 */
#ifndef KVIRTIO_VMM_FAKE_VDPA_H
#define KVIRTIO_VMM_FAKE_VDPA_H

#include <sys/types.h>

int __real_open(const char *path, int flags, ...);
int __real_ioctl(int fd, unsigned long req, ...);
ssize_t __real_write(int fd, const void *buf, size_t n);
int __real_close(int fd);
int __wrap_open(const char *path, int flags, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
int __wrap_close(int fd);

#endif /* KVIRTIO_VMM_FAKE_VDPA_H */
