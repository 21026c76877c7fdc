// SPDX-License-Identifier: GPL-2.0-only
/*
 * Workqueues and work items over the host's.
 *
 * A workqueue_struct pointer is the host's handle itself (no memory behind
 * it); a work item's callback context is its work_struct, so a work
 * function may kfree the struct that holds it (object_at tied the host
 * object to it). A delayed_work is one host object, made as delayed.
 *
 * Kernel counterpart: kernel/workqueue.c.
 */
#include <linux/workqueue.h>
#include <linux/kernel.h>
#include "object.h"
#include "sched.h"

static modhost_handle_t wq_handle(struct workqueue_struct *wq)
{
	return (modhost_handle_t)(uintptr_t)wq;
}

/* The kernel's name for it, so that stack traces read as the kernel's. */
static modhost_s32 process_one_work(const void *context, modhost_handle_t handle)
{
	struct work_struct *work = (struct work_struct *)context;

	(void)handle;
	/* The function may free the item: nothing reads it afterwards. */
	work->func(work);
	modhost_task_exits();
	return 0;
}

static modhost_handle_t make_work(const void *object, struct modhost_site site)
{
	const struct work_struct *work = object;
	struct modhost_callback callback = { process_one_work, work, modhost_release_nothing };

	site.ip = (unsigned long)work->func;	/* reports name the item by its function */
	if (work->__delayed)
		return mh_call(workqueue, init_delayed_work, callback, site);
	return mh_call(workqueue, init_work, callback, site);
}

static modhost_handle_t work_handle(struct work_struct *work, struct modhost_site site)
{
	return modhost_object(&work->__handle, work->__static, work, make_work,
			      __modhost_services->workqueue->work_free, site);
}

void __modhost_init_work(struct work_struct *work, unsigned int delayed, struct modhost_site site)
{
	work->__static = 0;
	work->__delayed = delayed;
	modhost_object_made(&work->__handle, work, make_work(work, site));
}

struct workqueue_struct *__modhost_alloc_workqueue(struct modhost_site site, const char *fmt, unsigned int flags,
						   int max_active, ...)
{
	char name[WQ_NAME_LEN];
	va_list args;

	va_start(args, max_active);
	vsnprintf(name, sizeof(name), fmt, args);
	va_end(args);
	return (struct workqueue_struct *)(uintptr_t)mh_call(workqueue, alloc_workqueue, modhost_str(name), flags,
							       max_active, site);
}

struct workqueue_struct *__modhost_system_wq(unsigned int which)
{
	return (struct workqueue_struct *)(uintptr_t)mh_call(workqueue, system_workqueue, which);
}

void __modhost_flush_workqueue(struct workqueue_struct *wq, struct modhost_site site)
{
	(void)mh_call(workqueue, flush_workqueue, wq_handle(wq), site);
}

void __modhost_drain_workqueue(struct workqueue_struct *wq, struct modhost_site site)
{
	(void)mh_call(workqueue, drain_workqueue, wq_handle(wq), site);
}

void __modhost_destroy_workqueue(struct workqueue_struct *wq, struct modhost_site site)
{
	(void)mh_call(workqueue, destroy_workqueue, wq_handle(wq), site);
}

void __modhost_warn_flushing_systemwide_wq(struct modhost_site site)
{
	static const char text[] = "Flushing system-wide workqueues will be prohibited in near future.";

	/* The kernel's own line: no module name before it. */
	mh_call(module, vprintk, 4, ((struct modhost_str){ text, sizeof(text) - 1 }));
	mh_call(debug, dump_stack, site);
}

bool __modhost_queue_work(struct workqueue_struct *wq, struct work_struct *work, struct modhost_site site)
{
	return mh_call(workqueue, queue_work, wq_handle(wq), work_handle(work, site), site);
}

bool __modhost_queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork, unsigned long delay,
				  struct modhost_site site)
{
	return mh_call(workqueue, queue_delayed_work, wq_handle(wq), work_handle(&dwork->work, site), delay, site);
}

bool __modhost_mod_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork, unsigned long delay,
				struct modhost_site site)
{
	return mh_call(workqueue, mod_delayed_work, wq_handle(wq), work_handle(&dwork->work, site), delay, site);
}

bool __modhost_work_cancel(struct work_struct *work, unsigned int how, struct modhost_site site)
{
	/* 1 if it was pending; 0, or -EINTR when killed while waiting. */
	return mh_call(workqueue, work_cancel, work_handle(work, site), how, site) > 0;
}

bool __modhost_flush_work(struct work_struct *work, struct modhost_site site)
{
	return mh_call(workqueue, flush_work, work_handle(work, site), site) > 0;
}

bool __modhost_enable_work(struct work_struct *work, struct modhost_site site)
{
	return mh_call(workqueue, enable_work, work_handle(work, site), site);
}

bool __modhost_work_pending(struct work_struct *work, struct modhost_site site)
{
	return mh_call(workqueue, work_pending, work_handle(work, site), site);
}

void __modhost_destroy_work(struct work_struct *work, struct modhost_site site)
{
	modhost_object_free(&work->__handle, __modhost_services->workqueue->work_free, site);
}
