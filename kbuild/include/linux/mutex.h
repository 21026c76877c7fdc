/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Mutexes: one owner, who alone unlocks; no recursion (reported, and
 * mutex_lock returns without the lock); not from atomic context.
 * mutex_trylock() returns 1 when it got the lock.
 */
#ifndef _LINUX_MUTEX_H
#define _LINUX_MUTEX_H

#include <linux/types.h>
#include <modhost/object.h>

struct mutex {
	modhost_handle_t __handle;
	unsigned int __static;
};

#define __MUTEX_INITIALIZER(lockname)	{ .__static = MODHOST_OBJECT_STATIC }
#define DEFINE_MUTEX(mutexname)		struct mutex mutexname = __MUTEX_INITIALIZER(mutexname)

void __modhost_mutex_init(struct mutex *lock, struct modhost_site site);
int __modhost_mutex_lock(struct mutex *lock, unsigned int mode, struct modhost_site site);
int __modhost_mutex_trylock(struct mutex *lock, struct modhost_site site);
void __modhost_mutex_unlock(struct mutex *lock, struct modhost_site site);
bool __modhost_mutex_is_locked(struct mutex *lock, struct modhost_site site);
void __modhost_mutex_destroy(struct mutex *lock, struct modhost_site site);

#define mutex_init(mutex)		__modhost_mutex_init(mutex, MODHOST_SITE())
#define mutex_lock(lock)		((void)__modhost_mutex_lock(lock, MODHOST_SLEEP_UNINTERRUPTIBLE, MODHOST_SITE()))
#define mutex_lock_nested(lock, subclass) ((void)(subclass), mutex_lock(lock))
#define mutex_lock_interruptible(lock)	__modhost_mutex_lock(lock, MODHOST_SLEEP_INTERRUPTIBLE, MODHOST_SITE())
#define mutex_lock_killable(lock)	__modhost_mutex_lock(lock, MODHOST_SLEEP_KILLABLE, MODHOST_SITE())
#define mutex_trylock(lock)		__modhost_mutex_trylock(lock, MODHOST_SITE())
#define mutex_unlock(lock)		__modhost_mutex_unlock(lock, MODHOST_SITE())
#define mutex_is_locked(lock)		__modhost_mutex_is_locked(lock, MODHOST_SITE())
#define mutex_destroy(lock)		__modhost_mutex_destroy(lock, MODHOST_SITE())

#endif /* _LINUX_MUTEX_H */
