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

/*
 * kasan.c, linked only into modules built with KASAN=1 (weak: null in the
 * others; hidden, so that the link decides, never the dynamic linker):
 * checks size bytes at p that a library function reads or writes for its
 * caller at ip, as the module's own instrumented accesses are checked.
 */
void __modhost_kasan_check_range(const volatile void *p, size_t size, bool write, unsigned long ip)
	__attribute__((weak, visibility("hidden")));

/* Whether the module was built with KASAN=1: then the string and memory
 * functions check what they touch, naming their caller. */
static inline bool mh_kasan(void)
{
	return __modhost_kasan_check_range != NULL;
}

static inline void mh_kasan_read(const volatile void *p, size_t size, unsigned long ip)
{
	if (mh_kasan())
		__modhost_kasan_check_range(p, size, false, ip);
}

static inline void mh_kasan_write(const volatile void *p, size_t size, unsigned long ip)
{
	if (mh_kasan())
		__modhost_kasan_check_range(p, size, true, ip);
}

/* printk.c: writes out a line still waiting for KERN_CONT pieces. */
void __modhost_printk_flush(void);

/* params.c: loads every parameter's value from the host; frees them. */
int __modhost_params_load(void);
int __modhost_param_load(u32 index);
void __modhost_params_free(void);

#endif
