/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The clocks modules read. The host has one: kernel uptime in nanoseconds
 * (the clock jiffies count), so CLOCK_MONOTONIC, CLOCK_BOOTTIME (the host
 * never suspends) and CLOCK_MONOTONIC_RAW all read it.
 *
 * The wall clock (CLOCK_REALTIME: ktime_get_real*, and before 5.0
 * do_gettimeofday and getnstimeofday) is the host's wall time at boot plus
 * that uptime.
 */
#ifndef _LINUX_TIMEKEEPING_H
#define _LINUX_TIMEKEEPING_H

#include <linux/types.h>
#include <linux/time64.h>
#include <linux/version.h>
#include <modhost/lib.h>

typedef s64 ktime_t;

static inline u64 ktime_get_ns(void)
{
	return mh_call(time, ktime_get_ns);
}

static inline ktime_t ktime_get(void)
{
	return (ktime_t)ktime_get_ns();
}

static inline void ktime_get_ts64(struct timespec64 *ts)
{
	*ts = ns_to_timespec64((s64)ktime_get_ns());
}

static inline time64_t ktime_get_seconds(void)
{
	return (time64_t)(ktime_get_ns() / NSEC_PER_SEC);
}

#define ktime_get_boottime()		ktime_get()
#define ktime_get_boottime_ns()		ktime_get_ns()
#define ktime_get_boottime_ts64(ts)	ktime_get_ts64(ts)
#define ktime_get_boottime_seconds()	ktime_get_seconds()
#define ktime_get_raw()			ktime_get()
#define ktime_get_raw_ns()		ktime_get_ns()
#define ktime_get_raw_ts64(ts)		ktime_get_ts64(ts)
#define ktime_get_mono_fast_ns()	ktime_get_ns()
#define ktime_get_boot_fast_ns()	ktime_get_ns()

/* The wall clock: the wall time at boot plus the uptime (on a test's
 * manual clock it moves only with the uptime). */
static inline u64 ktime_get_real_ns(void)
{
	return mh_call(time, ktime_get_real_ns);
}

static inline ktime_t ktime_get_real(void)
{
	return (ktime_t)ktime_get_real_ns();
}

static inline void ktime_get_real_ts64(struct timespec64 *ts)
{
	*ts = ns_to_timespec64((s64)ktime_get_real_ns());
}

static inline time64_t ktime_get_real_seconds(void)
{
	return (time64_t)(ktime_get_real_ns() / NSEC_PER_SEC);
}

#define ktime_get_coarse_real_ts64(ts)	ktime_get_real_ts64(ts)
#define ktime_get_real_fast_ns()	ktime_get_real_ns()
/* The host never sets a TAI offset: 0, as a kernel without NTP's. */
#define ktime_get_clocktai()		ktime_get_real()

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 0, 0)
/* The lab era's time of day, with struct timeval and struct timespec. */
#include <linux/time.h>

static inline void getnstimeofday64(struct timespec64 *ts)
{
	ktime_get_real_ts64(ts);
}

static inline void getnstimeofday(struct timespec *ts)
{
	struct timespec64 now;

	ktime_get_real_ts64(&now);
	ts->tv_sec = (time_t)now.tv_sec;
	ts->tv_nsec = now.tv_nsec;
}

#define ktime_get_real_ts(ts)	getnstimeofday(ts)

static inline void do_gettimeofday(struct timeval *tv)
{
	struct timespec64 now;

	ktime_get_real_ts64(&now);
	tv->tv_sec = (time_t)now.tv_sec;
	tv->tv_usec = now.tv_nsec / NSEC_PER_USEC;
}

static inline unsigned long get_seconds(void)
{
	return (unsigned long)ktime_get_real_seconds();
}
#endif

#endif /* _LINUX_TIMEKEEPING_H */
