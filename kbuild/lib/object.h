/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kbuild/lib's own glue for kernel objects embedded in module memory
 * (see <modhost/object.h>): making the host object behind a struct, at
 * init or at first use, and the conversions every sleeping call needs.
 */
#ifndef _KBUILD_LIB_OBJECT_H
#define _KBUILD_LIB_OBJECT_H

#include <linux/types.h>
#include <linux/sched.h>
#include <modhost/object.h>

/* Makes the host object for the struct at `object`; 0 if refused. */
typedef modhost_handle_t (*modhost_make_t)(const void *object, struct modhost_site site);
/* A table function that frees a host object of one kind. */
typedef void (*modhost_free_t)(modhost_module_t self, modhost_handle_t handle, struct modhost_site site);

/* An init function's object: `handle` (just made) replaces whatever the
 * struct held, and the host learns where the struct is. */
void modhost_object_made(modhost_handle_t *slot, const void *object, modhost_handle_t handle);

/* The struct's object: the one it holds, or for a statically initialised
 * struct (`lazy` is its __static) one made now; two tasks racing here keep
 * one object. 0 for a struct that was never initialised: the host then
 * reports the call that uses it. */
modhost_handle_t modhost_object(modhost_handle_t *slot, unsigned int lazy, const void *object, modhost_make_t make,
				modhost_free_t discard, struct modhost_site site);

/* Frees the struct's object, if it has one (destroy_*_on_stack, mutex_destroy). */
void modhost_object_free(modhost_handle_t *slot, modhost_free_t free, struct modhost_site site);

/* A callback's context is the struct itself: nothing to release. */
void modhost_release_nothing(const void *context);

/* A TASK_* state as the host's sleep mode. */
unsigned int modhost_sleep_mode(unsigned int state);

/* A timeout in jiffies as the host takes it; MAX_SCHEDULE_TIMEOUT is none. */
struct modhost_timeout modhost_timeout(long timeout);

#endif /* _KBUILD_LIB_OBJECT_H */
