// SPDX-License-Identifier: GPL-2.0-only
/*
 * MC146818 CMOS RTC at ports 0x70/0x71, read-only: the host's UTC time in
 * BCD, 24-hour mode, update never in progress.  Without it Linux's rtc_cmos
 * driver spins for many seconds on the update-in-progress bit, and the
 * guest starts in 1970.  Writes are accepted and dropped.
 */
#include <pthread.h>
#include <time.h>

#include "vmm.h"

#define RTC_INDEX	0x70
#define RTC_DATA	0x71

static struct {
	pthread_mutex_t lock;
	uint8_t index;
} rtc = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint8_t bcd(int v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static uint8_t rtc_reg(uint8_t reg)
{
	struct tm tm;
	time_t now = time(NULL);

	gmtime_r(&now, &tm);
	switch (reg) {
	case 0x00: return bcd(tm.tm_sec);
	case 0x02: return bcd(tm.tm_min);
	case 0x04: return bcd(tm.tm_hour);
	case 0x06: return bcd(tm.tm_wday + 1);
	case 0x07: return bcd(tm.tm_mday);
	case 0x08: return bcd(tm.tm_mon + 1);
	case 0x09: return bcd(tm.tm_year % 100);
	case 0x32: return bcd(19 + tm.tm_year / 100);	/* century */
	case 0x0a: return 0x26;		/* 32.768 kHz, 1024 Hz, UIP clear */
	case 0x0b: return 0x02;		/* 24-hour, BCD, no interrupts */
	case 0x0c: return 0x00;
	case 0x0d: return 0x80;		/* valid RAM and time */
	default: return 0x00;
	}
}

/**
 * vmm_rtc_io() - port I/O on the CMOS RTC
 * @port: the port
 * @write: direction
 * @data: one byte
 *
 * Return: true when @port is 0x70 or 0x71.
 */
bool vmm_rtc_io(uint16_t port, bool write, uint8_t *data)
{
	if (port != RTC_INDEX && port != RTC_DATA)
		return false;
	pthread_mutex_lock(&rtc.lock);
	if (port == RTC_INDEX) {
		if (write)
			rtc.index = *data & 0x7f;	/* bit 7: NMI mask */
		else
			*data = 0xff;
	} else if (!write) {
		*data = rtc_reg(rtc.index);
	}
	pthread_mutex_unlock(&rtc.lock);
	return true;
}
