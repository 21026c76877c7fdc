/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Preemption and the context a task runs in.
 *
 * The host's table does not say yet whether the caller runs in atomic
 * context (a timer callback, a tasklet, a spinlock held): these answer as
 * process context always. The host itself knows, and reports sleeping in
 * atomic context. preempt_disable() does not stop the host's threads from
 * being preempted: it orders memory accesses only.
 */
#ifndef _LINUX_PREEMPT_H
#define _LINUX_PREEMPT_H

#include <linux/compiler.h>

#define preempt_count()		0
#define preempt_disable()	barrier()
#define preempt_enable()	barrier()
#define preempt_enable_no_resched() barrier()
#define preempt_disable_notrace() barrier()
#define preempt_enable_notrace() barrier()

#define in_nmi()		0
#define in_hardirq()		0
#define in_irq()		0
#define in_softirq()		0
#define in_serving_softirq()	0
#define in_interrupt()		0
#define in_atomic()		0
#define in_task()		1

#endif /* _LINUX_PREEMPT_H */
