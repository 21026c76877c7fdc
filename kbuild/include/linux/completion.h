/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Completions. complete() lets one waiter through (or the next to come),
 * complete_all() every one from now on until reinit_completion().
 * The timed waits return the jiffies left (at least 1), 0 on timeout; the
 * interruptible and killable ones -ERESTARTSYS when a signal ended them.
 */
#ifndef _LINUX_COMPLETION_H
#define _LINUX_COMPLETION_H

#include <linux/types.h>
#include <linux/wait.h>
#include <modhost/object.h>

struct completion {
	modhost_handle_t __handle;
	unsigned int __static;
};

#define COMPLETION_INITIALIZER(work)	{ .__static = MODHOST_OBJECT_STATIC }
#define COMPLETION_INITIALIZER_ONSTACK(work) ((struct completion){ .__static = MODHOST_OBJECT_ONSTACK })
#define DECLARE_COMPLETION(work)	struct completion work = COMPLETION_INITIALIZER(work)
#define DECLARE_COMPLETION_ONSTACK(work) struct completion work = COMPLETION_INITIALIZER_ONSTACK(work)

void __modhost_init_completion(struct completion *x, struct modhost_site site);
void __modhost_reinit_completion(struct completion *x, struct modhost_site site);
void __modhost_complete(struct completion *x, bool all, struct modhost_site site);
long __modhost_wait_for_completion(struct completion *x, unsigned int state, long timeout,
				   struct modhost_site site);
bool __modhost_completion_done(struct completion *x, struct modhost_site site);
bool __modhost_try_wait_for_completion(struct completion *x, struct modhost_site site);

#define init_completion(x)		__modhost_init_completion(x, MODHOST_SITE())
#define reinit_completion(x)		__modhost_reinit_completion(x, MODHOST_SITE())
#define complete(x)			__modhost_complete(x, false, MODHOST_SITE())
#define complete_all(x)			__modhost_complete(x, true, MODHOST_SITE())
#define completion_done(x)		__modhost_completion_done(x, MODHOST_SITE())
/* Takes one complete() if there is one, never sleeps: true if it did. */
#define try_wait_for_completion(x)	__modhost_try_wait_for_completion(x, MODHOST_SITE())

#define wait_for_completion(x) \
	((void)__modhost_wait_for_completion(x, TASK_UNINTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT, MODHOST_SITE()))
#define wait_for_completion_io(x)	wait_for_completion(x)
#define wait_for_completion_interruptible(x) ({					\
	int __ret = __modhost_wait_for_completion(x, TASK_INTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT, MODHOST_SITE()); \
	__ret;									\
})
#define wait_for_completion_killable(x) ({					\
	int __ret = __modhost_wait_for_completion(x, TASK_KILLABLE, MAX_SCHEDULE_TIMEOUT, MODHOST_SITE()); \
	__ret;									\
})
#define wait_for_completion_timeout(x, timeout) ({				\
	unsigned long __ret = __modhost_wait_for_completion(x, TASK_UNINTERRUPTIBLE, timeout, MODHOST_SITE()); \
	__ret;									\
})
#define wait_for_completion_io_timeout(x, timeout) wait_for_completion_timeout(x, timeout)
#define wait_for_completion_interruptible_timeout(x, timeout) \
	__modhost_wait_for_completion(x, TASK_INTERRUPTIBLE, timeout, MODHOST_SITE())
#define wait_for_completion_killable_timeout(x, timeout) \
	__modhost_wait_for_completion(x, TASK_KILLABLE, timeout, MODHOST_SITE())

#endif /* _LINUX_COMPLETION_H */
