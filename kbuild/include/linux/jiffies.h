/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * jiffies and HZ.
 *
 * The host owns the clock and its HZ (set when it boots; 250 unless told
 * otherwise), so `jiffies` and `HZ` read the host: both are expressions,
 * not constants. Code such as `static int delay = 2 * HZ;` does not compile
 * (a static initialiser must be constant); set such values in init, or use
 * CONFIG_HZ, the build's guess, which is right only on a host at 250.
 *
 * jiffies start 5 minutes before they wrap, as the kernel's do: compare
 * them with time_after() and friends only.
 */
#ifndef _LINUX_JIFFIES_H
#define _LINUX_JIFFIES_H

#include <linux/types.h>
#include <linux/time64.h>
#include <modhost/lib.h>

static inline u64 get_jiffies_64(void)
{
	return mh_call(time, jiffies);
}

static inline int __modhost_hz(void)
{
	return (int)mh_call(time, hz);
}

#define HZ		__modhost_hz()
#define USER_HZ		100

#define jiffies		((unsigned long)get_jiffies_64())
#define jiffies_64	get_jiffies_64()

/* "Infinity" for a timeout in jiffies. */
#define MAX_JIFFY_OFFSET ((long)((~0UL >> 2) - 1))

/* Correct across the wrap as long as a and b are less than LONG_MAX apart. */
#define time_after(a, b)	((long)((b) - (a)) < 0)
#define time_before(a, b)	time_after(b, a)
#define time_after_eq(a, b)	((long)((a) - (b)) >= 0)
#define time_before_eq(a, b)	time_after_eq(b, a)
#define time_in_range(a, b, c)	(time_after_eq(a, b) && time_before_eq(a, c))
#define time_in_range_open(a, b, c) (time_after_eq(a, b) && time_before(a, c))

#define time_after64(a, b)	((s64)((b) - (a)) < 0)
#define time_before64(a, b)	time_after64(b, a)
#define time_after_eq64(a, b)	((s64)((a) - (b)) >= 0)
#define time_before_eq64(a, b)	time_after_eq64(b, a)
#define time_in_range64(a, b, c) (time_after_eq64(a, b) && time_before_eq64(a, c))

#define time_is_before_jiffies(a)	time_after(jiffies, a)
#define time_is_after_jiffies(a)	time_before(jiffies, a)
#define time_is_before_eq_jiffies(a)	time_after_eq(jiffies, a)
#define time_is_after_eq_jiffies(a)	time_before_eq(jiffies, a)
#define time_is_before_jiffies64(a)	time_after64(get_jiffies_64(), a)
#define time_is_after_jiffies64(a)	time_before64(get_jiffies_64(), a)

/* Conversions (kbuild/lib/time.c): to jiffies they round up, so that a
 * non-zero time never becomes 0 jiffies; a negative or huge time becomes
 * MAX_JIFFY_OFFSET. */
unsigned int jiffies_to_msecs(const unsigned long j);
unsigned int jiffies_to_usecs(const unsigned long j);
u64 jiffies_to_nsecs(const unsigned long j);
u64 jiffies64_to_nsecs(u64 j);
u64 jiffies64_to_msecs(u64 j);
unsigned long msecs_to_jiffies(const unsigned int m);
unsigned long usecs_to_jiffies(const unsigned int u);
unsigned long nsecs_to_jiffies(u64 n);
u64 nsecs_to_jiffies64(u64 n);
unsigned long timespec64_to_jiffies(const struct timespec64 *value);
void jiffies_to_timespec64(const unsigned long jiffies_value, struct timespec64 *value);

#define secs_to_jiffies(s)	((unsigned long)(s) * HZ)

/* Whole seconds, to batch wake-ups; never in the past. */
unsigned long round_jiffies(unsigned long j);
unsigned long round_jiffies_relative(unsigned long j);
unsigned long round_jiffies_up(unsigned long j);
unsigned long round_jiffies_up_relative(unsigned long j);

#endif /* _LINUX_JIFFIES_H */
