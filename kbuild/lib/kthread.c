// SPDX-License-Identifier: GPL-2.0-only
/*
 * kthreads: a task_struct per thread, kmalloc'd, over the host's kthread.
 *
 * The task_struct is the context of the host's callback and counts its
 * references as the kernel's does: one for the host (dropped when the host
 * releases the callback, after kthread_stop or at unload) and one for the
 * thread itself (dropped when its body returns, or by kthread_stop if it
 * never ran); get_task_struct() adds more.
 *
 * Kernel counterpart: kernel/kthread.c.
 */
#include <linux/kthread.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "object.h"
#include "sched.h"

/* The body's frame: the kernel's name, for stack traces. */
static modhost_s32 kthread(const void *context, modhost_handle_t handle)
{
	struct task_struct *k = (struct task_struct *)context;
	int ret;

	(void)handle;
	__atomic_store_n(&k->__started, 1, __ATOMIC_RELEASE);
	modhost_task_comm(k->comm);
	modhost_kthread_enter(k);
	ret = k->__threadfn(k->__data);
	modhost_kthread_leave(k);
	modhost_task_exits();
	put_task_struct(k);
	return ret;
}

static void kthread_release(const void *context)
{
	put_task_struct((struct task_struct *)context);
}

struct task_struct *__modhost_kthread_create(struct modhost_site site, int (*threadfn)(void *data), void *data,
					     const char *namefmt, ...)
{
	struct task_struct *k = kzalloc(sizeof(*k), GFP_KERNEL);
	char name[64];
	va_list args;
	modhost_handle_t handle;

	if (!k)
		return ERR_PTR(-ENOMEM);
	va_start(args, namefmt);
	vsnprintf(name, sizeof(name), namefmt, args);
	va_end(args);
	strscpy(k->comm, name, sizeof(k->comm));
	k->flags = PF_KTHREAD;
	k->__threadfn = threadfn;
	k->__data = data;
	k->__usage = 2;
	site.ip = (unsigned long)threadfn;	/* reports name the thread by its function */
	handle = mh_call(kthread, kthread_create,
			 ((struct modhost_callback){ kthread, k, kthread_release }), modhost_str(name), site);
	if (!handle) {
		/* Refused: the host never calls back, so never releases. */
		kfree(k);
		return ERR_PTR(-ENOMEM);
	}
	k->__handle = handle;
	/* The kernel's task has its pid before it ever runs. */
	k->pid = mh_call(kthread, kthread_pid, handle, site);
	k->tgid = k->pid;
	return k;
}

int __modhost_wake_up_process(struct task_struct *p, struct modhost_site site)
{
	modhost_wake_task(p);
	if (!p->__handle)
		return 0;
	return mh_call(kthread, wake_up_process, p->__handle, site);
}

int __modhost_kthread_stop(struct task_struct *k, struct modhost_site site)
{
	modhost_handle_t handle = k->__handle;
	int ret;

	modhost_wake_task(k);
	ret = mh_call(kthread, kthread_stop, handle, site);
	/* Its body is over, or never began: then its own reference is ours to drop. */
	if (!__atomic_load_n(&k->__started, __ATOMIC_ACQUIRE))
		put_task_struct(k);
	mh_call(kthread, kthread_free, handle, site);
	return ret;
}
