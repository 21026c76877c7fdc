// SPDX-License-Identifier: GPL-2.0-only
/*
 * Semaphores, mutexes and spinlocks over the host's, which check their
 * rules (owners, recursion, sleeping with a spinlock held) and report.
 *
 * Kernel counterpart: kernel/locking/semaphore.c, kernel/locking/mutex.c,
 * kernel/locking/spinlock.c.
 */
#include <linux/semaphore.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include "object.h"

static modhost_handle_t make_semaphore(const void *object, struct modhost_site site)
{
	const struct semaphore *sem = object;

	return mh_call(locking, sema_init, sem->__count, site);
}

static modhost_handle_t sem_handle(struct semaphore *sem, struct modhost_site site)
{
	return modhost_object(&sem->__handle, sem->__static, sem, make_semaphore,
			      __modhost_services->locking->sema_free, site);
}

void __modhost_sema_init(struct semaphore *sem, int val, struct modhost_site site)
{
	sem->__static = 0;
	sem->__count = val;
	modhost_object_made(&sem->__handle, sem, make_semaphore(sem, site));
}

int __modhost_down(struct semaphore *sem, unsigned int state, long timeout, struct modhost_site site)
{
	return mh_call(locking, down, sem_handle(sem, site), modhost_sleep_mode(state), modhost_timeout(timeout),
		       site);
}

int __modhost_down_trylock(struct semaphore *sem, struct modhost_site site)
{
	return mh_call(locking, down_trylock, sem_handle(sem, site), site);
}

void __modhost_up(struct semaphore *sem, struct modhost_site site)
{
	mh_call(locking, up, sem_handle(sem, site), site);
}

static modhost_handle_t make_mutex(const void *object, struct modhost_site site)
{
	(void)object;
	return mh_call(locking, mutex_init, site);
}

static modhost_handle_t mutex_handle(struct mutex *lock, struct modhost_site site)
{
	return modhost_object(&lock->__handle, lock->__static, lock, make_mutex,
			      __modhost_services->locking->mutex_free, site);
}

void __modhost_mutex_init(struct mutex *lock, struct modhost_site site)
{
	lock->__static = 0;
	modhost_object_made(&lock->__handle, lock, make_mutex(lock, site));
}

int __modhost_mutex_lock(struct mutex *lock, unsigned int mode, struct modhost_site site)
{
	return mh_call(locking, mutex_lock, mutex_handle(lock, site), mode, site);
}

int __modhost_mutex_trylock(struct mutex *lock, struct modhost_site site)
{
	return mh_call(locking, mutex_trylock, mutex_handle(lock, site), site);
}

void __modhost_mutex_unlock(struct mutex *lock, struct modhost_site site)
{
	mh_call(locking, mutex_unlock, mutex_handle(lock, site), site);
}

bool __modhost_mutex_is_locked(struct mutex *lock, struct modhost_site site)
{
	return mh_call(locking, mutex_is_locked, mutex_handle(lock, site), site);
}

void __modhost_mutex_destroy(struct mutex *lock, struct modhost_site site)
{
	modhost_object_free(&lock->__handle, __modhost_services->locking->mutex_free, site);
}

static modhost_handle_t make_spinlock(const void *object, struct modhost_site site)
{
	(void)object;
	return mh_call(locking, spin_lock_init, site);
}

static modhost_handle_t spin_handle(spinlock_t *lock, struct modhost_site site)
{
	return modhost_object(&lock->__handle, lock->__static, lock, make_spinlock,
			      __modhost_services->locking->spin_lock_free, site);
}

void __modhost_spin_lock_init(spinlock_t *lock, struct modhost_site site)
{
	lock->__static = 0;
	modhost_object_made(&lock->__handle, lock, make_spinlock(lock, site));
}

void __modhost_spin_lock(spinlock_t *lock, struct modhost_site site)
{
	mh_call(locking, spin_lock, spin_handle(lock, site), site);
}

int __modhost_spin_trylock(spinlock_t *lock, struct modhost_site site)
{
	return mh_call(locking, spin_trylock, spin_handle(lock, site), site);
}

void __modhost_spin_unlock(spinlock_t *lock, struct modhost_site site)
{
	mh_call(locking, spin_unlock, spin_handle(lock, site), site);
}
