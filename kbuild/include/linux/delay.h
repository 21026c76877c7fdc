/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Delays. The *delay() functions busy-wait on the kernel clock (they may be
 * used in atomic context; a host on a manual clock moves them on by moving
 * the clock); the *sleep() functions sleep and so may not be used in atomic
 * context (the host reports it).
 *
 * msleep() sleeps at least the time asked, rounded up to whole jiffies;
 * msleep_interruptible() returns the milliseconds left when a signal ended
 * it; usleep_range() sleeps at least min microseconds, off the jiffy grid.
 */
#ifndef _LINUX_DELAY_H
#define _LINUX_DELAY_H

#include <linux/types.h>
#include <modhost/lib.h>
#include <asm/processor.h>

void ndelay(unsigned long nsecs);
void udelay(unsigned long usecs);
void mdelay(unsigned long msecs);

void __modhost_msleep(unsigned int msecs, struct modhost_site site);
unsigned long __modhost_msleep_interruptible(unsigned int msecs, struct modhost_site site);
void __modhost_usleep_range(unsigned long min, unsigned long max, struct modhost_site site);

#define msleep(msecs)			__modhost_msleep(msecs, MODHOST_SITE())
#define msleep_interruptible(msecs)	__modhost_msleep_interruptible(msecs, MODHOST_SITE())
#define ssleep(seconds)			msleep((seconds) * 1000)
#define usleep_range(min, max)		__modhost_usleep_range(min, max, MODHOST_SITE())
#define usleep_idle_range(min, max)	usleep_range(min, max)

/* The right sleep for the length: busy-wait, usleep_range or msleep. */
#define fsleep(usecs) ({							\
	unsigned long __us = (usecs);						\
	if (__us <= 10)								\
		udelay(__us);							\
	else if (__us <= 20000)							\
		usleep_range(__us, 2 * __us);					\
	else									\
		msleep((__us + 999) / 1000);					\
})

#endif /* _LINUX_DELAY_H */
