/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel objects embedded in module memory (struct timer_list, struct mutex,
 * wait_queue_head_t, ...): how they name the host object behind them.
 *
 * Each such struct holds `modhost_handle_t __handle` (0 until made) and
 * `unsigned int __static`. The init functions (timer_setup, mutex_init, ...)
 * make the host object at once and overwrite __handle whatever it held:
 * a kmalloc'd struct holds garbage there. The static initialisers
 * (DEFINE_MUTEX, DECLARE_WORK, ...) cannot call the host, so they leave the
 * handle 0 and set __static: the first use makes the object. kbuild/lib's
 * object.c holds the one place that does both.
 *
 * Module code never uses these names; they are the headers' business.
 */
#ifndef _MODHOST_OBJECT_H
#define _MODHOST_OBJECT_H

#include <modhost/lib.h>

/* DEFINE_*, DECLARE_*: made at first use, lives as long as the module. */
#define MODHOST_OBJECT_STATIC	1u
/* DECLARE_*_ONSTACK: made at first use, belongs to its function. */
#define MODHOST_OBJECT_ONSTACK	2u

#endif /* _MODHOST_OBJECT_H */
