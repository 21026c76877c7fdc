// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tasklets: each one a work item on the host's softirq workqueue
 * (system_bh_wq), which runs it in softirq context and never concurrently
 * with itself.
 *
 * Disabling is counted in .count, which the item checks when it runs: a
 * disabled tasklet does not run, but is held (__held) and queued again by
 * the tasklet_enable() that brings the count to 0. The item and the enable
 * race for __held with an exchange, so exactly one of them runs it.
 *
 * Kernel counterpart: kernel/softirq.c (tasklet_action_common).
 */
#include <linux/interrupt.h>
#include "object.h"
#include "sched.h"

static bool disabled(struct tasklet_struct *t)
{
	return __atomic_load_n(&t->count.counter, __ATOMIC_SEQ_CST) != 0;
}

/* Whether a disabled tasklet runs after all: it was enabled meanwhile. */
static bool held_back(struct tasklet_struct *t)
{
	__atomic_store_n(&t->__held, 1, __ATOMIC_SEQ_CST);
	if (disabled(t))
		return true;
	/* Enabled since: run it, unless the enable took it to queue it again. */
	return !__atomic_exchange_n(&t->__held, 0, __ATOMIC_SEQ_CST);
}

/* The kernel's name, for stack traces. */
static modhost_s32 tasklet_action(const void *context, modhost_handle_t handle)
{
	struct tasklet_struct *t = (struct tasklet_struct *)context;

	(void)handle;
	if (disabled(t) && held_back(t))
		return 0;
	if (t->use_callback)
		t->callback(t);
	else
		t->func(t->data);
	modhost_task_exits();
	return 0;
}

static modhost_handle_t make_tasklet(const void *object, struct modhost_site site)
{
	site.ip = (unsigned long)((const struct tasklet_struct *)object)->func;	/* its function, for reports */
	return mh_call(workqueue, init_work,
		       ((struct modhost_callback){ tasklet_action, object, modhost_release_nothing }), site);
}

static modhost_handle_t tasklet_handle(struct tasklet_struct *t, struct modhost_site site)
{
	return modhost_object(&t->__handle, t->__static, t, make_tasklet, __modhost_services->workqueue->work_free,
			      site);
}

void __modhost_tasklet_init(struct tasklet_struct *t, struct modhost_site site)
{
	t->next = NULL;
	t->state = 0;
	t->count.counter = 0;
	t->__static = 0;
	t->__held = 0;
	modhost_object_made(&t->__handle, t, make_tasklet(t, site));
}

static void queue(struct tasklet_struct *t, struct modhost_site site)
{
	modhost_handle_t bh = mh_call(workqueue, system_workqueue, MODHOST_WQ_SYSTEM_BH);

	(void)mh_call(workqueue, queue_work, bh, tasklet_handle(t, site), site);
}

void __modhost_tasklet_schedule(struct tasklet_struct *t, struct modhost_site site)
{
	queue(t, site);
}

void __modhost_tasklet_kill(struct tasklet_struct *t, struct modhost_site site)
{
	(void)mh_call(workqueue, work_cancel, tasklet_handle(t, site), MODHOST_WORK_KILL_TASKLET, site);
	__atomic_store_n(&t->__held, 0, __ATOMIC_SEQ_CST);
}

void __modhost_tasklet_disable(struct tasklet_struct *t, bool sync, struct modhost_site site)
{
	__atomic_add_fetch(&t->count.counter, 1, __ATOMIC_SEQ_CST);
	/* Waits for a running one; a queued one runs now, sees the count, and is held. */
	if (sync)
		(void)mh_call(workqueue, flush_work, tasklet_handle(t, site), site);
}

void __modhost_tasklet_enable(struct tasklet_struct *t, struct modhost_site site)
{
	if (__atomic_sub_fetch(&t->count.counter, 1, __ATOMIC_SEQ_CST) != 0)
		return;
	if (__atomic_exchange_n(&t->__held, 0, __ATOMIC_SEQ_CST))
		queue(t, site);
}
