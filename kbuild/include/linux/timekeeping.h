/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The clocks modules read. The host has one: kernel uptime in nanoseconds
 * (the clock jiffies count), so CLOCK_MONOTONIC, CLOCK_BOOTTIME (the host
 * never suspends) and CLOCK_MONOTONIC_RAW all read it.
 *
 * The wall clock (CLOCK_REALTIME: ktime_get_real*, do_gettimeofday) is not
 * in the host's service table yet: using it is a build error that says so.
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

#define __MODHOST_NO_WALL_CLOCK \
	__attribute__((__error__("modhost has no wall clock yet: use ktime_get() (time since boot)")))

extern ktime_t ktime_get_real(void) __MODHOST_NO_WALL_CLOCK;
extern u64 ktime_get_real_ns(void) __MODHOST_NO_WALL_CLOCK;
extern void ktime_get_real_ts64(struct timespec64 *ts) __MODHOST_NO_WALL_CLOCK;
extern time64_t ktime_get_real_seconds(void) __MODHOST_NO_WALL_CLOCK;
extern ktime_t ktime_get_clocktai(void) __MODHOST_NO_WALL_CLOCK;

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 0, 0)
struct timeval;
struct timespec;
extern void do_gettimeofday(struct timeval *tv) __MODHOST_NO_WALL_CLOCK;
extern void getnstimeofday(struct timespec *ts) __MODHOST_NO_WALL_CLOCK;
extern void getnstimeofday64(struct timespec64 *ts) __MODHOST_NO_WALL_CLOCK;
extern unsigned long get_seconds(void) __MODHOST_NO_WALL_CLOCK;
#endif

#endif /* _LINUX_TIMEKEEPING_H */
