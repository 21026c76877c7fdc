/* SPDX-License-Identifier: GPL-2.0 */
/* The state of a rate limit: at most `burst` events per `interval` jiffies. */
#ifndef _LINUX_RATELIMIT_TYPES_H
#define _LINUX_RATELIMIT_TYPES_H

#include <linux/types.h>

/* In jiffies at the configured HZ (the host's HZ is CONFIG_HZ unless the
 * host was started with another). */
#define DEFAULT_RATELIMIT_INTERVAL	(5 * CONFIG_HZ)
#define DEFAULT_RATELIMIT_BURST		10

/* issue num suppressed message on exit */
#define RATELIMIT_MSG_ON_RELEASE	1

struct ratelimit_state {
	int lock;		/* taken with a compare-and-swap, never waited on */
	int interval;
	int burst;
	int printed;
	int missed;
	unsigned long begin;
	unsigned long flags;
};

#define RATELIMIT_STATE_INIT(name, interval_init, burst_init) {	\
		.interval = interval_init,				\
		.burst = burst_init,					\
	}

#define DEFINE_RATELIMIT_STATE(name, interval_init, burst_init)	\
	struct ratelimit_state name =					\
		RATELIMIT_STATE_INIT(name, interval_init, burst_init)

extern int ___ratelimit(struct ratelimit_state *rs, const char *func);
#define __ratelimit(state) ___ratelimit(state, __func__)

#endif
