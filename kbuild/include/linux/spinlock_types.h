/* SPDX-License-Identifier: GPL-2.0-only */
/* spinlock_t and rwlock_t, and their static initialisers. */
#ifndef _LINUX_SPINLOCK_TYPES_H
#define _LINUX_SPINLOCK_TYPES_H

#include <linux/types.h>
#include <modhost/object.h>

typedef struct spinlock {
	modhost_handle_t __handle;
	unsigned int __static;
} spinlock_t;

typedef spinlock_t raw_spinlock_t;

/* A reader-writer lock is a spinlock here: readers exclude each other too
 * (correct, only slower), and a reader may not take it twice. */
typedef struct {
	spinlock_t __lock;
} rwlock_t;

#define __SPIN_LOCK_UNLOCKED(lockname)	((spinlock_t){ .__static = MODHOST_OBJECT_STATIC })
#define __RAW_SPIN_LOCK_UNLOCKED(lockname) __SPIN_LOCK_UNLOCKED(lockname)
#define DEFINE_SPINLOCK(x)		spinlock_t x = __SPIN_LOCK_UNLOCKED(x)
#define DEFINE_RAW_SPINLOCK(x)		raw_spinlock_t x = __SPIN_LOCK_UNLOCKED(x)
#define __RW_LOCK_UNLOCKED(lockname)	((rwlock_t){ .__lock = { .__static = MODHOST_OBJECT_STATIC } })
#define DEFINE_RWLOCK(x)		rwlock_t x = __RW_LOCK_UNLOCKED(x)

#endif /* _LINUX_SPINLOCK_TYPES_H */
