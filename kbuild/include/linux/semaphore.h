/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Counting semaphores. down() sleeps uninterruptibly; down_interruptible()
 * and down_killable() return -EINTR when a signal ends the wait;
 * down_timeout() returns -ETIME; down_trylock() returns 0 when it got the
 * semaphore and 1 when not (the opposite of mutex_trylock). up() hands the
 * count to the first waiter, in order.
 *
 * DEFINE_SEMAPHORE(name) is a binary semaphore before 6.4, and
 * DEFINE_SEMAPHORE(name, count) from 6.4, as <linux/version.h> says.
 */
#ifndef _LINUX_SEMAPHORE_H
#define _LINUX_SEMAPHORE_H

#include <linux/types.h>
#include <linux/version.h>
#include <linux/sched.h>
#include <modhost/object.h>

struct semaphore {
	modhost_handle_t __handle;
	unsigned int __static;
	int __count;			/* the count a static semaphore starts with */
};

#define __SEMAPHORE_INITIALIZER(name, n) { .__static = MODHOST_OBJECT_STATIC, .__count = (n) }

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define DEFINE_SEMAPHORE(_name, _n)	struct semaphore _name = __SEMAPHORE_INITIALIZER(_name, _n)
#else
#define DEFINE_SEMAPHORE(name)		struct semaphore name = __SEMAPHORE_INITIALIZER(name, 1)
#endif
#define DEFINE_BINARY_SEMAPHORE(_name)	struct semaphore _name = __SEMAPHORE_INITIALIZER(_name, 1)

void __modhost_sema_init(struct semaphore *sem, int val, struct modhost_site site);
int __modhost_down(struct semaphore *sem, unsigned int state, long timeout, struct modhost_site site);
int __modhost_down_trylock(struct semaphore *sem, struct modhost_site site);
void __modhost_up(struct semaphore *sem, struct modhost_site site);

#define sema_init(sem, val)		__modhost_sema_init(sem, val, MODHOST_SITE())
#define down(sem) \
	((void)__modhost_down(sem, TASK_UNINTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT, MODHOST_SITE()))
#define down_interruptible(sem) \
	__modhost_down(sem, TASK_INTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT, MODHOST_SITE())
#define down_killable(sem) \
	__modhost_down(sem, TASK_KILLABLE, MAX_SCHEDULE_TIMEOUT, MODHOST_SITE())
#define down_timeout(sem, timeout) \
	__modhost_down(sem, TASK_UNINTERRUPTIBLE, timeout, MODHOST_SITE())
#define down_trylock(sem)		__modhost_down_trylock(sem, MODHOST_SITE())
#define up(sem)				__modhost_up(sem, MODHOST_SITE())

#endif /* _LINUX_SEMAPHORE_H */
