// SPDX-License-Identifier: GPL-2.0
/* Takes a free semaphore in init and says what down_interruptible returned. */
#include <linux/module.h>
#include <linux/semaphore.h>

static struct semaphore sem;

static int __init sem_init_init(void)
{
	int ret;

	sema_init(&sem, 1);
	ret = down_interruptible(&sem);
	pr_info("down_interruptible: %d\n", ret);
	if (ret)
		return ret;
	up(&sem);
	return 0;
}

static void __exit sem_init_exit(void)
{
}

module_init(sem_init_init);
module_exit(sem_init_exit);
MODULE_LICENSE("GPL");
