// SPDX-License-Identifier: GPL-2.0-only
/*
 * Time: conversions between jiffies and units of time, at the host's HZ,
 * rounding as the kernel's do; and delays, busy (*delay) or sleeping
 * (*sleep).
 *
 * Kernel counterpart: kernel/time/time.c, kernel/time/timer.c
 * (round_jiffies), kernel/time/sleep_timeout.c (msleep), lib/delay.c.
 */
#include <linux/jiffies.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include "object.h"

/* a * b / c rounded up, for a time that must not become shorter. */
static u64 mul_div_round_up(u64 a, u64 b, u64 c)
{
	return a / c * b + (a % c * b + c - 1) / c;
}

static u64 mul_div(u64 a, u64 b, u64 c)
{
	return a / c * b + a % c * b / c;
}

static unsigned long hz(void)
{
	return (unsigned long)HZ;
}

unsigned int jiffies_to_msecs(const unsigned long j)
{
	return (unsigned int)mul_div_round_up(j, MSEC_PER_SEC, hz());
}

unsigned int jiffies_to_usecs(const unsigned long j)
{
	return (unsigned int)mul_div(j, USEC_PER_SEC, hz());
}

u64 jiffies_to_nsecs(const unsigned long j)
{
	return mul_div(j, NSEC_PER_SEC, hz());
}

u64 jiffies64_to_nsecs(u64 j)
{
	return mul_div(j, NSEC_PER_SEC, hz());
}

u64 jiffies64_to_msecs(u64 j)
{
	return mul_div(j, MSEC_PER_SEC, hz());
}

/* Negative times (as int) are "forever", as the kernel's. */
unsigned long msecs_to_jiffies(const unsigned int m)
{
	if ((int)m < 0)
		return MAX_JIFFY_OFFSET;
	return mul_div_round_up(m, hz(), MSEC_PER_SEC);
}

unsigned long usecs_to_jiffies(const unsigned int u)
{
	return mul_div_round_up(u, hz(), USEC_PER_SEC);
}

u64 nsecs_to_jiffies64(u64 n)
{
	return mul_div(n, hz(), NSEC_PER_SEC);
}

unsigned long nsecs_to_jiffies(u64 n)
{
	return nsecs_to_jiffies64(n);
}

unsigned long timespec64_to_jiffies(const struct timespec64 *value)
{
	u64 max_sec = (u64)MAX_JIFFY_OFFSET / hz();
	u64 sec = value->tv_sec < 0 ? 0 : (u64)value->tv_sec;
	u64 nsec = value->tv_nsec < 0 ? 0 : (u64)value->tv_nsec;

	if (sec >= max_sec)
		return max_sec * hz();
	return sec * hz() + mul_div_round_up(nsec, hz(), NSEC_PER_SEC);
}

void jiffies_to_timespec64(const unsigned long jiffies_value, struct timespec64 *value)
{
	*value = ns_to_timespec64((s64)jiffies_to_nsecs(jiffies_value));
}

/* To the whole second, down if less than a quarter of it past, else up;
 * never into the past. */
static unsigned long round_jiffies_common(unsigned long j, bool force_up)
{
	unsigned long original = j;
	unsigned long rem = j % hz();

	if (rem < hz() / 4 && !force_up)
		j = j - rem;
	else
		j = j - rem + hz();
	return time_is_after_jiffies(j) ? j : original;
}

unsigned long round_jiffies(unsigned long j)
{
	return round_jiffies_common(j, false);
}

unsigned long round_jiffies_relative(unsigned long j)
{
	unsigned long now = jiffies;

	return round_jiffies_common(j + now, false) - now;
}

unsigned long round_jiffies_up(unsigned long j)
{
	return round_jiffies_common(j, true);
}

unsigned long round_jiffies_up_relative(unsigned long j)
{
	unsigned long now = jiffies;

	return round_jiffies_common(j + now, true) - now;
}

/* Busy waits: on the kernel clock, which a manual clock moves by hand. */
void ndelay(unsigned long nsecs)
{
	u64 end = ktime_get_ns() + nsecs;

	while (ktime_get_ns() < end)
		cpu_relax();
}

void udelay(unsigned long usecs)
{
	ndelay(usecs * NSEC_PER_USEC);
}

void mdelay(unsigned long msecs)
{
	ndelay(msecs * NSEC_PER_MSEC);
}

void __modhost_msleep(unsigned int msecs, struct modhost_site site)
{
	long timeout = msecs_to_jiffies(msecs);

	/* A killed task (a forced unload) sleeps no more. */
	while (timeout && !mh_call(time, fatal_signal_pending))
		timeout = __modhost_schedule_timeout_in(TASK_UNINTERRUPTIBLE, timeout, site);
}

unsigned long __modhost_msleep_interruptible(unsigned int msecs, struct modhost_site site)
{
	long timeout = msecs_to_jiffies(msecs);

	while (timeout && !mh_call(time, signal_pending))
		timeout = __modhost_schedule_timeout_in(TASK_INTERRUPTIBLE, timeout, site);
	return jiffies_to_msecs(timeout);
}

void __modhost_usleep_range(unsigned long min, unsigned long max, struct modhost_site site)
{
	(void)mh_call(time, usleep_range, min, max, site);
}
