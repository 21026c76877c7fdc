/* SPDX-License-Identifier: GPL-2.0-only */
/* Time of day and its old structs: struct timespec64, and before 5.0
 * struct timespec and struct timeval (the wall clock that fills them is
 * in <linux/timekeeping.h>). */
#ifndef _LINUX_TIME_H
#define _LINUX_TIME_H

#include <linux/types.h>
#include <linux/version.h>
#include <linux/time64.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 0, 0)
struct timespec {
	time_t tv_sec;		/* seconds */
	long tv_nsec;		/* nanoseconds */
};

struct timeval {
	time_t tv_sec;		/* seconds */
	long tv_usec;		/* microseconds */
};
#endif

#include <linux/jiffies.h>
#include <linux/timekeeping.h>

#endif /* _LINUX_TIME_H */
