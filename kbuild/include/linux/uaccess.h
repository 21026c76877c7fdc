/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User memory: the buffer of the read or write in progress. Every copy
 * goes through the host, which checks the address range against that
 * buffer: outside it (or outside any call, in a work item or a timer)
 * nothing is copied. copy_*_user return the bytes NOT copied; get_user,
 * put_user and clear_user's friends return 0 or -EFAULT.
 */
#ifndef _LINUX_UACCESS_H
#define _LINUX_UACCESS_H

#include <linux/types.h>
#include <linux/errno.h>
#include <linux/compiler.h>

unsigned long __modhost_copy_to_user(void __user *to, const void *from, unsigned long n);
unsigned long __modhost_copy_from_user(void *to, const void __user *from, unsigned long n);

static inline unsigned long copy_to_user(void __user *to, const void *from, unsigned long n)
{
	return __modhost_copy_to_user(to, from, n);
}

static inline unsigned long copy_from_user(void *to, const void __user *from, unsigned long n)
{
	return __modhost_copy_from_user(to, from, n);
}

#define __copy_to_user(to, from, n)	copy_to_user(to, from, n)
#define __copy_from_user(to, from, n)	copy_from_user(to, from, n)
#define raw_copy_to_user(to, from, n)	copy_to_user(to, from, n)
#define raw_copy_from_user(to, from, n)	copy_from_user(to, from, n)

/* Whether the range may be user memory; the copy itself checks it. */
#define access_ok(addr, size)	((void)(addr), (void)(size), 1)

#define get_user(x, ptr) ({							\
	__typeof__(*(ptr)) __gu_val;						\
	int __gu_err = copy_from_user(&__gu_val, (ptr), sizeof(*(ptr))) ? -EFAULT : 0; \
	(x) = __gu_err ? (__typeof__(*(ptr)))0 : __gu_val;			\
	__gu_err;								\
})

#define put_user(x, ptr) ({							\
	__typeof__(*(ptr)) __pu_val = (x);					\
	copy_to_user((ptr), &__pu_val, sizeof(*(ptr))) ? -EFAULT : 0;		\
})

#define __get_user(x, ptr) get_user(x, ptr)
#define __put_user(x, ptr) put_user(x, ptr)

/* Zeroes user memory: the bytes not cleared. */
unsigned long clear_user(void __user *to, unsigned long n);
/* Copies a NUL-terminated string of at most count bytes: its length, or -EFAULT. */
long strncpy_from_user(char *dst, const char __user *src, long count);

#endif
