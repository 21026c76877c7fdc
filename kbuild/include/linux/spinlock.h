/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Spinlocks: the holder is in atomic context until it unlocks (sleeping is
 * reported). There are no interrupts to mask in the host: the _irq,
 * _irqsave and _bh forms lock the same way, and `flags` saves nothing.
 */
#ifndef _LINUX_SPINLOCK_H
#define _LINUX_SPINLOCK_H

#include <linux/types.h>
#include <linux/spinlock_types.h>
#include <linux/irqflags.h>
#include <linux/bottom_half.h>
#include <modhost/object.h>

void __modhost_spin_lock_init(spinlock_t *lock, struct modhost_site site);
void __modhost_spin_lock(spinlock_t *lock, struct modhost_site site);
int __modhost_spin_trylock(spinlock_t *lock, struct modhost_site site);
void __modhost_spin_unlock(spinlock_t *lock, struct modhost_site site);

#define spin_lock_init(lock)		__modhost_spin_lock_init(lock, MODHOST_SITE())
#define spin_lock(lock)			__modhost_spin_lock(lock, MODHOST_SITE())
#define spin_unlock(lock)		__modhost_spin_unlock(lock, MODHOST_SITE())
#define spin_trylock(lock)		__modhost_spin_trylock(lock, MODHOST_SITE())
#define spin_lock_nested(lock, subclass) ((void)(subclass), spin_lock(lock))
#define spin_lock_bh(lock)		spin_lock(lock)
#define spin_unlock_bh(lock)		spin_unlock(lock)
#define spin_trylock_bh(lock)		spin_trylock(lock)
#define spin_lock_irq(lock)		spin_lock(lock)
#define spin_unlock_irq(lock)		spin_unlock(lock)
#define spin_trylock_irq(lock)		spin_trylock(lock)
#define spin_lock_irqsave(lock, flags)	do { local_irq_save(flags); spin_lock(lock); } while (0)
#define spin_unlock_irqrestore(lock, flags) do { spin_unlock(lock); local_irq_restore(flags); } while (0)
#define spin_trylock_irqsave(lock, flags) ({ local_irq_save(flags); spin_trylock(lock); })

#define raw_spin_lock_init(lock)	spin_lock_init(lock)
#define raw_spin_lock(lock)		spin_lock(lock)
#define raw_spin_unlock(lock)		spin_unlock(lock)
#define raw_spin_trylock(lock)		spin_trylock(lock)
#define raw_spin_lock_irq(lock)		spin_lock(lock)
#define raw_spin_unlock_irq(lock)	spin_unlock(lock)
#define raw_spin_lock_irqsave(lock, flags) spin_lock_irqsave(lock, flags)
#define raw_spin_unlock_irqrestore(lock, flags) spin_unlock_irqrestore(lock, flags)

#define rwlock_init(lock)		spin_lock_init(&(lock)->__lock)
#define read_lock(lock)			spin_lock(&(lock)->__lock)
#define read_unlock(lock)		spin_unlock(&(lock)->__lock)
#define read_trylock(lock)		spin_trylock(&(lock)->__lock)
#define write_lock(lock)		spin_lock(&(lock)->__lock)
#define write_unlock(lock)		spin_unlock(&(lock)->__lock)
#define write_trylock(lock)		spin_trylock(&(lock)->__lock)
#define read_lock_bh(lock)		read_lock(lock)
#define read_unlock_bh(lock)		read_unlock(lock)
#define write_lock_bh(lock)		write_lock(lock)
#define write_unlock_bh(lock)		write_unlock(lock)
#define read_lock_irq(lock)		read_lock(lock)
#define read_unlock_irq(lock)		read_unlock(lock)
#define write_lock_irq(lock)		write_lock(lock)
#define write_unlock_irq(lock)		write_unlock(lock)
#define read_lock_irqsave(lock, flags)	spin_lock_irqsave(&(lock)->__lock, flags)
#define read_unlock_irqrestore(lock, flags) spin_unlock_irqrestore(&(lock)->__lock, flags)
#define write_lock_irqsave(lock, flags)	spin_lock_irqsave(&(lock)->__lock, flags)
#define write_unlock_irqrestore(lock, flags) spin_unlock_irqrestore(&(lock)->__lock, flags)

#endif /* _LINUX_SPINLOCK_H */
