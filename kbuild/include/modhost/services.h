/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host's service table, as C sees it: every function a module may call
 * in its kernel. This is the C view of the Rust table in abi/src/table.rs;
 * a host test reads this file and checks that every group lists the same
 * functions in the same order, so the two cannot drift apart.
 *
 * The table is a tree of abi_stable prefix structs: each pointer points to
 * a two-word header (which fields the host has, and their layout) followed
 * by the fields. Modules built by kbuild/ use the header of their own
 * checkout, and the vermagic check refuses any other, so C reads the fields
 * at fixed offsets.
 *
 * Conventions (see table.rs): the caller's module handle first; kernel
 * objects are opaque handles; a call site last where the call takes a
 * handle or may sleep. Only the C library in kbuild/lib calls these; module
 * code calls the kernel's API (<linux/...>).
 */
#ifndef _MODHOST_SERVICES_H
#define _MODHOST_SERVICES_H

typedef unsigned long long modhost_u64;
typedef long long modhost_s64;
typedef unsigned int modhost_u32;
typedef int modhost_s32;
typedef unsigned long modhost_size_t;

/* A module instance, as the host numbers it; 0 is none. */
typedef modhost_u64 modhost_module_t;
/* A kernel object the host made; 0 is none. */
typedef modhost_u64 modhost_handle_t;

/* abi_stable's RStr: a pointer and a length, no NUL needed. */
struct modhost_str {
	const char *ptr;
	modhost_size_t len;
};

/* A place in a module's source. */
struct modhost_site {
	struct modhost_str file;
	modhost_u32 line;
	modhost_u32 column;
	unsigned long ip;		/* _THIS_IP_: an address in the caller */
};

/* enum SleepMode: TASK_INTERRUPTIBLE, TASK_UNINTERRUPTIBLE, TASK_KILLABLE. */
#define MODHOST_SLEEP_INTERRUPTIBLE	0x0001u
#define MODHOST_SLEEP_UNINTERRUPTIBLE	0x0002u
#define MODHOST_SLEEP_KILLABLE		0x0102u

/* enum TimerDelete */
#define MODHOST_TIMER_DELETE		0u
#define MODHOST_TIMER_DELETE_SYNC	1u
#define MODHOST_TIMER_SHUTDOWN		2u
#define MODHOST_TIMER_SHUTDOWN_SYNC	3u

/* enum WorkCancel */
#define MODHOST_WORK_CANCEL		0u
#define MODHOST_WORK_CANCEL_SYNC	1u
#define MODHOST_WORK_DISABLE		2u
#define MODHOST_WORK_DISABLE_SYNC	3u
#define MODHOST_WORK_KILL_TASKLET	4u

/* enum SystemWq */
#define MODHOST_WQ_SYSTEM		0u
#define MODHOST_WQ_SYSTEM_HIGHPRI	1u
#define MODHOST_WQ_SYSTEM_LONG		2u
#define MODHOST_WQ_SYSTEM_UNBOUND	3u
#define MODHOST_WQ_SYSTEM_FREEZABLE	4u
#define MODHOST_WQ_SYSTEM_POWER_EFFICIENT 5u
#define MODHOST_WQ_SYSTEM_BH		6u

/* How long a sleep may last. */
struct modhost_timeout {
	_Bool forever;
	modhost_u64 jiffies;
};

/* A callback into the module; released once, after its last call. */
struct modhost_callback {
	modhost_s32 (*function)(const void *context, modhost_handle_t object);
	const void *context;
	void (*release)(const void *context);
};

/* A wait condition, evaluated only by the waiting task. */
struct modhost_condition {
	_Bool (*function)(const void *context);
	const void *context;
};

/* The two words before every group's fields. */
struct modhost_prefix {
	modhost_u64 accessible;
	const void *layout;
};

#define MH_FN(ret, name, ...) ret (*name)(modhost_module_t, ##__VA_ARGS__)
#define MH_SITE struct modhost_site
#define MH_STR struct modhost_str
#define MH_H modhost_handle_t

struct modhost_module_ops {
	struct modhost_prefix prefix;
	MH_FN(void, printk, modhost_u32 level, MH_STR text);
	MH_FN(void, oops, MH_STR text);
	MH_FN(void, warn, MH_STR text, MH_SITE site);
	MH_FN(MH_STR, module_name);
	MH_FN(modhost_s64, param_get, modhost_u32 index, char *buf, modhost_size_t len);
	MH_FN(_Bool, try_module_get);
	MH_FN(void, module_put);
	MH_FN(void, object_static, MH_H object, MH_SITE site);
	MH_FN(void, vprintk, modhost_u32 level, MH_STR text);
	MH_FN(modhost_u32, module_refcount);
};

struct modhost_time_ops {
	struct modhost_prefix prefix;
	MH_FN(modhost_u64, jiffies);
	MH_FN(modhost_u32, hz);
	MH_FN(modhost_u64, ktime_get_ns);
	MH_FN(modhost_u64, schedule_timeout, modhost_u32 mode, struct modhost_timeout timeout, MH_SITE site);
	MH_FN(modhost_s32, usleep_range, modhost_u64 min_us, modhost_u64 max_us, MH_SITE site);
	MH_FN(_Bool, signal_pending);
	MH_FN(_Bool, fatal_signal_pending);
	MH_FN(modhost_s32, current_pid);
	MH_FN(modhost_size_t, get_task_comm, char *buf, modhost_size_t len);
	MH_FN(modhost_u64, ktime_get_real_ns);
	/* The preempt count: MODHOST_PREEMPT_OFFSET per spinlock held, plus
	 * MODHOST_SOFTIRQ_OFFSET while serving a softirq. */
	MH_FN(modhost_u32, in_context);
};

#define MODHOST_PREEMPT_OFFSET		1u
#define MODHOST_SOFTIRQ_OFFSET		0x100u

struct modhost_timer_ops {
	struct modhost_prefix prefix;
	MH_FN(MH_H, timer_setup, struct modhost_callback callback, modhost_u32 flags, MH_SITE site);
	MH_FN(modhost_s32, mod_timer, MH_H timer, modhost_u64 expires, MH_SITE site);
	MH_FN(void, add_timer, MH_H timer, modhost_u64 expires, MH_SITE site);
	MH_FN(modhost_s32, timer_delete, MH_H timer, modhost_u32 how, MH_SITE site);
	MH_FN(_Bool, timer_pending, MH_H timer, MH_SITE site);
	MH_FN(modhost_u64, timer_expires, MH_H timer, MH_SITE site);
	MH_FN(void, timer_free, MH_H timer, MH_SITE site);
};

struct modhost_workqueue_ops {
	struct modhost_prefix prefix;
	MH_FN(MH_H, alloc_workqueue, MH_STR name, modhost_u32 flags, modhost_s32 max_active, MH_SITE site);
	MH_FN(MH_H, system_workqueue, modhost_u32 which);
	MH_FN(modhost_s32, flush_workqueue, MH_H wq, MH_SITE site);
	MH_FN(modhost_s32, drain_workqueue, MH_H wq, MH_SITE site);
	MH_FN(modhost_s32, destroy_workqueue, MH_H wq, MH_SITE site);
	MH_FN(MH_H, init_work, struct modhost_callback callback, MH_SITE site);
	MH_FN(MH_H, init_delayed_work, struct modhost_callback callback, MH_SITE site);
	MH_FN(_Bool, queue_work, MH_H wq, MH_H work, MH_SITE site);
	MH_FN(_Bool, queue_delayed_work, MH_H wq, MH_H dwork, modhost_u64 delay, MH_SITE site);
	MH_FN(_Bool, mod_delayed_work, MH_H wq, MH_H dwork, modhost_u64 delay, MH_SITE site);
	MH_FN(modhost_s32, work_cancel, MH_H work, modhost_u32 how, MH_SITE site);
	MH_FN(modhost_s32, flush_work, MH_H work, MH_SITE site);
	MH_FN(_Bool, enable_work, MH_H work, MH_SITE site);
	MH_FN(_Bool, work_pending, MH_H work, MH_SITE site);
	MH_FN(_Bool, work_requeue, MH_H work, modhost_u64 delay, MH_SITE site);
	MH_FN(void, work_free, MH_H work, MH_SITE site);
};

struct modhost_kthread_ops {
	struct modhost_prefix prefix;
	MH_FN(MH_H, kthread_create, struct modhost_callback body, MH_STR name, MH_SITE site);
	MH_FN(_Bool, wake_up_process, MH_H kthread, MH_SITE site);
	MH_FN(_Bool, kthread_should_stop);
	MH_FN(modhost_s32, kthread_stop, MH_H kthread, MH_SITE site);
	MH_FN(void, kthread_free, MH_H kthread, MH_SITE site);
	MH_FN(modhost_s32, kthread_pid, MH_H kthread, MH_SITE site);
	MH_FN(void, allow_signal, modhost_s32 sig);
	MH_FN(void, disallow_signal, modhost_s32 sig);
	MH_FN(void, flush_signals);
	MH_FN(modhost_s32, send_sig, modhost_s32 pid, modhost_s32 sig);
};

struct modhost_locking_ops {
	struct modhost_prefix prefix;
	MH_FN(MH_H, sema_init, modhost_s32 count, MH_SITE site);
	MH_FN(modhost_s32, down, MH_H sem, modhost_u32 mode, struct modhost_timeout timeout, MH_SITE site);
	MH_FN(modhost_s32, down_trylock, MH_H sem, MH_SITE site);
	MH_FN(void, up, MH_H sem, MH_SITE site);
	MH_FN(void, sema_free, MH_H sem, MH_SITE site);
	MH_FN(MH_H, mutex_init, MH_SITE site);
	MH_FN(modhost_s32, mutex_lock, MH_H mutex, modhost_u32 mode, MH_SITE site);
	MH_FN(_Bool, mutex_trylock, MH_H mutex, MH_SITE site);
	MH_FN(void, mutex_unlock, MH_H mutex, MH_SITE site);
	MH_FN(_Bool, mutex_is_locked, MH_H mutex, MH_SITE site);
	MH_FN(void, mutex_free, MH_H mutex, MH_SITE site);
	MH_FN(MH_H, spin_lock_init, MH_SITE site);
	MH_FN(void, spin_lock, MH_H lock, MH_SITE site);
	MH_FN(_Bool, spin_trylock, MH_H lock, MH_SITE site);
	MH_FN(void, spin_unlock, MH_H lock, MH_SITE site);
	MH_FN(void, spin_lock_free, MH_H lock, MH_SITE site);
};

struct modhost_wait_ops {
	struct modhost_prefix prefix;
	MH_FN(MH_H, init_waitqueue_head, MH_SITE site);
	MH_FN(modhost_s64, wait_event, MH_H wq, struct modhost_condition condition, modhost_u32 mode,
	      struct modhost_timeout timeout, MH_SITE site);
	MH_FN(void, wake_up, MH_H wq, MH_SITE site);
	MH_FN(void, wake_up_all, MH_H wq, MH_SITE site);
	MH_FN(void, waitqueue_free, MH_H wq, MH_SITE site);
	MH_FN(MH_H, init_completion, MH_SITE site);
	MH_FN(void, complete, MH_H done, MH_SITE site);
	MH_FN(void, complete_all, MH_H done, MH_SITE site);
	MH_FN(modhost_s64, wait_for_completion, MH_H done, modhost_u32 mode, struct modhost_timeout timeout,
	      MH_SITE site);
	MH_FN(_Bool, completion_done, MH_H done, MH_SITE site);
	MH_FN(void, reinit_completion, MH_H done, MH_SITE site);
	MH_FN(void, completion_free, MH_H done, MH_SITE site);
	MH_FN(_Bool, try_wait_for_completion, MH_H done, MH_SITE site);
};

struct modhost_proc_ops {
	struct modhost_prefix prefix;
	MH_FN(MH_H, proc_create, MH_STR name, struct modhost_callback show, MH_SITE site);
	MH_FN(void, proc_remove, MH_H entry, MH_SITE site);
	MH_FN(modhost_s32, seq_write, MH_H seq, MH_STR text, MH_SITE site);
};

struct modhost_mem_ops {
	struct modhost_prefix prefix;
	MH_FN(void *, kmalloc, modhost_size_t size, modhost_u32 gfp, MH_SITE site);
	MH_FN(void, kfree, const void *block, MH_SITE site);
	MH_FN(modhost_size_t, ksize, const void *block, MH_SITE site);
	MH_FN(void, get_random_bytes, void *buf, modhost_size_t len);
	/* Says that `object` is embedded at `address` (a struct timer_list, a
	 * work_struct, ...): kfree of the block holding it frees it too. */
	MH_FN(void, object_at, MH_H object, const void *address);
	/* KASAN=1: before each load and store of the module's code; ip is the
	 * access's place. An access to a redzone or a freed block is reported
	 * (once per block) and goes ahead. */
	MH_FN(void, kasan_check, const void *address, modhost_size_t size, _Bool is_write, modhost_u64 ip);
};

struct modhost_debug_ops {
	struct modhost_prefix prefix;
	MH_FN(modhost_size_t, sprint_symbol, modhost_u64 address, _Bool offset, char *buf, modhost_size_t len);
	MH_FN(void, dump_stack, MH_SITE site);
};

/* enum FileOp: which operation a struct modhost_file_call asks for. */
#define MODHOST_FILE_OPEN	0u
#define MODHOST_FILE_READ	1u
#define MODHOST_FILE_WRITE	2u
#define MODHOST_FILE_LLSEEK	3u
#define MODHOST_FILE_IOCTL	4u
#define MODHOST_FILE_RELEASE	5u

/* One call of a module's file operations (abi FileCall). */
struct modhost_file_call {
	modhost_u32 op;
	modhost_u32 flags;		/* O_ACCMODE bits, O_NONBLOCK */
	modhost_u32 dev;		/* MKDEV(major, minor); 0 for /proc */
	modhost_s32 whence;		/* LLSEEK */
	void *file;			/* struct file *: set by OPEN */
	char *buf;			/* the user buffer (host memory) */
	modhost_size_t len;
	modhost_s64 offset;		/* LLSEEK */
	modhost_u32 cmd;		/* IOCTL */
	modhost_u64 arg;		/* IOCTL */
};

/* The layout abi/src/table.rs's test checks too. */
_Static_assert(sizeof(struct modhost_file_call) == 64, "struct modhost_file_call");
_Static_assert(__builtin_offsetof(struct modhost_file_call, file) == 16, "modhost_file_call.file");
_Static_assert(__builtin_offsetof(struct modhost_file_call, offset) == 40, "modhost_file_call.offset");
_Static_assert(__builtin_offsetof(struct modhost_file_call, arg) == 56, "modhost_file_call.arg");

/* A module's file operations: a trampoline and what it opens with. */
struct modhost_file_ops {
	modhost_s64 (*call)(const void *context, struct modhost_file_call *call);
	const void *context;
};

struct modhost_dev_ops {
	struct modhost_prefix prefix;
	MH_FN(modhost_s64, register_chrdev_region, modhost_u32 dev, modhost_u32 count, MH_STR name, MH_SITE site);
	MH_FN(void, unregister_chrdev_region, modhost_u32 dev, modhost_u32 count, MH_SITE site);
	MH_FN(MH_H, cdev_add, modhost_u32 dev, modhost_u32 count, struct modhost_file_ops ops, MH_SITE site);
	MH_FN(void, cdev_del, MH_H cdev, MH_SITE site);
	MH_FN(MH_H, device_create, modhost_u32 dev, MH_STR name, MH_SITE site);
	MH_FN(void, device_destroy, MH_H device, MH_SITE site);
	MH_FN(MH_H, proc_create_ops, MH_STR name, modhost_u32 mode, struct modhost_file_ops ops, MH_SITE site);
	/* Both return the number of bytes NOT copied. */
	MH_FN(modhost_size_t, copy_to_user, void *to, const void *from, modhost_size_t n);
	MH_FN(modhost_size_t, copy_from_user, void *to, const void *from, modhost_size_t n);
};

/* wait: UMH_NO_WAIT 0, UMH_WAIT_EXEC 1, UMH_WAIT_PROC 2, | UMH_KILLABLE 4. */
struct modhost_umh_ops {
	struct modhost_prefix prefix;
	MH_FN(modhost_s32, call_usermodehelper, const char *path, char *const *argv, char *const *envp,
	      modhost_u32 wait, MH_SITE site);
};

struct modhost_services {
	struct modhost_prefix prefix;
	const struct modhost_module_ops *module;
	const struct modhost_time_ops *time;
	const struct modhost_timer_ops *timer;
	const struct modhost_workqueue_ops *workqueue;
	const struct modhost_kthread_ops *kthread;
	const struct modhost_locking_ops *locking;
	const struct modhost_wait_ops *wait;
	const struct modhost_proc_ops *proc;
	const struct modhost_mem_ops *mem;
	const struct modhost_debug_ops *debug;
	const struct modhost_dev_ops *dev;
	const struct modhost_umh_ops *umh;
};

#undef MH_FN
#undef MH_SITE
#undef MH_STR
#undef MH_H

#endif /* _MODHOST_SERVICES_H */
