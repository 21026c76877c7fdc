/* The two-step form: call_usermodehelper_setup with init and cleanup
 * callbacks, then call_usermodehelper_exec (of env, which prints exactly
 * the environment it was given); an exit status; and a program that
 * outlives the wait for it, which only rmmod -f ends. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/kmod.h>
#include <linux/slab.h>
#include <linux/kthread.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("call_usermodehelper_setup and _exec");

static char *envp[] = { "HOME=/", "PATH=/sbin:/bin:/usr/sbin:/usr/bin", NULL };
static struct task_struct *waiter;

static int setup(struct subprocess_info *info, struct cred *new)
{
	pr_info("init: %s, data %s\n", info->path, (char *)info->data);
	return 0;
}

static void cleanup(struct subprocess_info *info)
{
	pr_info("cleanup: retval %d\n", info->retval);
}

/* Waits for a program that never ends; only a kill of this thread stops it. */
static int wait_forever(void *data)
{
	char *argv[] = { "/bin/sh", "-c", "echo sleeping; exec sleep 1000", NULL };

	pr_info("forever: %d\n", call_usermodehelper(argv[0], argv, envp, UMH_WAIT_PROC));
	while (!kthread_should_stop())
		schedule_timeout_interruptible(MAX_SCHEDULE_TIMEOUT);
	return 0;
}

static int __init steps_init(void)
{
	char *env[] = { "/usr/bin/env", NULL };
	char *argv[] = { "/bin/sh", "-c", "exit 3", NULL };
	struct subprocess_info *info;

	info = call_usermodehelper_setup(env[0], env, envp, GFP_KERNEL, setup, cleanup, "for steps");
	if (!info)
		return -ENOMEM;
	pr_info("exec: %d\n", call_usermodehelper_exec(info, UMH_WAIT_PROC));
	pr_info("exit 3: %d\n", call_usermodehelper(argv[0], argv, envp, UMH_WAIT_PROC));
	waiter = kthread_run(wait_forever, NULL, "umh-waiter");
	return PTR_ERR_OR_ZERO(waiter);
}

static void __exit steps_exit(void)
{
	kthread_stop(waiter);
}

module_init(steps_init);
module_exit(steps_exit);
