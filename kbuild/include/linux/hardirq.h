/* SPDX-License-Identifier: GPL-2.0-only */
/* in_interrupt() and friends: see <linux/preempt.h>. */
#ifndef _LINUX_HARDIRQ_H
#define _LINUX_HARDIRQ_H

#include <linux/preempt.h>
#include <linux/bottom_half.h>

#endif /* _LINUX_HARDIRQ_H */
