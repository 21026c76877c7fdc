/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What kbuild/lib's files share and module code does not see.
 *
 * mh_lock: a lock for a few instructions of kbuild/lib's own state (the
 * printk continuation line, the charp parameter list), taken on any module
 * task or callback. It never sleeps and is never held across module code.
 */
#ifndef _KBUILD_LIB_INTERNAL_H
#define _KBUILD_LIB_INTERNAL_H

#include <linux/types.h>

static inline void mh_lock(int *lock)
{
	while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(lock, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static inline bool mh_trylock(int *lock)
{
	return !__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE);
}

static inline void mh_unlock(int *lock)
{
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

/* printk.c: writes out a line still waiting for KERN_CONT pieces. */
void __modhost_printk_flush(void);

/* params.c: loads every parameter's value from the host; frees them. */
int __modhost_params_load(void);
int __modhost_param_load(u32 index);
void __modhost_params_free(void);

#endif
