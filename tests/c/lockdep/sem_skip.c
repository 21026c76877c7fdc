// SPDX-License-Identifier: GPL-2.0
/*
 * Two semaphores used as mutexes, taken with && (the second is skipped
 * when the first is taken, since down_interruptible returns 0) and both
 * given back: the second goes up to 2.
 */
#include <linux/module.h>
#include <linux/semaphore.h>

static DEFINE_SEMAPHORE(first, 1);
static DEFINE_SEMAPHORE(second, 1);

static int __init sem_skip_init(void)
{
	if (down_interruptible(&first) && down_interruptible(&second))
		return -EINTR;
	pr_info("sem_skip: in\n");
	up(&second);
	up(&first);
	return 0;
}

static void __exit sem_skip_exit(void)
{
}

module_init(sem_skip_init);
module_exit(sem_skip_exit);
MODULE_LICENSE("GPL");
