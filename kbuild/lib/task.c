// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tasks module code sees: `current`, a kthread's task_struct and its
 * references, and send_sig() (the host keeps each task's signals).
 *
 * This module's running kthreads are in a list (a spinlock of our own
 * guards it; no host call is made under it), so that `current` in one of
 * them is the task_struct kthread_create() returned. For any other task
 * `current` fills the caller's scratch copy.
 *
 * Kernel counterpart: kernel/fork.c (get/put_task_struct),
 * kernel/signal.c (send_sig).
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "sched.h"

static struct task_struct *kthreads;
static int kthreads_lock;

static void kthreads_lock_take(void)
{
	while (__atomic_exchange_n(&kthreads_lock, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

static void kthreads_lock_drop(void)
{
	__atomic_store_n(&kthreads_lock, 0, __ATOMIC_RELEASE);
}

void modhost_kthread_enter(struct task_struct *k)
{
	kthreads_lock_take();
	k->__next = kthreads;
	kthreads = k;
	kthreads_lock_drop();
}

void modhost_kthread_leave(struct task_struct *k)
{
	kthreads_lock_take();
	for (struct task_struct **link = &kthreads; *link; link = &(*link)->__next) {
		if (*link == k) {
			*link = k->__next;
			break;
		}
	}
	kthreads_lock_drop();
}

static struct task_struct *running_kthread(pid_t pid)
{
	struct task_struct *found = NULL;

	kthreads_lock_take();
	for (struct task_struct *k = kthreads; k; k = k->__next) {
		if (k->pid == pid) {
			found = k;
			break;
		}
	}
	kthreads_lock_drop();
	return found;
}

void modhost_task_comm(char comm[TASK_COMM_LEN])
{
	char name[64];
	size_t len = mh_call(time, get_task_comm, name, sizeof(name));

	/* The host writes nothing when the name does not fit. */
	if (len > sizeof(name))
		len = 0;
	if (len > TASK_COMM_LEN - 1)
		len = TASK_COMM_LEN - 1;
	memcpy(comm, name, len);
	comm[len] = '\0';
}

struct task_struct *__modhost_current(struct task_struct *scratch)
{
	pid_t pid = mh_call(time, current_pid);
	struct task_struct *k = running_kthread(pid);

	if (k)
		return k;
	scratch->pid = pid;
	scratch->tgid = pid;
	modhost_task_comm(scratch->comm);
	return scratch;
}

int send_sig(int sig, struct task_struct *p, int priv)
{
	(void)priv;
	return mh_call(kthread, send_sig, p->pid, sig);
}

struct task_struct *get_task_struct(struct task_struct *t)
{
	__atomic_fetch_add(&t->__usage, 1, __ATOMIC_RELAXED);
	return t;
}

void put_task_struct(struct task_struct *t)
{
	/* Only kthreads are counted: `current` of another task is a copy. */
	if (t->__handle && __atomic_sub_fetch(&t->__usage, 1, __ATOMIC_ACQ_REL) == 0)
		kfree(t);
}
