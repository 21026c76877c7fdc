/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kthreads.
 *
 * kthread_create() returns a task_struct * (or ERR_PTR(-ENOMEM), never
 * NULL) for a thread that waits to be woken; kthread_run() wakes it too.
 * The body loops on !kthread_should_stop(); kthread_stop() wakes it (its
 * interruptible sleeps end), waits for it to return, and gives its result,
 * or -EINTR if it never ran. After kthread_stop() the task_struct is gone
 * unless get_task_struct() kept it, as in the kernel.
 */
#ifndef _LINUX_KTHREAD_H
#define _LINUX_KTHREAD_H

#include <linux/types.h>
#include <linux/err.h>
#include <linux/sched.h>
#include <modhost/lib.h>

struct task_struct *__modhost_kthread_create(struct modhost_site site, int (*threadfn)(void *data), void *data,
					     const char *namefmt, ...) __printf(4, 5);
int __modhost_kthread_stop(struct task_struct *k, struct modhost_site site);

#define kthread_create(threadfn, data, namefmt, ...) \
	__modhost_kthread_create(MODHOST_SITE(), threadfn, data, namefmt, ##__VA_ARGS__)
#define kthread_create_on_node(threadfn, data, node, namefmt, ...) \
	((void)(node), kthread_create(threadfn, data, namefmt, ##__VA_ARGS__))

#define kthread_run(threadfn, data, namefmt, ...) ({				\
	struct task_struct *__k = kthread_create(threadfn, data, namefmt, ##__VA_ARGS__); \
	if (!IS_ERR(__k))							\
		wake_up_process(__k);						\
	__k;									\
})

#define kthread_stop(k)		__modhost_kthread_stop(k, MODHOST_SITE())
#define kthread_stop_put(k)	({ struct task_struct *__k = (k); int __r = kthread_stop(__k); put_task_struct(__k); __r; })

static inline bool kthread_should_stop(void)
{
	return mh_call(kthread, kthread_should_stop);
}

/* The host's threads are not bound to CPUs: binding changes nothing. */
#define kthread_bind(k, cpu)	do { (void)(k); (void)(cpu); } while (0)

#endif /* _LINUX_KTHREAD_H */
