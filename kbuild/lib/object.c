// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kernel objects embedded in module memory: the one place that makes the
 * host object behind a struct and tells the host where the struct lives
 * (object_at: kfree of the block holding it frees the object too), and
 * that marks statically initialised ones static (object_static: they live
 * as long as the module, so unloading with them is not a leak).
 */
#include "object.h"

/*
 * The host learns where an object lives before its handle is published:
 * another task that finds the handle in the slot uses it at once, and
 * lockdep names a held lock by that address, the same at lock and unlock.
 */
void modhost_object_made(modhost_handle_t *slot, const void *object, modhost_handle_t handle)
{
	if (handle)
		mh_call(mem, object_at, handle, object);
	__atomic_store_n(slot, handle, __ATOMIC_RELEASE);
}

modhost_handle_t modhost_object(modhost_handle_t *slot, unsigned int lazy, const void *object, modhost_make_t make,
				modhost_free_t discard, struct modhost_site site)
{
	modhost_handle_t handle = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	modhost_handle_t none = 0;

	if (handle || !lazy)
		return handle;
	handle = make(object, site);
	if (!handle)
		return 0;
	if (lazy & MODHOST_OBJECT_STATIC)
		mh_call(module, object_static, handle, site);
	mh_call(mem, object_at, handle, object);
	if (!__atomic_compare_exchange_n(slot, &none, handle, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* Another task made it first: use theirs. */
		discard(__modhost_self, handle, site);
		return none;
	}
	return handle;
}

void modhost_object_free(modhost_handle_t *slot, modhost_free_t free, struct modhost_site site)
{
	modhost_handle_t handle = __atomic_exchange_n(slot, 0, __ATOMIC_ACQ_REL);

	if (handle)
		free(__modhost_self, handle, site);
}

void modhost_release_nothing(const void *context)
{
	(void)context;
}

unsigned int modhost_sleep_mode(unsigned int state)
{
	if (state & TASK_INTERRUPTIBLE)
		return MODHOST_SLEEP_INTERRUPTIBLE;
	if (state & TASK_WAKEKILL)
		return MODHOST_SLEEP_KILLABLE;
	/* TASK_UNINTERRUPTIBLE, and TASK_IDLE (uninterruptible, not counted in the load). */
	return MODHOST_SLEEP_UNINTERRUPTIBLE;
}

struct modhost_timeout modhost_timeout(long timeout)
{
	/* { forever, jiffies }: the field is not named, <linux/jiffies.h> took the name. */
	if (timeout == MAX_SCHEDULE_TIMEOUT)
		return (struct modhost_timeout){ true, 0 };
	/* The kernel treats a negative timeout as none left. */
	return (struct modhost_timeout){ false, timeout < 0 ? 0 : (modhost_u64)timeout };
}
