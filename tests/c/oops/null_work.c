// SPDX-License-Identifier: GPL-2.0
/* A NULL write in a work item: its worker dies, the rest goes on. */
#include <linux/module.h>
#include <linux/workqueue.h>

static int *target;
static struct work_struct boom_work;

static void boom(struct work_struct *work)
{
	pr_info("boom\n");
	*target = 42;
	pr_info("still here?\n");
}

static int __init null_work_init(void)
{
	INIT_WORK(&boom_work, boom);
	schedule_work(&boom_work);
	return 0;
}

static void __exit null_work_exit(void)
{
	pr_info("exit\n");
}

module_init(null_work_init);
module_exit(null_work_exit);
MODULE_LICENSE("GPL");
