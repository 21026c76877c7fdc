/* SPDX-License-Identifier: GPL-2.0 */
/*
 * atomic_t, atomic64_t and atomic_long_t over the compiler's __atomic
 * builtins. As in the kernel, operations that return a value are fully
 * ordered, those that do not (atomic_inc, atomic_add, ...) and
 * atomic_read/atomic_set are relaxed; _relaxed/_acquire/_release variants
 * say so explicitly.
 */
#ifndef _LINUX_ATOMIC_H
#define _LINUX_ATOMIC_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <asm/barrier.h>
#include <asm/cmpxchg.h>

#define ATOMIC_INIT(i)		{ (i) }
#define ATOMIC64_INIT(i)	{ (i) }
#define ATOMIC_LONG_INIT(i)	ATOMIC64_INIT(i)

#define __MH_ATOMIC_OPS(pfx, atype, T)						\
static inline T pfx##_read(const atype *v)					\
{ return __atomic_load_n(&v->counter, __ATOMIC_RELAXED); }			\
static inline T pfx##_read_acquire(const atype *v)				\
{ return __atomic_load_n(&v->counter, __ATOMIC_ACQUIRE); }			\
static inline void pfx##_set(atype *v, T i)					\
{ __atomic_store_n(&v->counter, i, __ATOMIC_RELAXED); }				\
static inline void pfx##_set_release(atype *v, T i)				\
{ __atomic_store_n(&v->counter, i, __ATOMIC_RELEASE); }				\
static inline void pfx##_add(T i, atype *v)					\
{ __atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED); }			\
static inline void pfx##_sub(T i, atype *v)					\
{ __atomic_fetch_sub(&v->counter, i, __ATOMIC_RELAXED); }			\
static inline void pfx##_inc(atype *v) { pfx##_add(1, v); }			\
static inline void pfx##_dec(atype *v) { pfx##_sub(1, v); }			\
static inline void pfx##_and(T i, atype *v)					\
{ __atomic_fetch_and(&v->counter, i, __ATOMIC_RELAXED); }			\
static inline void pfx##_or(T i, atype *v)					\
{ __atomic_fetch_or(&v->counter, i, __ATOMIC_RELAXED); }			\
static inline void pfx##_xor(T i, atype *v)					\
{ __atomic_fetch_xor(&v->counter, i, __ATOMIC_RELAXED); }			\
static inline void pfx##_andnot(T i, atype *v) { pfx##_and(~i, v); }		\
static inline T pfx##_add_return(T i, atype *v)					\
{ return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST); }		\
static inline T pfx##_sub_return(T i, atype *v)					\
{ return __atomic_sub_fetch(&v->counter, i, __ATOMIC_SEQ_CST); }		\
static inline T pfx##_inc_return(atype *v) { return pfx##_add_return(1, v); }	\
static inline T pfx##_dec_return(atype *v) { return pfx##_sub_return(1, v); }	\
static inline T pfx##_add_return_relaxed(T i, atype *v)				\
{ return __atomic_add_fetch(&v->counter, i, __ATOMIC_RELAXED); }		\
static inline T pfx##_inc_return_relaxed(atype *v)				\
{ return pfx##_add_return_relaxed(1, v); }					\
static inline T pfx##_dec_return_relaxed(atype *v)				\
{ return pfx##_add_return_relaxed(-1, v); }					\
static inline T pfx##_fetch_add(T i, atype *v)					\
{ return __atomic_fetch_add(&v->counter, i, __ATOMIC_SEQ_CST); }		\
static inline T pfx##_fetch_add_relaxed(T i, atype *v)				\
{ return __atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED); }		\
static inline T pfx##_fetch_sub(T i, atype *v)					\
{ return __atomic_fetch_sub(&v->counter, i, __ATOMIC_SEQ_CST); }		\
static inline T pfx##_fetch_inc(atype *v) { return pfx##_fetch_add(1, v); }	\
static inline T pfx##_fetch_dec(atype *v) { return pfx##_fetch_sub(1, v); }	\
static inline T pfx##_fetch_and(T i, atype *v)					\
{ return __atomic_fetch_and(&v->counter, i, __ATOMIC_SEQ_CST); }		\
static inline T pfx##_fetch_or(T i, atype *v)					\
{ return __atomic_fetch_or(&v->counter, i, __ATOMIC_SEQ_CST); }		\
static inline T pfx##_fetch_xor(T i, atype *v)					\
{ return __atomic_fetch_xor(&v->counter, i, __ATOMIC_SEQ_CST); }		\
static inline T pfx##_fetch_andnot(T i, atype *v)				\
{ return pfx##_fetch_and(~i, v); }						\
static inline bool pfx##_add_negative(T i, atype *v)				\
{ return pfx##_add_return(i, v) < 0; }						\
static inline bool pfx##_sub_and_test(T i, atype *v)				\
{ return pfx##_sub_return(i, v) == 0; }						\
static inline bool pfx##_dec_and_test(atype *v)					\
{ return pfx##_dec_return(v) == 0; }						\
static inline bool pfx##_inc_and_test(atype *v)					\
{ return pfx##_inc_return(v) == 0; }						\
static inline T pfx##_xchg(atype *v, T new)					\
{ return __atomic_exchange_n(&v->counter, new, __ATOMIC_SEQ_CST); }		\
static inline T pfx##_xchg_relaxed(atype *v, T new)				\
{ return __atomic_exchange_n(&v->counter, new, __ATOMIC_RELAXED); }		\
/* The old value; new is stored only if it was `old`. */			\
static inline T pfx##_cmpxchg(atype *v, T old, T new)				\
{										\
	__atomic_compare_exchange_n(&v->counter, &old, new, false,		\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);	\
	return old;								\
}										\
static inline T pfx##_cmpxchg_relaxed(atype *v, T old, T new)			\
{										\
	__atomic_compare_exchange_n(&v->counter, &old, new, false,		\
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);	\
	return old;								\
}										\
/* true if it stored new; else *old is updated to the current value. */	\
static inline bool pfx##_try_cmpxchg(atype *v, T *old, T new)			\
{										\
	return __atomic_compare_exchange_n(&v->counter, old, new, false,	\
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);	\
}										\
/* Adds a to v unless v was u; returns the old value. */			\
static inline T pfx##_fetch_add_unless(atype *v, T a, T u)			\
{										\
	T c = pfx##_read(v);							\
	do {									\
		if (unlikely(c == u))						\
			break;							\
	} while (!pfx##_try_cmpxchg(v, &c, c + a));				\
	return c;								\
}										\
static inline bool pfx##_add_unless(atype *v, T a, T u)				\
{ return pfx##_fetch_add_unless(v, a, u) != u; }				\
static inline bool pfx##_inc_not_zero(atype *v)					\
{ return pfx##_add_unless(v, 1, 0); }						\
static inline bool pfx##_inc_unless_negative(atype *v)				\
{										\
	T c = pfx##_read(v);							\
	do {									\
		if (unlikely(c < 0))						\
			return false;						\
	} while (!pfx##_try_cmpxchg(v, &c, c + 1));				\
	return true;								\
}										\
static inline bool pfx##_dec_unless_positive(atype *v)				\
{										\
	T c = pfx##_read(v);							\
	do {									\
		if (unlikely(c > 0))						\
			return false;						\
	} while (!pfx##_try_cmpxchg(v, &c, c - 1));				\
	return true;								\
}										\
/* Decrements unless that makes v negative; returns the old value - 1. */	\
static inline T pfx##_dec_if_positive(atype *v)					\
{										\
	T dec, c = pfx##_read(v);						\
	do {									\
		dec = c - 1;							\
		if (unlikely(dec < 0))						\
			break;							\
	} while (!pfx##_try_cmpxchg(v, &c, dec));				\
	return dec;								\
}

__MH_ATOMIC_OPS(atomic, atomic_t, int)
__MH_ATOMIC_OPS(atomic64, atomic64_t, s64)
__MH_ATOMIC_OPS(atomic_long, atomic_long_t, s64)

#undef __MH_ATOMIC_OPS

#define atomic_add_return_acquire atomic_add_return
#define atomic_add_return_release atomic_add_return
#define atomic_cmpxchg_acquire atomic_cmpxchg
#define atomic_cmpxchg_release atomic_cmpxchg
#define atomic_try_cmpxchg_acquire atomic_try_cmpxchg
#define atomic_try_cmpxchg_release atomic_try_cmpxchg
#define atomic_try_cmpxchg_relaxed atomic_try_cmpxchg

#define smp_mb__before_atomic()	barrier()
#define smp_mb__after_atomic()	barrier()

#endif
